import { AuditAction } from '../../audit-log/audit-catalogue.js';
import { dateOrNull, num } from '../document-parts.js';
import type { ReportPeriod } from '../reports.types.js';
import type { Db } from '../shared/posture.queries.js';
import type { Policy } from '../../policies/policy-evaluation.js';

/**
 * Who touched which secret, from the audit log, aggregated by PostgreSQL. Only successful rows
 * naming a secret count:
 *  - value read: secret.value_read
 *  - metadata read: secret.read, secret.versions_read, secret.rotations_read
 *  - change: created, updated, value_updated, rotated, deleted, restored, purged
 */
export const VALUE_READ_ACTIONS: string[] = [AuditAction.SecretValueRead];
export const METADATA_READ_ACTIONS: string[] = [AuditAction.SecretRead, AuditAction.SecretVersionsRead, AuditAction.SecretRotationsRead];
export const CHANGE_ACTIONS: string[] = [
  AuditAction.SecretCreated,
  AuditAction.SecretUpdated,
  AuditAction.SecretValueUpdated,
  AuditAction.SecretRotated,
  AuditAction.SecretDeleted,
  AuditAction.SecretRestored,
  AuditAction.SecretPurged,
];
export const ACCESS_ACTIONS = [...VALUE_READ_ACTIONS, ...METADATA_READ_ACTIONS, ...CHANGE_ACTIONS];

/** Rows per table in the document; totals cover everything. */
export const ACTOR_LIMIT = 1000;
export const SECRET_LIMIT = 1000;
export const PAIR_LIMIT = 2000;

const ACCESS_WHERE = `occurred_at >= $1 AND occurred_at < $2 AND outcome = 'success' AND secret_id IS NOT NULL AND action = ANY($3)`;
const COUNTS = `count(*) FILTER (WHERE action = ANY($4)) AS value_reads,
  count(*) FILTER (WHERE action = ANY($5)) AS metadata_reads,
  count(*) FILTER (WHERE action = ANY($6)) AS changes,
  min(occurred_at) AS first_at, max(occurred_at) AS last_at`;
const params = (p: ReportPeriod) => [p.from, p.to, ACCESS_ACTIONS, VALUE_READ_ACTIONS, METADATA_READ_ACTIONS, CHANGE_ACTIONS];

export interface AccessCounts {
  valueReads: number;
  metadataReads: number;
  changes: number;
  first: Date | null;
  last: Date | null;
}

const counts = (r: Record<string, unknown>): AccessCounts => ({
  valueReads: num(r.value_reads),
  metadataReads: num(r.metadata_reads),
  changes: num(r.changes),
  first: dateOrNull(r.first_at),
  last: dateOrNull(r.last_at),
});

export interface AccessTotals extends AccessCounts {
  actors: number;
  secrets: number;
  pairs: number;
}

export async function accessTotals(db: Db, p: ReportPeriod): Promise<AccessTotals> {
  const [r] = (await db.query(
    `SELECT ${COUNTS}, count(DISTINCT actor) AS actors, count(DISTINCT secret_id) AS secrets,
       count(DISTINCT (actor, secret_id)) AS pairs
     FROM audit_events WHERE ${ACCESS_WHERE}`,
    params(p),
  )) as Record<string, unknown>[];
  return { ...counts(r ?? {}), actors: num(r?.actors), secrets: num(r?.secrets), pairs: num(r?.pairs) };
}

export interface ActorAccess extends AccessCounts {
  actor: string;
  roles: string;
  secrets: number;
}

export async function accessByActor(db: Db, p: ReportPeriod): Promise<ActorAccess[]> {
  const rows = (await db.query(
    `SELECT actor, string_agg(DISTINCT array_to_string(roles, '+'), ', ') AS roles, count(DISTINCT secret_id) AS secrets, ${COUNTS}
     FROM audit_events WHERE ${ACCESS_WHERE}
     GROUP BY actor ORDER BY count(*) DESC, actor LIMIT ${ACTOR_LIMIT}`,
    params(p),
  )) as Record<string, unknown>[];
  return rows.map((r) => ({ actor: String(r.actor), roles: String(r.roles ?? ''), secrets: num(r.secrets), ...counts(r) }));
}

export interface SecretAccess extends AccessCounts {
  secretId: string;
  secretName: string | null;
  actors: number;
}

export async function accessBySecret(db: Db, p: ReportPeriod): Promise<SecretAccess[]> {
  const rows = (await db.query(
    `SELECT secret_id, max(secret_name) AS secret_name, count(DISTINCT actor) AS actors, ${COUNTS}
     FROM audit_events WHERE ${ACCESS_WHERE}
     GROUP BY secret_id ORDER BY count(*) DESC, secret_id LIMIT ${SECRET_LIMIT}`,
    params(p),
  )) as Record<string, unknown>[];
  return rows.map((r) => ({ secretId: String(r.secret_id), secretName: (r.secret_name as string | null) ?? null, actors: num(r.actors), ...counts(r) }));
}

export interface PairAccess extends AccessCounts {
  actor: string;
  secretId: string;
  secretName: string | null;
}

export async function accessByActorAndSecret(db: Db, p: ReportPeriod): Promise<PairAccess[]> {
  const rows = (await db.query(
    `SELECT actor, secret_id, max(secret_name) AS secret_name, ${COUNTS}
     FROM audit_events WHERE ${ACCESS_WHERE}
     GROUP BY actor, secret_id ORDER BY actor, count(*) DESC, secret_id LIMIT ${PAIR_LIMIT}`,
    params(p),
  )) as Record<string, unknown>[];
  return rows.map((r) => ({ actor: String(r.actor), secretId: String(r.secret_id), secretName: (r.secret_name as string | null) ?? null, ...counts(r) }));
}

export interface DormantActor {
  actor: string;
  roles: string;
  lastSeen: Date;
}

/**
 * Actors who hold access but did not use it: Strongroom has no user directory, so "holds access"
 * means an audit row with the admin or auditor role in the 12 months before the period (system
 * actors and anonymous callers left out), and "did not use it" means no read or change of any
 * secret within the period.
 */
export async function dormantActors(db: Db, p: ReportPeriod): Promise<DormantActor[]> {
  const rows = (await db.query(
    `WITH seen AS (
       SELECT actor, string_agg(DISTINCT array_to_string(roles, '+'), ', ') AS roles, max(occurred_at) AS last_seen
       FROM audit_events
       WHERE occurred_at >= $1::timestamptz - interval '12 months' AND occurred_at < $1
         AND roles && ARRAY['admin', 'auditor']::text[] AND actor NOT LIKE 'system:%' AND actor <> 'anonymous'
       GROUP BY actor
     ), active AS (
       SELECT DISTINCT actor FROM audit_events WHERE ${ACCESS_WHERE}
     )
     SELECT s.actor, s.roles, s.last_seen FROM seen s
     WHERE NOT EXISTS (SELECT 1 FROM active a WHERE a.actor = s.actor)
     ORDER BY s.actor LIMIT ${ACTOR_LIMIT}`,
    [p.from, p.to, ACCESS_ACTIONS],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({ actor: String(r.actor), roles: String(r.roles ?? ''), lastSeen: dateOrNull(r.last_seen)! }));
}

/** Accesses per UTC day within the period (for the chart). */
export async function accessesPerDay(db: Db, p: ReportPeriod): Promise<Array<{ day: string; count: number }>> {
  const rows = (await db.query(
    `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n FROM audit_events WHERE ${ACCESS_WHERE} GROUP BY 1 ORDER BY 1`,
    [p.from, p.to, ACCESS_ACTIONS],
  )) as { day: string; n: string }[];
  return rows.map((r) => ({ day: r.day, count: num(r.n) }));
}

/** An access policy as the review shows it: the policies module's evaluated shape, read by that module. */
export type PolicyRow = Policy;

/** Value reads in the period by the given subs, one row per (sub, secret) with what selectors look at. */
export interface SubjectRead {
  actor: string;
  secretId: string;
  name: string;
  secretType: string;
  tags: Record<string, string>;
}

export const SUBJECT_READ_LIMIT = 20_000;

export async function valueReadsBySubs(db: Db, p: ReportPeriod, subs: string[]): Promise<SubjectRead[]> {
  if (subs.length === 0) return [];
  const rows = (await db.query(
    `SELECT DISTINCT a.actor, a.secret_id, s.name, s.secret_type, s.tags
     FROM audit_events a JOIN secrets s ON s.id = a.secret_id
     WHERE a.occurred_at >= $1 AND a.occurred_at < $2 AND a.outcome = 'success' AND a.action = $3 AND a.actor = ANY($4)
     LIMIT ${SUBJECT_READ_LIMIT}`,
    [p.from, p.to, AuditAction.SecretValueRead, subs],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({
    actor: String(r.actor),
    secretId: String(r.secret_id),
    name: String(r.name),
    secretType: String(r.secret_type),
    tags: (r.tags as Record<string, string>) ?? {},
  }));
}

/** The given subs that listed secrets successfully in the period. */
export async function listingSubs(db: Db, p: ReportPeriod, subs: string[]): Promise<Set<string>> {
  if (subs.length === 0) return new Set();
  const rows = (await db.query(
    `SELECT DISTINCT actor FROM audit_events
     WHERE occurred_at >= $1 AND occurred_at < $2 AND outcome = 'success' AND action = $3 AND actor = ANY($4)`,
    [p.from, p.to, AuditAction.SecretListed, subs],
  )) as { actor: string }[];
  return new Set(rows.map((r) => r.actor));
}

/** Per policy, the actors whose value reads it granted in the period (readers' rows name it). */
export async function valueReadsByPolicy(db: Db, p: ReportPeriod): Promise<Map<string, Set<string>>> {
  const rows = (await db.query(
    `SELECT DISTINCT details->>'policy' AS policy, actor FROM audit_events
     WHERE occurred_at >= $1 AND occurred_at < $2 AND outcome = 'success' AND action = $3 AND details ? 'policy'
     LIMIT ${SUBJECT_READ_LIMIT}`,
    [p.from, p.to, AuditAction.SecretValueRead],
  )) as { policy: string; actor: string }[];
  const out = new Map<string, Set<string>>();
  for (const r of rows) out.set(r.policy, (out.get(r.policy) ?? new Set()).add(r.actor));
  return out;
}
