import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobScheduler } from '../../src/jobs/job-scheduler.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';

const JOB = 'check_expired_secrets';

/**
 * Two replicas on one database, each with its own clock. A cron callback that runs late (a
 * replica paused across a fire) must map to the fire it belongs to, so every fire runs once.
 */
describe('scheduled slots are keyed by the fire time', () => {
  const clockA = new TestClock(new Date('2026-12-01T12:00:00.100Z'));
  const clockB = new TestClock(new Date('2026-12-01T12:00:00.100Z'));
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { JOB_CHECK_EXPIRED_SECRETS_CRON: '*/20 * * * * *' };
    a = await startTestApp({ env, clock: clockA });
    b = await startTestApp({ env, clock: clockB, db: a.db });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  const setTo = (clock: TestClock, iso: string) => clock.advance(new Date(iso).getTime() - clock.now().getTime());

  it('runs every */20 fire once across replicas, including one a paused replica fires late', async () => {
    const tick = async (app: TestApp, clock: TestClock, iso: string) => {
      setTo(clock, iso);
      return app.app.get(JobScheduler).tick(JOB);
    };
    // 12:00:00 — both replicas fire on time: one runs it.
    expect([await tick(a, clockA, '2026-12-01T12:00:00.050Z'), await tick(b, clockB, '2026-12-01T12:00:00.300Z')].sort()).toEqual(['ran', 'skipped']);
    // 12:00:20 and 12:00:40 — each its own slot, within the same minute.
    expect(await tick(a, clockA, '2026-12-01T12:00:20.010Z')).toBe('ran');
    expect(await tick(a, clockA, '2026-12-01T12:00:40.010Z')).toBe('ran');
    // B was paused across 12:00:20 and 12:00:40; its late callbacks run at 12:00:41 — the 12:00:40 fire, already run.
    expect(await tick(b, clockB, '2026-12-01T12:00:41.500Z')).toBe('skipped');
    // 12:01:00 — B (resumed) fires on time, A's callback is late: one run, not two, and not skipped.
    expect(await tick(b, clockB, '2026-12-01T12:01:00.020Z')).toBe('ran');
    expect(await tick(a, clockA, '2026-12-01T12:01:19.900Z')).toBe('skipped');

    const db = await connect(a.db.url);
    try {
      const runs = await db.query("SELECT slot FROM job_runs WHERE job_name = $1 AND trigger = 'schedule' ORDER BY slot", [JOB]);
      expect(runs.rows.map((r) => (r.slot as Date).toISOString())).toEqual([
        '2026-12-01T12:00:00.000Z',
        '2026-12-01T12:00:20.000Z',
        '2026-12-01T12:00:40.000Z',
        '2026-12-01T12:01:00.000Z',
      ]);
    } finally {
      await db.end();
    }
  });
});
