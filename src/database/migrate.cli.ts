/**
 * `npm run migration:run`: applies pending migrations to DATABASE_URL, or to the embedded database.
 * Compiled with the build, so it runs in the image: `node dist/src/database/migrate.cli.js`.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { ConfigError, parseConfig, readProcessEnv } from '../config/index.js';
import { SCHEMA } from '../composition/schema.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedDatabaseBusyError, startEmbeddedPostgres } from './embedded-postgres.js';
import { runMigrations } from './migrate.js';

const USAGE = `usage: npm run migration:run      (in the image: node dist/src/database/migrate.cli.js)

Applies the pending migrations to DATABASE_URL (or, without it, to the embedded database in
DATA_DIR) under an advisory lock, so it is safe while replicas start. The service also migrates
at boot; run this to migrate ahead of a rollout.

exit code: 0 applied (or nothing to do), 1 failed, 2 usage error, 78 configuration error`;

async function main(): Promise<void> {
  let help = false;
  try {
    help = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } }).values.help ?? false;
  } catch (e) {
    process.stderr.write(`migration:run: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = parseConfig(readProcessEnv());
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir, 2);
  const ds = new DataSource(dataSourceOptions(SCHEMA, config.database.url ?? embedded!.url, 2, config.operations, embedded ? undefined : config.tls.databaseCaFile));
  await ds.initialize();
  try {
    const done = await runMigrations(ds);
    process.stdout.write(done.length ? `applied: ${done.join(', ')}\n` : 'nothing to apply: the schema is up to date\n');
  } finally {
    await ds.destroy();
    await embedded?.stop();
  }
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`migration:run: configuration error: ${e.message}\n`);
    process.exit(78);
  }
  const oneLine = e instanceof EmbeddedDatabaseBusyError;
  process.stderr.write(`migration:run: ${oneLine ? (e as Error).message : ((e as Error).stack ?? String(e))}\n`);
  process.exit(1);
});
