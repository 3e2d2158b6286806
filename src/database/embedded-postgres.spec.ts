import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabaseBusyError, type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.js';

describe('embedded PostgreSQL server (PGlite behind a loopback socket)', () => {
  let dir: string;
  let db: EmbeddedPostgres;
  const clients: pg.Client[] = [];
  const client = async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-embedded-spec-'));
    db = await startEmbeddedPostgres(dir, 10, { lockWaitMs: 500 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never mixes the statements of concurrent connections', async () => {
    const conns = await Promise.all(Array.from({ length: 5 }, () => client()));
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        conns[i % conns.length]!.query('SELECT $1::int AS n, $2::text AS who', [i, `c${i % conns.length}`]).then((r) => r.rows[0]),
      ),
    );
    answers.forEach((row, i) => expect(row).toEqual({ n: i, who: `c${i % conns.length}` }));
    // An error in one connection's statement does not leak into another's.
    const [bad, good] = await Promise.allSettled([conns[0]!.query('SELECT 1/$1::int', [0]), conns[1]!.query('SELECT $1::int AS n', [7])]);
    expect(bad.status).toBe('rejected');
    expect(good).toMatchObject({ status: 'fulfilled', value: { rows: [{ n: 7 }] } });
  });

  it('gives a waiting connection SQLSTATE 55P03 instead of hanging behind a held transaction', async () => {
    const [a, b] = [await client(), await client()];
    await a.query('BEGIN');
    await a.query('CREATE TEMP TABLE IF NOT EXISTS t (x int)');
    const waited = await b.query('SELECT 1').then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    );
    expect(waited).toBe('55P03');
    await a.query('COMMIT');
    expect((await b.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });

  it('serves a waiting connection once the transaction ends', async () => {
    const [a, b] = [await client(), await client()];
    await a.query('BEGIN');
    const later = b.query('SELECT 3 AS n');
    await a.query('SELECT 1');
    await a.query('COMMIT');
    expect((await later).rows).toEqual([{ n: 3 }]);
  });

  it('rolls back the transaction of a client that disconnects', async () => {
    const a = new pg.Client({ connectionString: db.url });
    await a.connect();
    await a.query('BEGIN');
    await a.query('CREATE TABLE gone (x int)');
    await a.end();
    const b = await client();
    expect((await b.query("SELECT to_regclass('gone') AS t")).rows).toEqual([{ t: null }]);
  });

  it('refuses a second server on the same data directory while this one runs', async () => {
    await expect(startEmbeddedPostgres(dir, 2)).rejects.toBeInstanceOf(EmbeddedDatabaseBusyError);
  });
});
