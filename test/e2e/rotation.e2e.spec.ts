import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobScheduler } from '../../src/jobs/job-scheduler.js';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, EMBEDDED_DB } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { auditorToken } from '../support/tokens.js';

const S = '/api/v1/secrets';

describe('rotation (local store)', () => {
  let app: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    app = await startTestApp({ clock });
  });
  afterAll(() => app?.stop());

  const create = async (body: Record<string, unknown>) => {
    const res = await app.call('POST', `${S}/`, { body });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number; next_rotation_at: string };
  };
  const value = async (id: string, version?: number) =>
    (await app.call('GET', `${S}/${id}/value${version ? `?version=${version}` : ''}`)).body.value as string;

  it('rotates a generated secret now: new current value, old one readable as previous, history recorded', async () => {
    const s = await create({ name: 'rot_api', secret_type: 'API_KEY', rotation_interval_days: 30 });
    const before = await value(s.id);
    const res = await app.call('POST', `${S}/${s.id}/rotate`, { body: { reason: 'quarterly' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ secret_id: s.id, status: 'completed', trigger: 'manual', triggered_by: 'ops-admin', attempts: 1, from_version: 1, to_version: 2, reason: 'quarterly' });
    const after = await value(s.id);
    expect(after).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(after).not.toBe(before);
    expect(await value(s.id, 1)).toBe(before);
    const details = (await app.call('GET', `${S}/${s.id}`)).body;
    expect(details).toMatchObject({ version: 2, rotation_status: 'completed', last_rotated_at: clock.now().toISOString() });
    expect(Date.parse(details.next_rotation_at) - clock.now().getTime()).toBe(30 * 86_400_000);
    const history = await app.call('GET', `${S}/${s.id}/rotations`, { token: auditorToken() });
    expect(history.status).toBe(200);
    expect(history.body.map((r: { status: string }) => r.status)).toEqual(['completed']);
  });

  it('needs a value for types that cannot be generated, and takes one', async () => {
    const s = await create({ name: 'rot_oauth', secret_type: 'OAUTH_TOKEN', value: 'oauth-1' });
    const missing = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/OAUTH_TOKEN values cannot be generated: send the new value/);
    const res = await app.call('POST', `${S}/${s.id}/rotate`, { body: { value: 'oauth-2' } });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('oauth-2');
    expect(await value(s.id)).toBe('oauth-2');
  });

  it('emergency rotation destroys the previous version at once', async () => {
    const s = await create({ name: 'rot_emergency', secret_type: 'WEBHOOK_SECRET' });
    const res = await app.call('POST', `${S}/${s.id}/rotate`, { body: { emergency: true, reason: 'leaked in a log' } });
    expect(res.body).toMatchObject({ status: 'completed', trigger: 'emergency', emergency: true });
    expect((await app.call('GET', `${S}/${s.id}/value?version=1`)).status).toBe(410);
    const versions = (await app.call('GET', `${S}/${s.id}/versions`)).body;
    expect(versions.map((v: { state: string }) => v.state)).toEqual(['current', 'destroyed']);
  });

  it('dry run checks and changes nothing', async () => {
    const s = await create({ name: 'rot_dry', secret_type: 'JWT_SECRET' });
    const res = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ secret_id: s.id, dry_run: true, ready: true, rotator: 'generated' });
    expect(res.body.checks.map((c: { check: string }) => c.check)).toContain('no rotation in progress');
    expect((await app.call('GET', `${S}/${s.id}`)).body.version).toBe(1);
    expect((await app.call('GET', `${S}/${s.id}/rotations`)).body).toEqual([]);
  });

  it('never loses a version under concurrent rotations: each call wins or gets 409', async () => {
    const s = await create({ name: 'rot_race', secret_type: 'API_KEY' });
    const results = await Promise.all(Array.from({ length: 12 }, () => app.call('POST', `${S}/${s.id}/rotate`)));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const versions = (await app.call('GET', `${S}/${s.id}/versions`)).body.map((v: { version: number }) => v.version);
    expect(versions).toEqual(Array.from({ length: ok + 1 }, (_, i) => ok + 1 - i));
    expect(versions.filter((_: number, i: number) => i === 0)).toHaveLength(1);
  });

  it('check_expired_secrets rotates a due secret after the clock moves a day, and flags what it cannot rotate', async () => {
    const due = await create({ name: 'rot_daily', secret_type: 'API_KEY', rotation_interval_days: 1 });
    const manual = await create({ name: 'rot_daily_cert', secret_type: 'SERVICE_ACCOUNT_KEY', value: '{"k":1}', rotation_interval_days: 1 });
    const notDue = await create({ name: 'rot_monthly', secret_type: 'API_KEY', rotation_interval_days: 30 });
    clock.advance(86_400_000 + 60_000);
    const run = await app.call('POST', '/api/v1/jobs/check_expired_secrets/run');
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ job: 'check_expired_secrets', status: 'succeeded', trigger: 'manual' });
    expect(run.body.counts.rotations_queued).toBeGreaterThanOrEqual(1);
    const history = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${due.id}/rotations`)).body as { status: string; trigger: string; triggered_by: string }[];
      return h.length > 0 && h[0]!.status === 'completed' ? h : null;
    });
    expect(history[0]).toMatchObject({ trigger: 'schedule', triggered_by: 'system:check_expired_secrets' });
    expect((await app.call('GET', `${S}/${due.id}`)).body.version).toBe(2);
    expect((await app.call('GET', `${S}/${manual.id}`)).body.rotation_status).toBe('rotation_due');
    expect((await app.call('GET', `${S}/${notDue.id}`)).body.version).toBe(1);
    const jobs = await app.call('GET', '/api/v1/jobs', { token: auditorToken() });
    expect(jobs.body.runs[0]).toMatchObject({ job: 'check_expired_secrets', status: 'succeeded' });
    expect(jobs.body.jobs.map((j: { name: string }) => j.name)).toEqual(expect.arrayContaining(['check_expired_secrets', 'cleanup_old_secret_versions']));
  });

  it('rotates 100 API keys in bulk with progress, once each', async () => {
    const secrets = Array.from({ length: 100 }, (_, i) => ({ name: `bulk_rot_${i}`, secret_type: 'API_KEY', tags: { batch: 'b100' } }));
    const created = await app.call('POST', `${S}/bulk`, { body: { secrets } });
    expect(created.body.created, created.text.slice(0, 300)).toBe(100);
    const started = await app.call('POST', `${S}/rotate-bulk`, { body: { tag: 'batch:b100', reason: 'bulk test' } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status_url: `/api/v1/secrets/task/${started.body.task_id}/status`, total: 100 });
    const done = await eventually(async () => {
      const st = (await app.call('GET', started.body.status_url, { token: auditorToken() })).body;
      return st.status === 'completed' ? st : null;
    }, 170_000);
    expect(done.progress).toEqual({ done: 100, failed: 0, total: 100 });
    expect(done.failures).toEqual([]);
    const db = await connect(app.db.url);
    try {
      const counts = await db.query(
        `SELECT count(*)::int AS secrets, sum(current_version)::int AS versions FROM secrets WHERE tags @> '{"batch":"b100"}'`,
      );
      expect(counts.rows[0]).toEqual({ secrets: 100, versions: 200 });
      const rotations = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT secret_id)::int AS d FROM secret_rotations r JOIN secrets s ON s.id = r.secret_id WHERE s.tags @> '{"batch":"b100"}'`,
      );
      expect(rotations.rows[0]).toEqual({ n: 100, d: 100 });
    } finally {
      await db.end();
    }
  }, 120_000); // the 1,000-key volume run is in rotation-bulk.slow.e2e.spec.ts

  it('rejects bulk rotation of types that cannot be generated and bad selections', async () => {
    expect((await app.call('POST', `${S}/rotate-bulk`, { body: { secret_type: 'TLS_CERTIFICATE' } })).status).toBe(400);
    expect((await app.call('POST', `${S}/rotate-bulk`, { body: {} })).status).toBe(400);
    expect((await app.call('POST', `${S}/rotate-bulk`, { body: { ids: ['sec_AAAAAAAAAAAAAAAA'] } })).status).toBe(404);
    expect((await app.call('GET', `${S}/task/task_nope/status`)).status).toBe(404);
  });

  it('cleanup_old_secret_versions keeps the retained versions and never current or previous', async () => {
    const s = await create({ name: 'rot_many', secret_type: 'API_KEY' });
    for (let i = 0; i < 13; i++) expect((await app.call('POST', `${S}/${s.id}/rotate`)).status).toBe(200);
    const run = await app.call('POST', '/api/v1/jobs/cleanup_old_secret_versions/run');
    expect(run.body.status).toBe('succeeded');
    const states = (await app.call('GET', `${S}/${s.id}/versions`)).body.map((v: { version: number; state: string }) => `${v.version}:${v.state}`);
    expect(states.slice(0, 2)).toEqual(['14:current', '13:previous']);
    expect(states.filter((x: string) => !x.endsWith('destroyed'))).toHaveLength(10);
    expect(states.slice(10)).toEqual(['4:destroyed', '3:destroyed', '2:destroyed', '1:destroyed']);
  });

  it('purges soft-deleted secrets past retention in cleanup', async () => {
    const s = await create({ name: 'rot_purge_me', secret_type: 'API_KEY' });
    await app.call('DELETE', `${S}/${s.id}`);
    clock.advanceDays(31);
    await app.call('POST', '/api/v1/jobs/cleanup_old_secret_versions/run');
    expect((await app.call('POST', `${S}/${s.id}/restore`)).status).toBe(404);
  });
});

// Two processes on one database is the point here; the embedded database belongs to one process.
describe.skipIf(EMBEDDED_DB)('scheduled jobs with two replicas on one database', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ db: a.db });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('runs each scheduled tick once', async () => {
    const at = new Date('2026-12-01T02:15:00.250Z');
    for (const job of ['check_expired_secrets', 'cleanup_old_secret_versions']) {
      const outcomes = await Promise.all([a.app.get(JobScheduler).tick(job, at), b.app.get(JobScheduler).tick(job, new Date(at.getTime() + 400))]);
      expect(outcomes.sort()).toEqual(['ran', 'skipped']);
    }
    const db = await connect(a.db.url);
    try {
      const runs = await db.query("SELECT job_name, count(*)::int AS n FROM job_runs WHERE trigger = 'schedule' GROUP BY job_name ORDER BY job_name");
      expect(runs.rows).toEqual([
        { job_name: 'check_expired_secrets', n: 1 },
        { job_name: 'cleanup_old_secret_versions', n: 1 },
      ]);
    } finally {
      await db.end();
    }
  });
});
