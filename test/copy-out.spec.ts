import 'reflect-metadata';
import { DataSource, type QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOut, type PgClientLike } from '../src/audit/copy-out.js';
import { BoundedClient } from '../src/database/bounded-client.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { createTestDatabase, EMBEDDED_DB, type TestDatabase } from './support/database.js';

/** Timers alive in this process (pg starts one per query when `query_timeout` is set, as our pool does). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

// The export's COPY OUT submittable on a connection of the service's own pool (query_timeout set).
describe.skipIf(EMBEDDED_DB)('copyOut (COPY … TO STDOUT on a pooled connection)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let runner: QueryRunner;
  let client: PgClientLike;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource({ ...dataSourceOptions({ entities: [], migrations: [] }, db.url, 1, undefined, undefined, false) });
    await ds.initialize();
    await ds.query("CREATE TABLE t AS SELECT g AS id, repeat('x', 200) || g AS label FROM generate_series(1, 20000) g");
    runner = ds.createQueryRunner();
    client = (await runner.connect()) as PgClientLike;
  });

  afterAll(async () => {
    await runner?.release();
    await ds?.destroy();
    await db?.drop();
  });

  it('returns the rows exactly as PostgreSQL formats them, and the row count', async () => {
    const r = await copyOut(client, 'COPY (SELECT id, label FROM t WHERE id <= 3 ORDER BY id) TO STDOUT WITH (FORMAT csv)');
    const x = 'x'.repeat(200);
    expect(r.data.toString()).toBe(`1,${x}1\n2,${x}2\n3,${x}3\n`);
    expect(r.rows).toBe(3);
    const all = await copyOut(client, 'COPY (SELECT id, label FROM t ORDER BY id) TO STDOUT WITH (FORMAT csv)', 1000);
    expect(all.rows).toBe(20000);
    const [{ bytes }] = (await runner.query("SELECT sum(length(id::text || ',' || label) + 1)::int AS bytes FROM t")) as { bytes: number }[];
    expect(all.data.length).toBe(bytes);
  });

  // A submittable that never calls pg's callback leaves pg's read timer running, and the timer
  // holds the query and its whole buffer until it fires: an export of N batches held them all.
  it('leaves no read timer (and so no reference to its buffer) behind once it has settled', async () => {
    const before = timers();
    for (let i = 0; i < 5; i++) await copyOut(client, 'COPY (SELECT id, label FROM t ORDER BY id) TO STDOUT WITH (FORMAT csv)');
    await expect(copyOut(client, 'COPY (SELECT no_such_column FROM t) TO STDOUT')).rejects.toThrow(/no_such_column/);
    expect(timers()).toBeLessThanOrEqual(before);
    // The connection is still usable after the failed COPY.
    expect((await copyOut(client, 'COPY (SELECT 1) TO STDOUT')).data.toString()).toBe('1\n');
  });

  // A server that stops answering mid-COPY: pg's read timeout rejects the COPY, and the connection
  // (still waiting for that reply) is dropped so the pool discards it instead of reusing it.
  it('drops its connection when pg\'s read timeout fires', async () => {
    const silent = new BoundedClient({ connectionString: db.url, query_timeout: 300 });
    await silent.connect();
    const ended = new Promise<void>((resolve) => silent.once('end', () => resolve()));
    silent.on('error', () => undefined);
    try {
      await expect(copyOut(silent as unknown as PgClientLike, 'COPY (SELECT pg_sleep(3)) TO STDOUT')).rejects.toThrow(/Query read timeout/);
      // Bounded: a kept connection fails here in seconds rather than at the test's own timeout.
      await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection was kept')), 5_000).unref())]);
      await expect(silent.query('SELECT 1')).rejects.toThrow();
    } finally {
      await silent.end().catch(() => undefined);
    }
  });
});
