import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/app.js';
import { type ChildAppHarness, childAppHarness } from '../support/child-app.js';
import { connect } from '../support/database.js';

const S = '/api/v1/secrets';
const N = 400;

/** The service killed with SIGKILL in the middle of a bulk rotation, then started again. */
describe('crash in the middle of a bulk rotation', () => {
  let h: ChildAppHarness;
  const call = (method: string, path: string, body?: unknown) => h.call(method, path, body);

  beforeAll(async () => {
    h = await childAppHarness('crash', { TASK_LEASE_SECONDS: '2', TASK_POLL_INTERVAL_MS: '50', TASK_CONCURRENCY: '2' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('leaves every secret readable, completes the task after a restart, and rotates no secret twice', async () => {
    await h.start();
    const secrets = Array.from({ length: N }, (_, i) => ({ name: `crash_${i}`, secret_type: 'API_KEY', tags: { suite: 'crash' } }));
    expect((await call('POST', `${S}/bulk`, { secrets })).body.created).toBe(N);
    const started = await call('POST', `${S}/rotate-bulk`, { tag: 'suite:crash' });
    expect(started.status).toBe(202);
    const statusUrl = started.body.status_url as string;

    await eventually(async () => {
      const st = (await call('GET', statusUrl)).body;
      return st.progress.done >= 40 ? st : null;
    }, 120_000);
    await h.kill();

    const db1 = await connect(h.db.url);
    try {
      const mid = await db1.query("SELECT count(*) FILTER (WHERE status = 'done')::int AS done FROM task_items");
      expect(mid.rows[0].done).toBeGreaterThanOrEqual(40);
      expect(mid.rows[0].done).toBeLessThan(N);
    } finally {
      await db1.end();
    }

    await h.start();
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
    const db2 = await connect(h.db.url);
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
