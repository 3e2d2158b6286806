import type { DataSource } from 'typeorm';
import { lockKey } from './advisory-lock.js';

/**
 * Runs pending migrations under a session advisory lock, so replicas starting together migrate
 * once and the others wait, then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = lockKey('migrations');
  try {
    await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    const done = await dataSource.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    await runner.release();
  }
}
