import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import { advisoryXactLock } from '../database/advisory-lock.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../database/database-errors.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';
import { type ChainRow, chainHash, GENESIS_HASH } from './audit-chain.js';
import type { AuditEventInput } from './audit-catalogue.js';
import { GroupCommit } from './group-commit.js';

export const AUDIT_CHAIN_LOCK = 'audit-chain';
const AUDIT_QUEUE = Symbol('audit rows of this transaction');

/**
 * The single way audit rows are written. Inside a unit of work the row joins the caller's
 * transaction, so the change and its audit row commit together or not at all. Outside one (reads,
 * denials) rows are group-committed: concurrent callers share one INSERT and each waits for it.
 * Either way the row is chained under a cluster-wide advisory lock, so several replicas append to
 * one gapless chain. A failed write throws AuditUnavailable (503): fail closed.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger(AuditLog.name);
  private readonly batches: GroupCommit<AuditEventInput>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.batches = new GroupCommit((items) => this.dataSource.transaction((tx) => this.append(tx, items)));
  }

  get enabled(): boolean {
    return this.config.audit.enabled;
  }

  async record(event: AuditEventInput): Promise<void> {
    if (!this.enabled) return;
    const stamped = { ...event, occurredAt: event.occurredAt ?? this.clock.now() };
    try {
      // In a transaction the row is appended just before commit, so the chain lock is held only
      // for the final INSERT and COMMIT, not for the whole transaction.
      if (!this.uow.enqueueBeforeCommit(AUDIT_QUEUE, stamped, (tx, rows) => this.appendBeforeCommit(tx, rows))) {
        await this.batches.add(stamped);
      }
    } catch (e) {
      this.metrics.auditWriteFailed();
      this.logger.error(`audit write failed for ${event.action}: ${(e as Error).message}`);
      if (isDatabaseUnavailable(e)) throw databaseUnavailable();
      throw new DomainError(
        DomainErrorCode.AuditUnavailable,
        'the audit log cannot be written, so the request was not carried out',
      );
    }
    this.metrics.auditEvent(event.action, event.outcome);
  }

  private async appendBeforeCommit(tx: EntityManager, rows: AuditEventInput[]): Promise<void> {
    try {
      await this.append(tx, rows);
    } catch (e) {
      this.metrics.auditWriteFailed(rows.length);
      this.logger.error(`audit write failed before commit: ${(e as Error).message}`);
      if (isDatabaseUnavailable(e)) throw databaseUnavailable();
      throw new DomainError(DomainErrorCode.AuditUnavailable, 'the audit log cannot be written, so the request was not carried out');
    }
  }

  /** Waits for queued rows (used at shutdown and before verification). */
  flush(): Promise<void> {
    return this.batches.idle();
  }

  private async append(tx: EntityManager, events: AuditEventInput[]): Promise<void> {
    await advisoryXactLock(tx, AUDIT_CHAIN_LOCK);
    const [head] = (await tx.query('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1')) as {
      seq: string;
      hash: string;
    }[];
    const anchor = head ?? (await this.pruneAnchor(tx));
    let seq = anchor ? BigInt(anchor.seq) : 0n;
    let prev = anchor?.hash ?? GENESIS_HASH;
    const rows: ChainRow[] = events.map((e) => {
      seq += 1n;
      const row: Omit<ChainRow, 'hash'> = {
        seq: seq.toString(),
        occurred_at: (e.occurredAt ?? this.clock.now()).toISOString(),
        actor: text(e.actor, 256),
        roles: e.roles.map((r) => text(r)),
        action: e.action,
        outcome: e.outcome,
        // Cut to the column sizes: a 41-character path parameter must not make a denial unauditable.
        secret_id: optText(e.secretId, 40),
        secret_name: optText(e.secretName, 128),
        request_id: optText(e.requestId, 64),
        client_ip: optText(e.clientIp, 64),
        user_agent: optText(e.userAgent, 256),
        details: Object.fromEntries(Object.entries(e.details ?? {}).map(([k, v]) => [text(k), typeof v === 'string' ? text(v) : v])),
        prev_hash: prev,
      };
      const hash = chainHash(prev, row);
      prev = hash;
      return { ...row, hash };
    });
    // One parameter for the whole batch (the row keys are the column names): far less work per
    // row than building an ORM insert, on the path every request takes.
    await tx.query('INSERT INTO audit_events SELECT * FROM json_populate_recordset(NULL::audit_events, $1::json)', [JSON.stringify(rows)]);
  }

  /**
   * With no rows left (retention never prunes the head row, but a restore might), the chain
   * continues from the prune checkpoint's head: same hash, next seq.
   */
  private async pruneAnchor(tx: EntityManager): Promise<{ seq: string; hash: string } | undefined> {
    const [cp] = (await tx.query(
      "SELECT head_seq AS seq, head_hash AS hash FROM audit_checkpoints WHERE kind = 'prune' ORDER BY id DESC LIMIT 1",
    )) as { seq: string; hash: string }[];
    return cp;
  }
}

/**
 * Text as PostgreSQL will store it and give it back, so the hash computed here is the hash
 * recomputed on read: no NUL (refused by text and jsonb), no lone surrogate (stored as U+FFFD).
 */
function text(s: string, max?: number): string {
  const cut = max === undefined ? s : s.slice(0, max);
  return cut.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
const optText = (s: string | null | undefined, max: number) => (s === null || s === undefined ? null : text(s, max));
