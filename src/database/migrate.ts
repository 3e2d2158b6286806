import { type DataSource, MigrationExecutor } from 'typeorm';
import { lockKey } from './advisory-lock.js';

/**
 * Runs pending migrations under a session advisory lock, so replicas starting together migrate
 * once and the others wait, then find nothing to do. The lock wait and the migrations run on one
 * connection without the statement timeout: waiting for another replica's long migration or
 * building an index on a big table is not a hung request.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = lockKey('migrations');
  try {
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const done = await executor.executePendingMigrations();
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    await runner.query('RESET statement_timeout').catch(() => undefined);
    await runner.release();
  }
}
