import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, TEST_ENCRYPTION_KEY } from '../support/app.js';
import { type ChildApp, startChildApp } from '../support/child-app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { adminToken, TEST_JWT_SECRET } from '../support/tokens.js';

const S = '/api/v1/secrets';
const N = 400;

/** The service killed with SIGKILL in the middle of a bulk rotation, then started again. */
describe('crash in the middle of a bulk rotation', () => {
  let db: TestDatabase;
  let dataDir: string;
  let service: ChildApp | undefined;
  const env = () => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    JOBS_ENABLED: 'false',
    TASK_LEASE_SECONDS: '2',
    TASK_POLL_INTERVAL_MS: '50',
    TASK_CONCURRENCY: '2',
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(service!.url + path, {
      method,
      headers: { authorization: `Bearer ${adminToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'strongroom-crash-'));
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves every secret readable, completes the task after a restart, and rotates no secret twice', async () => {
    service = await startChildApp(env());
    const secrets = Array.from({ length: N }, (_, i) => ({ name: `crash_${i}`, secret_type: 'API_KEY', tags: { suite: 'crash' } }));
    expect((await call('POST', `${S}/bulk`, { secrets })).body.created).toBe(N);
    const started = await call('POST', `${S}/rotate-bulk`, { tag: 'suite:crash' });
    expect(started.status).toBe(202);
    const statusUrl = started.body.status_url as string;

    await eventually(async () => {
      const st = (await call('GET', statusUrl)).body;
      return st.progress.done >= 40 ? st : null;
    }, 120_000);
    await service.stop('SIGKILL');
    service = undefined;

    const db1 = await connect(db.url);
    try {
      const mid = await db1.query("SELECT count(*) FILTER (WHERE status = 'done')::int AS done FROM task_items");
      expect(mid.rows[0].done).toBeGreaterThanOrEqual(40);
      expect(mid.rows[0].done).toBeLessThan(N);
    } finally {
      await db1.end();
    }

    service = await startChildApp(env());
    const finished = await eventually(async () => {
      const st = (await call('GET', statusUrl)).body;
      return st.status === 'completed' ? st : null;
    }, 180_000);
    expect(finished.progress).toEqual({ done: N, failed: 0, total: N });

    const list: { id: string; version: number }[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string; version: number }[]; next_cursor: string | null } = (await call('GET', `${S}/?tag=suite:crash&limit=500${cursor ? `&cursor=${cursor}` : ''}`)).body;
      list.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    expect(list).toHaveLength(N);
    expect(list.every((s) => s.version === 2)).toBe(true);
    for (const s of list) {
      const v = await call('GET', `${S}/${s.id}/value`);
      expect(v.status).toBe(200);
      expect(v.body.value).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    const db2 = await connect(db.url);
    try {
      const r = await db2.query('SELECT count(*)::int AS n, count(DISTINCT secret_id)::int AS d FROM secret_rotations');
      expect(r.rows[0]).toEqual({ n: N, d: N });
      const v = await db2.query('SELECT count(*)::int AS n FROM secret_versions');
      expect(v.rows[0].n).toBe(2 * N);
    } finally {
      await db2.end();
    }
  }, 300_000);
});
