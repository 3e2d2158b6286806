import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

/** A stable 63-bit lock key for a name, so every replica agrees on it. */
export function lockKey(name: string): string {
  return createHash('sha256').update(`strongroom:${name}`).digest().readBigInt64BE(0).toString();
}

/** Takes a transaction-scoped advisory lock (waits); released at commit or rollback. */
export async function advisoryXactLock(tx: EntityManager, name: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(name)]);
}

/**
 * Runs `fn` while holding a session advisory lock on one dedicated connection; returns
 * `{ acquired: false }` at once when another session holds it.
 */
export async function withTryAdvisoryLock<T>(
  dataSource: DataSource,
  name: string,
  fn: () => Promise<T>,
): Promise<{ acquired: true; result: T } | { acquired: false }> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const key = lockKey(name);
    const [row] = (await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])) as { ok: boolean }[];
    if (!row?.ok) return { acquired: false };
    try {
      return { acquired: true, result: await fn() };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  } finally {
    await runner.release();
  }
}
