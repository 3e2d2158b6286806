import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { PeriodicLoop, type PeriodicWork } from '../jobs/periodic-loop.js';
import { RotationService } from './rotation.service.js';

/**
 * Resumes rotations a crash left unfinished: the `rotation_recovery` loop (at boot, then every
 * minute; jobs/job-schedules.ts). At shutdown LoopScheduler ends the sweep and this ends the
 * background retries before the database pool closes; what they leave unfinished is resumed by a
 * replica's sweep.
 */
@Injectable()
@PeriodicLoop('rotation_recovery')
export class RotationRecovery implements PeriodicWork, BeforeApplicationShutdown {
  private readonly logger = new Logger(RotationRecovery.name);

  constructor(private readonly rotation: RotationService) {}

  async tick(): Promise<void> {
    const n = await this.rotation.resumeInterrupted();
    if (n > 0) this.logger.warn(`resumed ${n} interrupted rotation(s)`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rotation.stopBackgroundRetries();
  }
}
