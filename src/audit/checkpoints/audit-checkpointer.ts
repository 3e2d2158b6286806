import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/index.js';
import { withTryAdvisoryLock } from '../../database/advisory-lock.js';
import { PeriodicLoop, type LoopTick, type PeriodicWork } from '../../jobs/periodic-loop.js';
import type { SignedCheckpoint } from '../checkpoint-signature.js';
import { AuditVerifier } from '../audit-verifier.service.js';

/** One replica at a time runs the scheduled full verification. */
const FULL_VERIFY_LOCK = 'audit-full-verify';

/**
 * The `audit_checkpoint` loop (every 5 minutes; jobs/job-schedules.ts): signs the chain head
 * (after checking the rows since the last checkpoint), and verifies the whole chain whenever the
 * fleet's newest full verification (stored in audit_verifications, whichever replica ran it) is
 * older than AUDIT_FULL_VERIFY_MINUTES: at boot too, so the audit_chain_valid gauge is there from
 * the start. Rows sealed since the newest checkpoint are the only ones whose removal verification
 * cannot notice, so the interval bounds that window (verify and the complete JSON export sign the
 * head too).
 */
@Injectable()
@PeriodicLoop('audit_checkpoint')
export class AuditCheckpointer implements PeriodicWork {
  constructor(
    private readonly verifier: AuditVerifier,
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** At boot only the verification when due; later a checkpoint when no verification ran. */
  async tick({ boot }: LoopTick): Promise<void> {
    if ((await this.verifyIfDue()) || boot) return;
    await this.checkpointNow();
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
}
