import { dateOrNull, num } from '../document-parts.js';
import type { Db } from '../shared/posture.queries.js';

export interface RotationWindows {
  last24h: { succeeded: number; failed: number };
  last7d: { succeeded: number; failed: number };
  last30d: { succeeded: number; failed: number };
}

/** Rotations finished in the last 24 h / 7 d / 30 d before `now`, in one scan of the 30 days. */
export async function rotationWindows(db: Db, now: Date): Promise<RotationWindows> {
  const [r] = (await db.query(
    `SELECT
       count(*) FILTER (WHERE status = 'completed' AND finished_at >= $1::timestamptz - interval '24 hours') AS ok_24h,
       count(*) FILTER (WHERE status = 'failed' AND finished_at >= $1::timestamptz - interval '24 hours') AS failed_24h,
       count(*) FILTER (WHERE status = 'completed' AND finished_at >= $1::timestamptz - interval '7 days') AS ok_7d,
       count(*) FILTER (WHERE status = 'failed' AND finished_at >= $1::timestamptz - interval '7 days') AS failed_7d,
       count(*) FILTER (WHERE status = 'completed') AS ok_30d,
       count(*) FILTER (WHERE status = 'failed') AS failed_30d
     FROM secret_rotations
     WHERE finished_at >= $1::timestamptz - interval '30 days' AND finished_at <= $1 AND status IN ('completed', 'failed')`,
    [now],
  )) as Record<string, unknown>[];
  return {
    last24h: { succeeded: num(r?.ok_24h), failed: num(r?.failed_24h) },
    last7d: { succeeded: num(r?.ok_7d), failed: num(r?.failed_7d) },
    last30d: { succeeded: num(r?.ok_30d), failed: num(r?.failed_30d) },
  };
}

/** Successful value reads in the 24 h before `now`. */
export async function valueReadsLast24h(db: Db, now: Date): Promise<number> {
  const [r] = (await db.query(
    `SELECT count(*) AS n FROM audit_events
     WHERE occurred_at >= $1::timestamptz - interval '24 hours' AND occurred_at <= $1
       AND action = 'secret.value_read' AND outcome = 'success'`,
    [now],
  )) as { n: string }[];
  return num(r?.n);
}

/** The live secret that has gone longest without rotation (creation counts when never rotated). */
export async function oldestRotation(db: Db): Promise<{ id: string; name: string; since: Date } | null> {
  const [r] = (await db.query(
    `SELECT id, name, coalesce(last_rotated_at, created_at) AS since FROM secrets WHERE deleted_at IS NULL
     ORDER BY coalesce(last_rotated_at, created_at) ASC, name ASC LIMIT 1`,
  )) as { id: string; name: string; since: Date }[];
  return r ? { id: r.id, name: r.name, since: dateOrNull(r.since)! } : null;
}
