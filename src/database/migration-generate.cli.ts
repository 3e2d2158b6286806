/**
 * Writes a migration for whatever the entities declare that the migrations do not yet create:
 * `npm run migration:generate -- <Name>`. Works on a scratch database on TEST_POSTGRES_URL (or
 * the machine's PostgreSQL), so no real database is touched.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../composition/schema.js';
import { dataSourceOptions } from './data-source-options.js';

export async function pendingSchemaChanges(url: string): Promise<{ up: string[]; down: string[] }> {
  const ds = new DataSource(dataSourceOptions(SCHEMA, url, 2));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const sql = await ds.driver.createSchemaBuilder().log();
    return {
      up: sql.upQueries.map((q) => q.query),
      down: sql.downQueries.map((q) => q.query).reverse(),
    };
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const usage =
    'usage: npm run migration:generate -- <PascalCaseName>\n\n' +
    'Writes src/database/migrations/<timestamp>-<Name>.ts with what the entities declare that the\n' +
    'migrations do not create yet (computed on a scratch database on TEST_POSTGRES_URL, or the local\n' +
    'PostgreSQL); register it in src/composition/schema.ts (MIGRATIONS). A development tool.\n';
  if (name === '--help' || name === '-h') {
    process.stdout.write(usage);
    process.exit(0);
  }
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const admin = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const scratch = `strongroom_migration_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${scratch}`);
  try {
    const url = new URL(admin);
    url.pathname = `/${scratch}`;
    const { up, down } = await pendingSchemaChanges(url.toString());
    if (up.length === 0) {
      process.stdout.write('No changes: the migrations already match the entities.\n');
      return;
    }
    const stamp = Date.now();
    const cls = `${name}${stamp}`;
    const q = (s: string) => `    await queryRunner.query(${JSON.stringify(s)});`;
    const file = join('src', 'database', 'migrations', `${stamp}-${name}.ts`);
    writeFileSync(
      file,
      `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\n` +
        `export class ${cls} implements MigrationInterface {\n  name = '${cls}';\n\n` +
        `  async up(queryRunner: QueryRunner): Promise<void> {\n${up.map(q).join('\n')}\n  }\n\n` +
        `  async down(queryRunner: QueryRunner): Promise<void> {\n${down.map(q).join('\n')}\n  }\n}\n`,
    );
    process.stdout.write(`Wrote ${file}; add ${cls} to MIGRATIONS in src/composition/schema.ts\n`);
  } finally {
    await c.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await c.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
