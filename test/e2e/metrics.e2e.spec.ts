import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/test-clock.js';
import { connect } from '../support/database.js';
import { SECRET_TYPES } from '../../src/crypto/index.js';

const S = '/api/v1/secrets';

/** Reads one sample value from Prometheus text, e.g. sample(text, 'secrets_total', {type:'API_KEY'}). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('/metrics', () => {
  let app: TestApp;
  const clock = new TestClock();
  const canary = 'canary-metric-value-8d1f';
  let ids: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ clock, env: { METRICS_TOKEN: 'scrape-token-123' } });
    const mk = async (body: Record<string, unknown>) => (await app.call('POST', `${S}/`, { body })).body.id as string;
    ids = [
      await mk({ name: 'm_api_1', secret_type: 'API_KEY', value: canary }),
      await mk({ name: 'm_api_2', secret_type: 'API_KEY', rotation_interval_days: 1 }),
      await mk({ name: 'm_db', secret_type: 'DATABASE_PASSWORD', expires_at: new Date(clock.now().getTime() + 3_600_000).toISOString() }),
    ];
    await app.call('GET', `${S}/${ids[0]}/value`);
    await app.call('GET', `${S}/${ids[0]}/value`);
    await app.call('POST', `${S}/${ids[1]}/rotate`);
    await app.call('GET', `${S}/${ids[0]}/value`, { token: null }); // a denied request
    clock.advanceDays(2); // m_db expired, m_api_2 overdue again
    await app.call('POST', '/api/v1/jobs/cleanup_old_secret_versions/run');
  });
  afterAll(() => app?.stop());

  const scrape = async () => {
    const res = await app.call('GET', '/metrics', { token: 'scrape-token-123' });
    expect(res.status).toBe(200);
    return res.text;
  };

  it('needs the metrics token when METRICS_TOKEN is set', async () => {
    expect((await app.call('GET', '/metrics', { token: null })).status).toBe(401);
    expect((await app.call('GET', '/metrics', { token: 'wrong' })).status).toBe(401);
  });

  it("exports the spec's metrics with the values the API calls produced", async () => {
    const text = await scrape();
    expect(sample(text, 'secrets_created_total', { type: 'API_KEY' })).toBe(2);
    expect(sample(text, 'secrets_created_total', { type: 'DATABASE_PASSWORD' })).toBe(1);
    expect(sample(text, 'secrets_accessed_total')).toBe(2);
    expect(sample(text, 'secrets_rotated_successfully_total')).toBe(1);
    expect(text).toMatch(/^# TYPE secrets_rotation_errors_total counter$/m);
    expect(text).toMatch(/^# TYPE secret_integrity_checks_completed_total counter$/m);
    expect(sample(text, 'expired_secrets_count')).toBe(1);
  });

  it('exports the fleet gauges computed from PostgreSQL', async () => {
    const text = await scrape();
    expect(sample(text, 'secrets_total', { type: 'API_KEY', store: 'local' })).toBe(2);
    expect(sample(text, 'secrets_total', { type: 'DATABASE_PASSWORD', store: 'local' })).toBe(1);
    expect(sample(text, 'secret_rotation_overdue_count')).toBe(1);
    expect(sample(text, 'secret_oldest_rotation_age_seconds')).toBe(2 * 86_400);
    expect(sample(text, 'scheduled_job_last_success_timestamp_seconds', { job: 'cleanup_old_secret_versions' })).toBe(
      Math.floor(clock.now().getTime() / 1000),
    );
    expect(sample(text, 'tasks_running')).toBe(0);
    expect(sample(text, 'audit_events_total', { action: 'secret.value_read', outcome: 'success' })).toBe(2);
    expect(sample(text, 'audit_events_total', { action: 'auth.denied', outcome: 'denied' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/secrets', status: '201' })).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/secrets/:id/value', status: '200' })).toBe(2);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    for (const name of ['audit_chain_valid', 'vault_up', 'security_findings_total', 'security_audit_score']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    }
    // Unknown is absent, not 0: no Vault configured, no report yet, no verification yet.
    expect(sample(text, 'vault_up')).toBeUndefined();
    expect(sample(text, 'security_audit_score')).toBeUndefined();
  });

  it('exports every known label value from 0, so increase() sees the first event', async () => {
    const text = await scrape();
    for (const type of SECRET_TYPES.filter((t) => t !== 'API_KEY' && t !== 'DATABASE_PASSWORD')) {
      expect(sample(text, 'secrets_created_total', { type }), type).toBe(0);
    }
    for (const operation of ['rotate', 'apply', 'verify', 'bulk']) {
      expect(sample(text, 'secrets_rotation_errors_total', { operation }), operation).toBe(0);
    }
    expect(sample(text, 'audit_events_total', { action: 'auth.forbidden', outcome: 'denied' })).toBe(0);
    expect(sample(text, 'audit_events_total', { action: 'auth.rate_limited', outcome: 'denied' })).toBe(0);
    expect(sample(text, 'audit_events_total', { action: 'secret.rotation_failed', outcome: 'error' })).toBe(0);
    expect(sample(text, 'audit_write_failures_total')).toBe(0);
    expect(sample(text, 'tasks_oldest_running_age_seconds')).toBe(0);
  });

  it('counts audit rows that could not be written (each refused its request)', async () => {
    const db = await connect(app.db.url);
    await db.query(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$`);
    await db.query('CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()');
    try {
      expect((await app.call('GET', `${S}/${ids[0]}/value`)).status).toBe(503); // a read: group-committed row
      expect((await app.call('PUT', `${S}/${ids[0]}/value`, { body: { value: 'never-stored-value-0123' } })).status).toBe(503); // in the change's transaction
    } finally {
      await db.query('DROP TRIGGER test_refuse_audit ON audit_events');
      await db.query('DROP FUNCTION test_refuse_audit()');
      await db.end();
    }
    // Per request: the event itself and the error row the error filter then tries to write.
    expect(sample(await scrape(), 'audit_write_failures_total')).toBe(4);
  });

  it('never puts a secret id, name or value in a label', async () => {
    const text = await eventually(async () => scrape());
    for (const id of ids) expect(text).not.toContain(id);
    expect(text).not.toContain('m_api_1');
    expect(text).not.toContain(canary);
  });
});

describe('/metrics: tasks stuck running', () => {
  let app: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    // No worker: the integrity check stays pending, as it would with every worker stuck or gone.
    app = await startTestApp({ clock, env: { TASK_WORKER_ENABLED: 'false' } });
    await app.call('POST', `${S}/`, { body: { name: 'stuck_1', secret_type: 'API_KEY' } });
  });
  afterAll(() => app?.stop());

  it('exports the age of the oldest unfinished task', async () => {
    const scrape = async () => (await app.call('GET', '/metrics', { token: null })).text;
    expect(sample(await scrape(), 'tasks_oldest_running_age_seconds')).toBe(0);
    expect((await app.call('POST', `${S}/audit/integrity-check`)).status).toBe(202);
    clock.advance(2 * 3_600_000);
    // The fleet snapshot is reused for a second, so the new value shows on a later scrape.
    const text = await eventually(async () => {
      const t = await scrape();
      return sample(t, 'tasks_oldest_running_age_seconds') === 7200 && t;
    });
    expect(sample(text, 'tasks_running')).toBe(1);
  });
});
