import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/index.js';
import { withTryAdvisoryLock } from '../../database/advisory-lock.js';
import type { SignedCheckpoint } from '../checkpoint-signature.js';
import { AuditVerifier } from '../audit-verifier.service.js';

/**
 * How often the chain head is signed. Rows sealed since the newest checkpoint are the only ones
 * whose removal verification cannot notice, so this bounds that window (verify and the complete
 * JSON export sign the head too).
 */
export const CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/** One replica at a time runs the scheduled full verification. */
const FULL_VERIFY_LOCK = 'audit-full-verify';

/**
 * Signs the chain head every CHECKPOINT_INTERVAL_MS (after checking the rows since the last one),
 * and verifies the whole chain whenever the fleet's newest full verification (stored in
 * audit_verifications, whichever replica ran it) is older than AUDIT_FULL_VERIFY_MINUTES: at boot
 * too, so the audit_chain_valid gauge is there from the start.
 */
@Injectable()
export class AuditCheckpointer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointer.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly verifier: AuditVerifier,
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.audit.enabled) return;
    const run = (work: () => Promise<unknown>) => {
      if (this.running) return;
      this.running = work()
        .catch((e: Error) => this.logger.error(`audit checkpoint: ${e.message}`))
        .finally(() => (this.running = undefined));
    };
    // Not awaited: boot does not wait for a walk of the whole chain.
    run(() => this.verifyIfDue());
    this.timer = setInterval(() => run(async () => ((await this.verifyIfDue()) ? null : this.checkpointNow())), CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /** A full verification when the newest one is older than its period; true when one ran. */
  async verifyIfDue(): Promise<boolean> {
    const age = await this.verifier.lastFullVerificationAgeSeconds();
    if (age !== null && age < this.config.auditSeal.fullVerifyMinutes * 60) return false;
    const outcome = await withTryAdvisoryLock(this.dataSource, FULL_VERIFY_LOCK, async () => {
      // Another replica may have finished one while this one waited for its turn.
      const again = await this.verifier.lastFullVerificationAgeSeconds();
      if (again !== null && again < this.config.auditSeal.fullVerifyMinutes * 60) return false;
      await this.verifier.verifyChain();
      return true;
    });
    return outcome.acquired && outcome.result;
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
