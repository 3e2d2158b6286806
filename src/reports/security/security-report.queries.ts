import { dateOrNull, LIST_LIMIT, num } from '../document-parts.js';
import type { ReportPeriod } from '../reports.types.js';
import { type Db, HAS_OWNER_SQL } from '../shared/posture.queries.js';

/** Lists and counts only the security report needs. Lists are capped at LIST_LIMIT rows. */

export interface SecretRow {
  id: string;
  name: string;
  secretType: string;
  store: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastRotatedAt: Date | null;
  nextRotationAt: Date | null;
  hasOwner: boolean;
  owner: string | null;
}

const SECRET_COLUMNS = `id, name, secret_type, store, created_at, expires_at, last_rotated_at, next_rotation_at,
  ${HAS_OWNER_SQL} AS has_owner, coalesce(nullif(tags->>'owner', ''), nullif(tags->>'team', '')) AS owner`;

function toSecretRow(r: Record<string, unknown>): SecretRow {
  return {
    id: String(r.id),
    name: String(r.name),
    secretType: String(r.secret_type),
    store: String(r.store),
    createdAt: dateOrNull(r.created_at)!,
    expiresAt: dateOrNull(r.expires_at),
    lastRotatedAt: dateOrNull(r.last_rotated_at),
    nextRotationAt: dateOrNull(r.next_rotation_at),
    hasOwner: Boolean(r.has_owner),
    owner: (r.owner as string | null) ?? null,
  };
}

async function secrets(db: Db, where: string, order: string, params: unknown[]): Promise<SecretRow[]> {
  const rows = (await db.query(
    `SELECT ${SECRET_COLUMNS} FROM secrets s WHERE s.deleted_at IS NULL AND (${where}) ORDER BY ${order} LIMIT ${LIST_LIMIT}`,
    params,
  )) as Record<string, unknown>[];
  return rows.map(toSecretRow);
}

export const expiredSecrets = (db: Db, now: Date) => secrets(db, 'expires_at <= $1', 'expires_at ASC, name ASC', [now]);

export const expiringSecrets = (db: Db, now: Date, days: number) =>
  secrets(db, `expires_at > $1 AND expires_at <= $1::timestamptz + make_interval(days => $2)`, 'expires_at ASC, name ASC', [now, days]);

export const overdueSecrets = (db: Db, now: Date) => secrets(db, 'next_rotation_at < $1', 'next_rotation_at ASC, name ASC', [now]);

export const neverRotatedSecrets = (db: Db) => secrets(db, 'last_rotated_at IS NULL', 'created_at ASC, name ASC', []);

export const secretsWithoutOwnerOrExpiry = (db: Db) =>
  secrets(db, `NOT ${HAS_OWNER_SQL} OR expires_at IS NULL`, 'name ASC', []);

/**
 * "Unused for 90 days": a live secret created more than 90 days ago with no successful
 * `secret.value_read` audit row in the 90 days before `now`.
 */
const UNUSED_WHERE = `created_at <= $1::timestamptz - interval '90 days' AND NOT EXISTS (
  SELECT 1 FROM audit_events a WHERE a.secret_id = s.id AND a.action = 'secret.value_read' AND a.outcome = 'success'
    AND a.occurred_at > $1::timestamptz - interval '90 days' AND a.occurred_at <= $1)`;

export async function unusedSecretsCount(db: Db, now: Date): Promise<number> {
  const [r] = (await db.query(`SELECT count(*) AS n FROM secrets s WHERE s.deleted_at IS NULL AND ${UNUSED_WHERE}`, [now])) as { n: string }[];
  return num(r?.n);
}

export async function unusedSecrets(db: Db, now: Date): Promise<Array<SecretRow & { lastRead: Date | null }>> {
  const rows = await secrets(db, UNUSED_WHERE, 'created_at ASC, name ASC', [now]);
  if (rows.length === 0) return [];
  const last = (await db.query(
    `SELECT secret_id, max(occurred_at) AS at FROM audit_events
     WHERE secret_id = ANY($1) AND action = 'secret.value_read' AND outcome = 'success' GROUP BY 1`,
    [rows.map((r) => r.id)],
  )) as { secret_id: string; at: Date }[];
  const lastBy = new Map(last.map((l) => [l.secret_id, dateOrNull(l.at)]));
  return rows.map((r) => ({ ...r, lastRead: lastBy.get(r.id) ?? null }));
}

export interface RotationGroup {
  status: string;
  trigger: string;
  count: number;
}

export async function rotationsByStatusAndTrigger(db: Db, p: ReportPeriod): Promise<RotationGroup[]> {
  const rows = (await db.query(
    `SELECT status, trigger, count(*) AS n FROM secret_rotations
     WHERE finished_at >= $1 AND finished_at < $2 AND status IN ('completed', 'failed') GROUP BY 1, 2 ORDER BY 1, 2`,
    [p.from, p.to],
  )) as { status: string; trigger: string; n: string }[];
  return rows.map((r) => ({ status: r.status, trigger: r.trigger, count: num(r.n) }));
}

export interface FailedRotation {
  id: string;
  secretId: string;
  secretName: string | null;
  trigger: string;
  attempts: number;
  finishedAt: Date | null;
  reason: string;
}

export async function failedRotations(db: Db, p: ReportPeriod): Promise<FailedRotation[]> {
  const rows = (await db.query(
    `SELECT r.id, r.secret_id, s.name, r.trigger, r.attempts, r.finished_at, r.last_error
     FROM secret_rotations r LEFT JOIN secrets s ON s.id = r.secret_id
     WHERE r.status = 'failed' AND r.finished_at >= $1 AND r.finished_at < $2
     ORDER BY r.finished_at DESC, r.id LIMIT ${LIST_LIMIT}`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: String(r.id),
    secretId: String(r.secret_id),
    secretName: (r.name as string | null) ?? null,
    trigger: String(r.trigger),
    attempts: num(r.attempts),
    finishedAt: dateOrNull(r.finished_at),
    reason: (r.last_error as string | null) ?? 'unknown',
  }));
}

export async function failureReasons(db: Db, p: ReportPeriod): Promise<Array<{ reason: string; count: number }>> {
  const rows = (await db.query(
    `SELECT coalesce(last_error, 'unknown') AS reason, count(*) AS n FROM secret_rotations
     WHERE status = 'failed' AND finished_at >= $1 AND finished_at < $2 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50`,
    [p.from, p.to],
  )) as { reason: string; n: string }[];
  return rows.map((r) => ({ reason: r.reason, count: num(r.n) }));
}

export interface FindingRow {
  id: string;
  kind: string;
  severity: string;
  status: string;
  summary: string;
  actor: string | null;
  secretId: string | null;
  detectedAt: Date;
}

/** Open findings and those detected in the period, most severe and newest first. */
export async function findings(db: Db, p: ReportPeriod): Promise<FindingRow[]> {
  const rows = (await db.query(
    `SELECT id, kind, severity, status, summary, actor, secret_id, detected_at FROM security_findings
     WHERE status = 'open' OR (detected_at >= $1 AND detected_at < $2)
     ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, detected_at DESC, id
     LIMIT ${LIST_LIMIT}`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: String(r.id),
    kind: String(r.kind),
    severity: String(r.severity),
    status: String(r.status),
    summary: String(r.summary),
    actor: (r.actor as string | null) ?? null,
    secretId: (r.secret_id as string | null) ?? null,
    detectedAt: dateOrNull(r.detected_at)!,
  }));
}

export async function findingsByKind(db: Db): Promise<Array<{ kind: string; severity: string; count: number }>> {
  const rows = (await db.query(
    "SELECT kind, severity, count(*) AS n FROM security_findings WHERE status = 'open' GROUP BY 1, 2 ORDER BY 1, 2",
  )) as { kind: string; severity: string; n: string }[];
  return rows.map((r) => ({ kind: r.kind, severity: r.severity, count: num(r.n) }));
}

/** Secrets created and deleted since `since` (for "changes since the previous report"). */
export async function churnSince(db: Db, since: Date, now: Date): Promise<{ created: number; deleted: number }> {
  const [r] = (await db.query(
    `SELECT count(*) FILTER (WHERE created_at > $1 AND created_at <= $2) AS created,
       count(*) FILTER (WHERE deleted_at > $1 AND deleted_at <= $2) AS deleted
     FROM secrets WHERE created_at > $1 OR deleted_at > $1`,
    [since, now],
  )) as Record<string, unknown>[];
  return { created: num(r?.created), deleted: num(r?.deleted) };
}

export interface PreviousReport {
  id: string;
  generatedAt: Date;
  metrics: Record<string, unknown>;
}

/** The latest stored security report generated at or before `before` (the new one is not stored yet). */
export async function previousSecurityReport(db: Db, before: Date): Promise<PreviousReport | null> {
  const [r] = (await db.query(
    `SELECT id, generated_at, document->'metrics' AS metrics FROM reports
     WHERE kind = 'security' AND generated_at <= $1 ORDER BY generated_at DESC, id DESC LIMIT 1`,
    [before],
  )) as { id: string; generated_at: Date; metrics: Record<string, unknown> | null }[];
  return r ? { id: r.id, generatedAt: dateOrNull(r.generated_at)!, metrics: r.metrics ?? {} } : null;
}
