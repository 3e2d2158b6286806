import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/index.js';
import type { SignedCheckpoint } from '../checkpoint-signature.js';
import { AuditVerifier } from '../audit-verifier.service.js';

/**
 * How often the chain head is signed. Rows written since the newest checkpoint are the only ones
 * whose removal verification cannot notice, so this bounds that window (verify and the complete
 * JSON export sign the head too).
 */
export const CHECKPOINT_INTERVAL_MS = 5 * 60_000;

/** Signs the chain head every CHECKPOINT_INTERVAL_MS (after checking the rows since the last one). */
@Injectable()
export class AuditCheckpointer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointer.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly verifier: AuditVerifier,
    private readonly config: AppConfig,
  ) {}

  /**
   * The first tick after boot is a full verification (it also sets the audit_chain_valid gauge,
   * which reads 0 until a verification passed); the following ones check only the new rows.
   */
  onApplicationBootstrap(): void {
    if (!this.config.audit.enabled) return;
    let verified = false;
    this.timer = setInterval(() => {
      if (this.running) return;
      const work = verified ? this.checkpointNow() : this.verifier.verifyChain().then(() => (verified = true));
      this.running = work
        .catch((e: Error) => this.logger.error(`audit checkpoint: ${e.message}`))
        .finally(() => (this.running = undefined));
    }, CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /** One checkpoint now (what the interval does); null when there was nothing new to sign. */
  checkpointNow(): Promise<SignedCheckpoint | null> {
    return this.verifier.checkpointHead();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
