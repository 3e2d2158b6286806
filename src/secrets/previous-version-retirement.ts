import { Injectable, Logger } from '@nestjs/common';
import { type LoopTick, PeriodicLoop, type PeriodicWork } from '../jobs/periodic-loop.js';
import { SecretsMaintenance } from './secrets-maintenance.service.js';

/**
 * The `previous_version_retirement` loop (at boot, then every minute; jobs/job-schedules.ts):
 * after a rotation the previous version stays readable until its grace period ends or every
 * active consumer has read the new one (SecretsMaintenance.retirePreviousVersions).
 */
@Injectable()
@PeriodicLoop('previous_version_retirement')
export class PreviousVersionRetirement implements PeriodicWork {
  private readonly logger = new Logger(PreviousVersionRetirement.name);

  constructor(private readonly maintenance: SecretsMaintenance) {}

  async tick(t: LoopTick): Promise<void> {
    const n = await this.maintenance.retirePreviousVersions(t.now);
    if (n > 0) this.logger.log(`retired ${n} previous version(s)`);
  }
}
