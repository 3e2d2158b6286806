import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../database/database-errors.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';
import { AuditAction, type AuditEventInput, type AuditOutcome } from './audit-catalogue.js';
import { GroupCommit } from './group-commit.js';

const AUDIT_QUEUE = Symbol('audit rows of this transaction');

/** The columns a writer fills; seq, prev_hash and hash stay NULL until the sealer sets them. */
const COLUMNS = 'occurred_at, actor, roles, action, outcome, secret_id, secret_name, request_id, client_ip, user_agent, details';
/**
 * One parameter for the whole batch (the keys are column names): far less work per row than an
 * ORM insert. inserted_at is set by the table's trigger, not by us.
 */
const INSERT = `INSERT INTO audit_events (${COLUMNS}) SELECT ${COLUMNS} FROM json_populate_recordset(NULL::audit_events, $1::json)`;

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
    const rows = events.map((e) => ({
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
    }));
    await db.query(INSERT, [JSON.stringify(rows)]);
  }
}

/** Names what is down: the database as a whole, or only the audit log's writes. */
const unavailable = (cause: unknown) =>
  isDatabaseUnavailable(cause)
    ? databaseUnavailable()
    : new DomainError(DomainErrorCode.AuditUnavailable, 'the audit log cannot be written, so the request was not carried out');

/**
 * Text as PostgreSQL will store it and give it back, so what the sealer hashes is what a reader
 * sees: no NUL (refused by text and jsonb), no lone surrogate (stored as U+FFFD).
 */
function text(s: string, max?: number): string {
  const cut = max === undefined ? s : s.slice(0, max);
  return cut.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
const optText = (s: string | null | undefined, max: number) => (s === null || s === undefined ? null : text(s, max));
