import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../database/database-errors.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';
import { AuditAction, type AuditEventInput, type AuditOutcome } from './audit-catalogue.js';
import { AUDIT_INSERT, auditRowsJson } from './audit-insert.js';
import { GroupCommit } from './group-commit.js';

const AUDIT_QUEUE = Symbol('audit rows of this transaction');

/** The audit series the alerts read (DeniedRequestsBurst, rotation failures); exported from 0. */
const AUDIT_SERIES_AT_ZERO: [AuditAction, AuditOutcome][] = [
  [AuditAction.AuthDenied, 'denied'],
  [AuditAction.AuthForbidden, 'denied'],
  [AuditAction.AuthRateLimited, 'denied'],
  [AuditAction.SecretRotationFailed, 'error'],
];

/**
 * The single way audit rows are written. Inside a unit of work the row joins the caller's
 * transaction, so the change and its audit row commit together or not at all. Outside one (reads,
 * denials, background work) rows are group-committed: concurrent callers of this process share one
 * INSERT and each waits for its COMMIT. Rows are written *unsealed* (no seq, no hashes) and take no
 * lock shared with other requests or replicas; the audit feature's sealer chains them in the
 * background (src/audit/README.md). A failed write throws AuditUnavailable (503): fail closed.
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
    this.batches = new GroupCommit((items) => this.insert(this.dataSource, items));
    // A labelled series that first appears at 1 hides that first increase from increase().
    metrics.auditEventsFromZero(AUDIT_SERIES_AT_ZERO);
  }

  get enabled(): boolean {
    return this.config.audit.enabled;
  }

  async record(event: AuditEventInput): Promise<void> {
    if (!this.enabled) return;
    const stamped = { ...event, occurredAt: event.occurredAt ?? this.clock.now() };
    try {
      // In a transaction the row is inserted just before commit (a rolled-back savepoint takes
      // its queued rows back); it commits with the change.
      if (!this.uow.enqueueBeforeCommit(AUDIT_QUEUE, stamped, (tx, rows) => this.insertBeforeCommit(tx, rows))) {
        await this.batches.add(stamped);
      }
    } catch (e) {
      this.metrics.auditWriteFailed();
      this.logger.error(`audit write failed for ${event.action}: ${(e as Error).message}`);
      throw unavailable(e);
    }
    this.metrics.auditEvent(event.action, event.outcome);
  }

  private async insertBeforeCommit(tx: EntityManager, rows: AuditEventInput[]): Promise<void> {
    try {
      await this.insert(tx, rows);
    } catch (e) {
      this.metrics.auditWriteFailed(rows.length);
      this.logger.error(`audit write failed before commit: ${(e as Error).message}`);
      throw unavailable(e);
    }
  }

  /** Waits for queued rows (used at shutdown and before verification). */
  flush(): Promise<void> {
    return this.batches.idle();
  }

  private async insert(db: Pick<EntityManager, 'query'>, events: AuditEventInput[]): Promise<void> {
    await db.query(AUDIT_INSERT, [auditRowsJson(events, () => this.clock.now())]);
  }
}

/** Names what is down: the database as a whole, or only the audit log's writes. */
const unavailable = (cause: unknown) =>
  isDatabaseUnavailable(cause)
    ? databaseUnavailable()
    : new DomainError(DomainErrorCode.AuditUnavailable, 'the audit log cannot be written, so the request was not carried out');
