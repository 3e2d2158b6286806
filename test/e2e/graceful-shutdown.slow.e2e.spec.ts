import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/app.js';
import { type ChildApp, callChild as call, type ChildAppHarness, childAppHarness } from '../support/child-app.js';
import { connect } from '../support/database.js';

const S = '/api/v1/secrets';
const N = 300;

/**
 * SIGTERM in the middle of a bulk rotation: the process finishes or gives back what it holds,
 * logs no error and exits 0; a second instance finishes the task at once. The lease is an hour,
 * so an item the first instance kept leased would stall the second for that long.
 */
describe('graceful shutdown on SIGTERM', () => {
  let h: ChildAppHarness;

  beforeAll(async () => {
    h = await childAppHarness('shutdown', { LOG_LEVEL: 'info', TASK_LEASE_SECONDS: '3600', TASK_POLL_INTERVAL_MS: '50', TASK_CONCURRENCY: '2' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('stops claiming, releases its items, logs no error and exits 0; another instance completes the task', async () => {
    const a: ChildApp = await h.start();
    const secrets = Array.from({ length: N }, (_, i) => ({ name: `term_${i}`, secret_type: 'API_KEY', tags: { suite: 'term' } }));
    expect((await call(a, 'POST', `${S}/bulk`, { secrets })).body.created).toBe(N);
    const started = await call(a, 'POST', `${S}/rotate-bulk`, { tag: 'suite:term' });
    expect(started.status).toBe(202);
    const statusUrl = started.body.status_url as string;
    await eventually(async () => ((await call(a, 'GET', statusUrl)).body.progress.done >= 25 ? true : null), 120_000);

    const code = await a.stop('SIGTERM');
    expect(code).toBe(0);
    const errorLines = a
      .output()
      .split('\n')
      .filter((l) => /"level":(50|60)|Driver not Connected|\bError\b/.test(l));
    expect(errorLines).toEqual([]);
    expect(a.output()).toMatch(/shut down cleanly/);

    const direct = await connect(h.db.url);
    try {
      const held = await direct.query("SELECT count(*)::int AS n FROM task_items WHERE status = 'pending' AND lease_until > now()");
      expect(held.rows[0].n).toBe(0);
      const done = await direct.query("SELECT count(*)::int AS n FROM task_items WHERE status = 'done'");
      expect(done.rows[0].n).toBeLessThan(N); // the SIGTERM came mid-task
    } finally {
      await direct.end();
    }

    const b = await h.start();
    const finished = await eventually(async () => {
      const st = (await call(b, 'GET', statusUrl)).body;
      return st.status === 'completed' ? st : null;
    }, 180_000);
    expect(finished.progress).toEqual({ done: N, failed: 0, total: N });
    expect(await b.stop('SIGTERM')).toBe(0);
  }, 400_000);
});
