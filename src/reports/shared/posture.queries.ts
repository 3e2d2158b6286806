import type { EntityManager } from 'typeorm';
import { dateOrNull, num } from '../document-parts.js';
import type { ReportPeriod } from '../reports.types.js';

/**
 * Aggregations shared by the stats endpoint and several reports. Every figure is computed by
 * PostgreSQL (counts, FILTER, GROUP BY); only aggregates and capped lists reach the process.
 * `now` is always a parameter (never SQL now()), so the service clock decides.
 */
export type Db = Pick<EntityManager, 'query'>;

/** A secret "has an owner" when its tags carry a non-empty `owner` or `team`. */
export const HAS_OWNER_SQL = "(coalesce(tags->>'owner', '') <> '' OR coalesce(tags->>'team', '') <> '')";

/** Secret types that are cryptographic keys (PCI DSS 3.6/3.7 key management). */
export const KEY_SECRET_TYPES = ['ENCRYPTION_KEY', 'JWT_SECRET', 'TLS_CERTIFICATE', 'SERVICE_ACCOUNT_KEY'];

export interface Inventory {
  total: number;
  expired: number;
  expiring7d: number;
  expiring30d: number;
  rotationOverdue: number;
  neverRotated: number;
  rotationFailedNow: number;
  withoutOwner: number;
  withoutExpiry: number;
  withoutOwnerOrExpiry: number;
  keysTotal: number;
  keysExpired: number;
  keysOverdue: number;
  /** Oldest `coalesce(last_rotated_at, created_at)` of a live secret. */
  oldestRotationAt: Date | null;
  vaultWithoutLocalEncryption: number;
}

/** Live (not deleted) secrets, counted in one pass. */
export async function inventory(db: Db, now: Date): Promise<Inventory> {
  const [r] = (await db.query(
    `SELECT count(*) AS total,
       count(*) FILTER (WHERE expires_at <= $1) AS expired,
       count(*) FILTER (WHERE expires_at > $1 AND expires_at <= $1::timestamptz + interval '7 days') AS expiring_7d,
       count(*) FILTER (WHERE expires_at > $1 AND expires_at <= $1::timestamptz + interval '30 days') AS expiring_30d,
       count(*) FILTER (WHERE next_rotation_at < $1) AS rotation_overdue,
       count(*) FILTER (WHERE last_rotated_at IS NULL) AS never_rotated,
       count(*) FILTER (WHERE rotation_status = 'failed') AS rotation_failed_now,
       count(*) FILTER (WHERE NOT ${HAS_OWNER_SQL}) AS without_owner,
       count(*) FILTER (WHERE expires_at IS NULL) AS without_expiry,
       count(*) FILTER (WHERE NOT ${HAS_OWNER_SQL} OR expires_at IS NULL) AS without_owner_or_expiry,
       count(*) FILTER (WHERE secret_type = ANY($2)) AS keys_total,
       count(*) FILTER (WHERE secret_type = ANY($2) AND expires_at <= $1) AS keys_expired,
       count(*) FILTER (WHERE secret_type = ANY($2) AND next_rotation_at < $1) AS keys_overdue,
       min(coalesce(last_rotated_at, created_at)) AS oldest_rotation_at,
       count(*) FILTER (WHERE store = 'vault' AND NOT encrypt_locally) AS vault_plain
     FROM secrets WHERE deleted_at IS NULL`,
    [now, KEY_SECRET_TYPES],
  )) as Record<string, unknown>[];
  return {
    total: num(r?.total),
    expired: num(r?.expired),
    expiring7d: num(r?.expiring_7d),
    expiring30d: num(r?.expiring_30d),
    rotationOverdue: num(r?.rotation_overdue),
    neverRotated: num(r?.never_rotated),
    rotationFailedNow: num(r?.rotation_failed_now),
    withoutOwner: num(r?.without_owner),
    withoutExpiry: num(r?.without_expiry),
    withoutOwnerOrExpiry: num(r?.without_owner_or_expiry),
    keysTotal: num(r?.keys_total),
    keysExpired: num(r?.keys_expired),
    keysOverdue: num(r?.keys_overdue),
    oldestRotationAt: dateOrNull(r?.oldest_rotation_at),
    vaultWithoutLocalEncryption: num(r?.vault_plain),
  };
}

export interface GroupCount {
  key: string;
  count: number;
}

/** Live secrets per value of `column` (secret_type, store or rotation_status). */
export async function liveSecretsBy(db: Db, column: 'secret_type' | 'store' | 'rotation_status'): Promise<GroupCount[]> {
  const rows = (await db.query(
    `SELECT ${column} AS key, count(*) AS n FROM secrets WHERE deleted_at IS NULL GROUP BY 1 ORDER BY 1`,
  )) as { key: string; n: string }[];
  return rows.map((r) => ({ key: r.key, count: num(r.n) }));
}

export interface TypeStoreCount {
  secretType: string;
  store: string;
  count: number;
}

export async function liveSecretsByTypeAndStore(db: Db): Promise<TypeStoreCount[]> {
  const rows = (await db.query(
    'SELECT secret_type, store, count(*) AS n FROM secrets WHERE deleted_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2',
  )) as { secret_type: string; store: string; n: string }[];
  return rows.map((r) => ({ secretType: r.secret_type, store: r.store, count: num(r.n) }));
}

export interface RotationOutcomes {
  completed: number;
  failed: number;
  /** Of which secrets of a key type. */
  keysCompleted: number;
  keysFailed: number;
}

/** Rotations that finished (completed or failed) within the period. */
export async function rotationOutcomes(db: Db, p: ReportPeriod): Promise<RotationOutcomes> {
  const [r] = (await db.query(
    `SELECT count(*) FILTER (WHERE r.status = 'completed') AS completed,
       count(*) FILTER (WHERE r.status = 'failed') AS failed,
       count(*) FILTER (WHERE r.status = 'completed' AND s.secret_type = ANY($3)) AS keys_completed,
       count(*) FILTER (WHERE r.status = 'failed' AND s.secret_type = ANY($3)) AS keys_failed
     FROM secret_rotations r LEFT JOIN secrets s ON s.id = r.secret_id
     WHERE r.finished_at >= $1 AND r.finished_at < $2 AND r.status IN ('completed', 'failed')`,
    [p.from, p.to, KEY_SECRET_TYPES],
  )) as Record<string, unknown>[];
  return { completed: num(r?.completed), failed: num(r?.failed), keysCompleted: num(r?.keys_completed), keysFailed: num(r?.keys_failed) };
}

export interface DailyRotations {
  day: string;
  completed: number;
  failed: number;
}

/** Rotations finished per UTC day within the period (days without any are left out). */
export async function rotationsPerDay(db: Db, p: ReportPeriod): Promise<DailyRotations[]> {
  const rows = (await db.query(
    `SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed
     FROM secret_rotations WHERE finished_at >= $1 AND finished_at < $2 AND status IN ('completed', 'failed')
     GROUP BY 1 ORDER BY 1`,
    [p.from, p.to],
  )) as { day: string; completed: string; failed: string }[];
  return rows.map((r) => ({ day: r.day, completed: num(r.completed), failed: num(r.failed) }));
}

export interface IntegrityResult {
  id: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  triggeredBy: string;
  secretsChecked: number;
  versionsChecked: number;
  failures: number;
  problems: GroupCount[];
  /** The failures themselves (first LIST_LIMIT): which secret, which version, what. */
  failed: Array<{ secretId: string; secretName: string | null; version: number | null; problem: string; detail: string }>;
}

/** The latest integrity check started before `before`, with its failures counted by problem. */
export async function latestIntegrityCheck(db: Db, before: Date): Promise<IntegrityResult | null> {
  const [c] = (await db.query(
    `SELECT id, status, started_at, finished_at, triggered_by, secrets_checked, versions_checked, failures
     FROM integrity_checks WHERE started_at < $1 ORDER BY started_at DESC, id DESC LIMIT 1`,
    [before],
  )) as Record<string, unknown>[];
  if (!c) return null;
  const problems = (await db.query(
    'SELECT problem AS key, count(*) AS n FROM integrity_failures WHERE check_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1',
    [c.id],
  )) as { key: string; n: string }[];
  const failed = (await db.query(
    `SELECT secret_id, secret_name, version, problem, detail FROM integrity_failures WHERE check_id = $1
     ORDER BY secret_name NULLS LAST, secret_id, version NULLS FIRST, id LIMIT 250`,
    [c.id],
  )) as { secret_id: string; secret_name: string | null; version: number | null; problem: string; detail: string }[];
  return {
    id: String(c.id),
    status: String(c.status),
    startedAt: dateOrNull(c.started_at)!,
    finishedAt: dateOrNull(c.finished_at),
    triggeredBy: String(c.triggered_by),
    secretsChecked: num(c.secrets_checked),
    versionsChecked: num(c.versions_checked),
    failures: num(c.failures),
    problems: problems.map((p) => ({ key: p.key, count: num(p.n) })),
    failed: failed.map((r) => ({
      secretId: r.secret_id,
      secretName: r.secret_name,
      version: r.version === null ? null : Number(r.version),
      problem: r.problem,
      detail: r.detail,
    })),
  };
}

/** Completed integrity checks that finished within the period, and the last one's time. */
export async function completedIntegrityChecks(db: Db, p: ReportPeriod): Promise<{ count: number; last: Date | null }> {
  const [r] = (await db.query(
    `SELECT count(*) AS n, max(finished_at) AS last FROM integrity_checks
     WHERE status = 'completed' AND finished_at >= $1 AND finished_at < $2`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return { count: num(r?.n), last: dateOrNull(r?.last) };
}

export interface FindingCounts {
  open: number;
  openCritical: number;
  openWarning: number;
  openInfo: number;
  detectedInPeriod: number;
}

export async function findingCounts(db: Db, p: ReportPeriod): Promise<FindingCounts> {
  const [r] = (await db.query(
    `SELECT count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'open' AND severity = 'critical') AS open_critical,
       count(*) FILTER (WHERE status = 'open' AND severity = 'warning') AS open_warning,
       count(*) FILTER (WHERE status = 'open' AND severity = 'info') AS open_info,
       count(*) FILTER (WHERE detected_at >= $1 AND detected_at < $2) AS detected
     FROM security_findings`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return {
    open: num(r?.open),
    openCritical: num(r?.open_critical),
    openWarning: num(r?.open_warning),
    openInfo: num(r?.open_info),
    detectedInPeriod: num(r?.detected),
  };
}

export interface AuditActivity {
  events: number;
  valueReads: number;
  denied: number;
  valueReaders: number;
  first: Date | null;
  last: Date | null;
}

/** Audit rows written within the period. */
export async function auditActivity(db: Db, p: ReportPeriod): Promise<AuditActivity> {
  const [r] = (await db.query(
    `SELECT count(*) AS events,
       count(*) FILTER (WHERE action = 'secret.value_read' AND outcome = 'success') AS value_reads,
       -- An aggregated row (a flood past the failed-auth limit) stands for details.count denials.
       coalesce(sum(CASE WHEN details->>'aggregated' = 'true' THEN (details->>'count')::bigint ELSE 1 END)
         FILTER (WHERE action IN ('auth.denied', 'auth.forbidden', 'auth.rate_limited')), 0) AS denied,
       count(DISTINCT actor) FILTER (WHERE action = 'secret.value_read' AND outcome = 'success') AS value_readers,
       min(occurred_at) AS first, max(occurred_at) AS last
     FROM audit_events WHERE occurred_at >= $1 AND occurred_at < $2`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return {
    events: num(r?.events),
    valueReads: num(r?.value_reads),
    denied: num(r?.denied),
    valueReaders: num(r?.value_readers),
    first: dateOrNull(r?.first),
    last: dateOrNull(r?.last),
  };
}

/** When the latest stored report of `kind` was generated (at or before `before`). */
export async function lastStoredReportAt(db: Db, kind: string, before: Date): Promise<Date | null> {
  const [r] = (await db.query('SELECT max(generated_at) AS at FROM reports WHERE kind = $1 AND generated_at <= $2', [kind, before])) as {
    at: Date | null;
  }[];
  return dateOrNull(r?.at);
}
