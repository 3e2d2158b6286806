/** `npm run migration:run`: applies pending migrations to DATABASE_URL, or to the embedded database. */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, parseConfig, readProcessEnv } from '../config/index.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedDatabaseBusyError, startEmbeddedPostgres } from './embedded-postgres.js';
import { runMigrations } from './migrate.js';

async function main(): Promise<void> {
  const config = parseConfig(readProcessEnv());
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir, 2);
  const ds = new DataSource(dataSourceOptions(config.database.url ?? embedded!.url, 2));
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
  const oneLine = e instanceof ConfigError || e instanceof EmbeddedDatabaseBusyError;
  process.stderr.write(`migration:run: ${oneLine ? (e as Error).message : ((e as Error).stack ?? String(e))}\n`);
  process.exit(1);
});
