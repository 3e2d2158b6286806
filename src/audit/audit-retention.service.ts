import { Injectable, Logger } from '@nestjs/common';
import { type Actor, systemActor } from '../auth/auth.types.js';
import { Clock, DAY_MS } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { advisoryXactLock } from '../database/advisory-lock.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { chainHead } from './audit-rows.js';
import { AuditVerifier } from './audit-verifier.service.js';
import { AuditCheckpoints } from './checkpoints/audit-checkpoints.js';

/** Taken exclusively by a prune, shared by every export while it streams. */
export const AUDIT_RETENTION_LOCK = 'audit-retention';

export interface PruneResult {
  deleted: number;
  first_kept_seq: string | null;
  /** Why nothing was pruned, when nothing was. */
  skipped: string | null;
}

/**
 * AUDIT_RETENTION_DAYS: removes the oldest rows, always as a prefix of the chain (rows before the
 * first row younger than the cutoff; never the head row), in one transaction that also writes a
 * signed prune checkpoint (first kept seq and the prev_hash it chains from) and the audit.pruned
 * row. So the chain stays verifiable from its first kept row, and deleting more old rows later is
 * still caught. Nothing is pruned from a chain that does not verify: that would destroy evidence.
 */
@Injectable()
export class AuditRetention {
  private readonly logger = new Logger(AuditRetention.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly verifier: AuditVerifier,
    private readonly checkpoints: AuditCheckpoints,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async prune(actor: Actor = systemActor('audit_retention')): Promise<PruneResult> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.audit.retentionDays * DAY_MS);
    const verdict = await this.verifier.verifyChain();
    if (!verdict.valid) {
      this.logger.error(`audit retention skipped: the chain does not verify (${verdict.reason})`);
      return { deleted: 0, first_kept_seq: null, skipped: 'chain_invalid' };
    }
    return this.uow.run(async (tx) => {
      await advisoryXactLock(tx, AUDIT_RETENTION_LOCK);
      const head = await chainHead(tx);
      if (!head) return { deleted: 0, first_kept_seq: null, skipped: 'empty' };
      const [oldest] = (await tx.query('SELECT seq::text AS seq FROM audit_events WHERE seq IS NOT NULL ORDER BY audit_events.seq LIMIT 1')) as { seq: string }[];
      // The first row young enough to keep; everything before it goes (the prefix), the head never.
      const [young] = (await tx.query(
        'SELECT seq::text AS seq, prev_hash FROM audit_events WHERE occurred_at >= $1 AND seq <= $2 ORDER BY audit_events.seq LIMIT 1',
        [cutoff, head.seq],
      )) as { seq: string; prev_hash: string }[];
      const keep = young ?? ((await tx.query('SELECT seq::text AS seq, prev_hash FROM audit_events WHERE seq = $1', [head.seq])) as { seq: string; prev_hash: string }[])[0]!;
      if (BigInt(keep.seq) <= BigInt(oldest!.seq)) return { deleted: 0, first_kept_seq: oldest!.seq, skipped: 'nothing_expired' };

      await tx.query("SET LOCAL strongroom.audit_prune = 'on'");
      const deleted = Number(((await tx.query('WITH d AS (DELETE FROM audit_events WHERE seq < $1 RETURNING 1) SELECT count(*)::int AS n FROM d', [keep.seq])) as { n: number }[])[0]!.n);
      await tx.query("SET LOCAL strongroom.audit_prune = 'off'");
      await this.checkpoints.write('prune', head, { seq: keep.seq, prevHash: keep.prev_hash }, tx);
      await this.audit.record({
        action: AuditAction.AuditPruned,
        outcome: 'success',
        actor: actor.sub,
        roles: actor.roles,
        details: { deleted, first_kept_seq: keep.seq, cutoff: cutoff.toISOString(), retention_days: this.config.audit.retentionDays },
      });
      this.logger.log(`audit retention removed ${deleted} rows before seq ${keep.seq}`);
      return { deleted, first_kept_seq: keep.seq, skipped: null };
    });
  }
}
