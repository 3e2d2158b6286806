import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PREPARED_PER_CONNECTION, PREPARE_AFTER_USES } from '../src/database/bounded-client.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { createTestDatabase, EMBEDDED_DB, type TestDatabase } from './support/database.js';

// The pool's prepared-statement learning, on the real PostgreSQL (the embedded database never uses it).
describe.skipIf(EMBEDDED_DB)('prepared statements (PreparingClient)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    // One connection, so every statement below runs on the session whose prepared statements we read.
    ds = new DataSource({ ...dataSourceOptions({ entities: [], migrations: [] }, db.url, 1, undefined, undefined, true) });
    await ds.initialize();
    await ds.query('CREATE TABLE t (id int PRIMARY KEY, label text)');
    await ds.query("INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 10) g");
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const prepared = async () =>
    ((await ds.query('SELECT statement FROM pg_prepared_statements')) as { statement: string }[]).map((r) => r.statement);

  it('prepares a parameterised statement once it has been used a few times, and answers the same', async () => {
    const text = 'SELECT label FROM t WHERE id = $1';
    for (let i = 1; i < PREPARE_AFTER_USES; i++) expect(await ds.query(text, [i])).toEqual([{ label: `row ${i}` }]);
    expect(await prepared()).not.toContain(text);
    for (let i = PREPARE_AFTER_USES; i <= 8; i++) expect(await ds.query(text, [i])).toEqual([{ label: `row ${i}` }]);
    expect(await prepared()).toContain(text);
  });

  it('leaves statements without parameters unprepared', async () => {
    for (let i = 0; i < PREPARE_AFTER_USES + 2; i++) await ds.query('SELECT count(*)::int AS n FROM t');
    expect(await prepared()).not.toContain('SELECT count(*)::int AS n FROM t');
  });

  it('forgets a prepared statement that a schema change made unusable; the next query works', async () => {
    const text = 'SELECT * FROM t WHERE id = $1';
    for (let i = 0; i < PREPARE_AFTER_USES; i++) await ds.query(text, [1]);
    await ds.query('ALTER TABLE t ALTER COLUMN label TYPE varchar(40)');
    // PostgreSQL refuses the cached plan whose result type changed: the request fails once...
    await expect(ds.query(text, [1])).rejects.toThrow(/cached plan must not change result type/);
    // ...and the statement is forgotten: the next use runs (and is later prepared) afresh.
    for (let i = 0; i < PREPARE_AFTER_USES + 1; i++) expect(await ds.query(text, [2])).toEqual([{ id: 2, label: 'row 2' }]);
    expect((await prepared()).filter((s) => s === text)).toHaveLength(2);
  });

  it(`prepares at most ${MAX_PREPARED_PER_CONNECTION} statements per connection`, async () => {
    for (let k = 0; k < MAX_PREPARED_PER_CONNECTION + 10; k++) {
      for (let i = 0; i < PREPARE_AFTER_USES; i++) await ds.query(`SELECT $1::int + ${k} AS n`, [i]);
    }
    expect((await prepared()).length).toBe(MAX_PREPARED_PER_CONNECTION);
    // Beyond the cap, statements still run (unnamed).
    expect(await ds.query('SELECT $1::int + 100000 AS n', [1])).toEqual([{ n: 100001 }]);
  });
});
