import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { RotationService } from './rotation.service.js';

/**
 * Resumes rotations a crash left unfinished: at boot and then every minute. At shutdown it ends
 * the sweep and the background retries before the database pool closes; what they leave
 * unfinished is resumed by a replica's sweep.
 */
@Injectable()
export class RotationRecovery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RotationRecovery.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly rotation: RotationService) {}

  onApplicationBootstrap(): void {
    const sweep = () => {
      if (this.running) return;
      this.running = this.rotation
        .resumeInterrupted()
        .then((n) => n > 0 && this.logger.warn(`resumed ${n} interrupted rotation(s)`))
        .catch((e: Error) => this.logger.error(`rotation recovery: ${e.message}`))
        .finally(() => (this.running = undefined));
    };
    sweep();
    this.timer = setInterval(sweep, 60_000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.running, this.rotation.stopBackgroundRetries()]);
  }
}
