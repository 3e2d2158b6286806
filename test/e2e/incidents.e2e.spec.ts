import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, EMBEDDED_DB } from '../support/database.js';
import { adminToken, auditorToken, hsToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const I = '/api/v1/incidents';
const readerToken = (sub: string) => hsToken({ sub, roles: ['reader'] });
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

interface IncidentSecret {
  secret_id: string;
  secret_name: string;
  secret_type: string;
  reads: number;
  outcome: string;
  rotation_id: string | null;
  from_version: number | null;
  to_version: number | null;
  error: string | null;
}

/** Compromise response: POST /incidents rotates what a subject read, flags the rest and locks it out until lifted. */
describe('incidents', () => {
  let app: TestApp;
  let db: pg.Client;
  const ids: Record<string, string> = {};
  const values: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '100000' } });
    db = await connect(app.db.url);
    const policy = await app.call('POST', '/api/v1/policies', {
      body: { name: 'leaky-reads', subjects: ['svc-leaky'], name_prefix: 'leak_', capabilities: ['read_value', 'list'] },
    });
    expect(policy.status).toBe(201);
    const mk = async (name: string, secret_type: string, value?: string) => {
      const r = await app.call('POST', `${S}/`, { body: { name, secret_type, ...(value ? { value } : {}) } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    ids.api = await mk('leak_api', 'API_KEY');
    ids.db = await mk('leak_db', 'DATABASE_PASSWORD');
    ids.sa = await mk('leak_sa', 'SERVICE_ACCOUNT_KEY', 'sa-key-material-do-not-log');
    // Granted but never read by the subject, and one read only by someone else: neither is in the incident.
    ids.unread = await mk('leak_unread', 'API_KEY');
    ids.otherRead = await mk('other_read', 'API_KEY');
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const auditRows = (requestId: string) =>
    eventually(async () => {
      const r = (await db.query('SELECT action, outcome, actor, secret_id, details FROM audit_events WHERE request_id = $1', [requestId])).rows;
      return r.length > 0 ? r : null;
    }, 10_000);
  const incident = async (id: string, token = auditorToken()) => {
    const res = await app.call('GET', `${I}/${id}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const byName = (secrets: IncidentSecret[]) => Object.fromEntries(secrets.map((s) => [s.secret_name, s]));

  it('refuses invalid incidents with 400, and lets only admins open one (auditor: 403, audited)', async () => {
    const from = hourAgo();
    const valid = { subject: 'svc-nobody', from, reason: 'test' };
    const invalid: Array<[string, Record<string, unknown>]> = [
      ['no reason', { subject: 'svc-x', from }],
      ['an empty reason', { ...valid, reason: '' }],
      ['a blank reason', { ...valid, reason: '   ' }],
      ['a reason too long', { ...valid, reason: 'x'.repeat(501) }],
      ['no subject', { from, reason: 'r' }],
      ['a subject with a control character', { ...valid, subject: 'svc\u0000x' }],
      ['a blank subject', { ...valid, subject: '   ' }],
      ['a subject too long', { ...valid, subject: 'x'.repeat(257) }],
      ['a reserved subject', { ...valid, subject: 'system:rotation' }],
      // Stored as U+FFFD by PostgreSQL: the lockout would name another subject than the one asked for.
      ['a subject with a lone surrogate', { ...valid, subject: 'svc-\ud800x' }],
      ['the caller itself', { ...valid, subject: 'ops-admin' }],
      ['no from', { subject: 'svc-x', reason: 'r' }],
      ['a malformed from', { ...valid, from: 'yesterday' }],
      ['from after to', { ...valid, from, to: new Date(Date.now() - 7_200_000).toISOString() }],
      ['from equal to to', { ...valid, from, to: from }],
      ['a window over 366 days', { ...valid, from: new Date(Date.now() - 367 * 86_400_000).toISOString() }],
      ['to in the future', { ...valid, to: new Date(Date.now() + 3_600_000).toISOString() }],
      ['an unknown field', { ...valid, rotate: false }],
    ];
    for (const [what, body] of invalid) {
      const res = await app.call('POST', I, { body });
      expect(res.status, what).toBe(400);
      expect(res.body, what).toMatchObject({ statusCode: 400, code: 'invalid_input' });
      expect(typeof res.body.message, what).toBe('string');
    }
    const auditorTry = await app.call('POST', I, { body: valid, token: auditorToken() });
    expect(auditorTry.status).toBe(403);
    expect((await auditRows(auditorTry.headers.get('x-request-id')!))[0]).toMatchObject({ action: 'auth.forbidden', outcome: 'denied' });
    expect((await app.call('POST', I, { body: valid, token: readerToken('svc-leaky') })).status).toBe(403);
    // Nothing was opened by any of these.
    expect((await app.call('GET', I)).body.items).toEqual([]);
    expect((await app.call('GET', `${I}/inc_AAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await app.call('GET', `${I}/not-an-id`)).status).toBe(400);
    expect((await app.call('GET', `${I}?limit=0`)).status).toBe(400);
    expect((await app.call('GET', `${I}?status=open`)).status).toBe(400);
  });

  it('rotates the generatable secrets the subject read, flags the other, records each outcome, and locks the subject out', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const token = readerToken('svc-leaky');
    for (const key of ['api', 'db', 'sa', 'api']) {
      const res = await app.call('GET', `${S}/${ids[key]}/value`, { token });
      expect(res.status).toBe(200);
      values[key] = res.body.value;
    }
    expect((await app.call('GET', `${S}/${ids.otherRead}/value`)).status).toBe(200);
    expect((await app.call('GET', S, { token })).status).toBe(200);

    const opened = await app.call('POST', I, { body: { subject: 'svc-leaky', from, reason: 'token found in a public CI log' } });
    expect(opened.status, JSON.stringify(opened.body)).toBe(202);
    expect(opened.body).toMatchObject({
      subject: 'svc-leaky',
      from,
      reason: 'token found in a public CI log',
      status: 'in_progress',
      created_by: 'ops-admin',
      lockout: { active: true, lifted_at: null, lifted_by: null },
      progress: { total: 3 },
    });
    expect(opened.body.id).toMatch(/^inc_/);
    expect(opened.body.task_id).toMatch(/^task_/);
    expect(opened.body.status_url).toBe(`/api/v1/secrets/task/${opened.body.task_id}/status`);
    expect(opened.body.secrets.map((s: IncidentSecret) => s.secret_id).sort()).toEqual([ids.api, ids.db, ids.sa].sort());
    expect(byName(opened.body.secrets).leak_api!.reads).toBe(2);
    ids.incident = opened.body.id;
    const [openedRow] = await auditRows(opened.headers.get('x-request-id')!);
    expect(openedRow).toMatchObject({ action: 'incident.opened', outcome: 'success', actor: 'ops-admin', details: expect.objectContaining({ incident_id: ids.incident, subject: 'svc-leaky', secrets: 3 }) });

    // The subject's next requests are refused (403, audited as a denial), whatever it asks.
    const refused = await eventually(async () => {
      const res = await app.call('GET', `${S}/${ids.api}/value`, { token });
      return res.status === 403 ? res : null;
    }, 10_000);
    expect(refused.body).toMatchObject({ statusCode: 403, code: 'subject_locked_out' });
    expect(refused.body.message).toContain('locked out');
    expect((await auditRows(refused.headers.get('x-request-id')!))[0]).toMatchObject({
      action: 'auth.forbidden',
      outcome: 'denied',
      actor: 'svc-leaky',
      details: expect.objectContaining({ status: 403, error_code: 'subject_locked_out' }),
    });
    expect((await app.call('GET', S, { token })).status).toBe(403);

    // The task finishes: two rotated (emergency), one flagged for manual rotation.
    const done = await eventually(async () => {
      const body = await incident(ids.incident);
      return body.status !== 'in_progress' ? body : null;
    }, 30_000);
    expect(done).toMatchObject({
      status: 'completed',
      progress: { total: 3, processed: 3, rotated: 2, manual_rotation_required: 1, rotation_failed: 0, secret_gone: 0 },
      lockout: { active: true },
    });
    expect(done.finished_at).not.toBeNull();
    const outcome = byName(done.secrets);
    for (const name of ['leak_api', 'leak_db']) {
      expect(outcome[name], name).toMatchObject({ outcome: 'rotated', from_version: 1, to_version: 2, error: null });
      expect(outcome[name]!.rotation_id, name).toMatch(/.+/);
    }
    expect(outcome.leak_sa).toMatchObject({ secret_type: 'SERVICE_ACCOUNT_KEY', outcome: 'manual_rotation_required', rotation_id: null, to_version: null });
    expect(outcome.leak_sa!.error).toContain('rotate it by hand');
    // The incident never carries a value.
    for (const v of Object.values(values)) expect(JSON.stringify(done)).not.toContain(v);

    // The rotations are emergency ones: a new current version, the leaked one no longer served.
    for (const key of ['api', 'db']) {
      const versions = (await app.call('GET', `${S}/${ids[key]}/versions`)).body as { version: number; state: string }[];
      const states = Object.fromEntries(versions.map((v) => [v.version, v.state]));
      expect(states[2], key).toBe('current');
      expect(['retired', 'destroyed'], key).toContain(states[1]);
      const current = await app.call('GET', `${S}/${ids[key]}/value`);
      expect(current.body.version).toBe(2);
      expect(current.body.value).not.toBe(values[key]);
      expect((await app.call('GET', `${S}/${ids[key]}/value?version=1`)).status).toBe(410);
      const rotations = (await app.call('GET', `${S}/${ids[key]}/rotations`)).body as { trigger: string; emergency: boolean; status: string; reason: string }[];
      expect(rotations[0], key).toMatchObject({ trigger: 'emergency', emergency: true, status: 'completed' });
      expect(rotations[0]!.reason).toContain(ids.incident);
    }
    // Each emergency rotation raised an alert naming the subject as a consumer still on the old version.
    const alerts = (await app.call('GET', '/api/v1/alerts?limit=100', { token: auditorToken() })).body.items as { kind: string; details: Record<string, unknown> }[];
    for (const key of ['api', 'db']) {
      const alert = alerts.find((a) => a.kind === 'emergency_rotation' && a.details.secret_id === ids[key]);
      expect(alert?.details.consumers_not_moved, key).toEqual(['svc-leaky']);
    }
    // The non-generatable one is untouched but flagged, for a person to rotate.
    const sa = (await app.call('GET', `${S}/${ids.sa}`)).body;
    expect(sa).toMatchObject({ version: 1, rotation_status: 'rotation_due' });
    // Secrets the subject did not read are left alone.
    expect((await app.call('GET', `${S}/${ids.unread}`)).body.version).toBe(1);
    expect((await app.call('GET', `${S}/${ids.otherRead}`)).body.version).toBe(1);

    // One background task with its progress.
    const task = await app.call('GET', done.status_url, { token: auditorToken() });
    expect(task.body).toMatchObject({ kind: 'incident_response', status: 'completed', progress: { done: 3, failed: 0, total: 3 } });
    expect(task.body.result).toMatchObject({ incident_id: ids.incident, rotated: 2, manual_rotation_required: 1 });

    // Every change is audited, and no value reaches an audit row.
    const actions = (await db.query('SELECT action, actor, secret_id, details FROM audit_events WHERE details->>\'incident_id\' = $1 OR details->>\'rotation_id\' = ANY($2)', [
      ids.incident,
      [outcome.leak_api!.rotation_id, outcome.leak_db!.rotation_id],
    ])).rows as { action: string; actor: string; secret_id: string | null; details: Record<string, unknown> }[];
    expect(actions.filter((r) => r.action === 'secret.rotated').map((r) => r.secret_id).sort()).toEqual([ids.api, ids.db].sort());
    expect(actions.filter((r) => r.action === 'secret.rotated').every((r) => r.actor === 'ops-admin' && r.details.emergency === true)).toBe(true);
    expect(actions.find((r) => r.action === 'incident.secret_flagged')).toMatchObject({ secret_id: ids.sa, actor: 'ops-admin' });
    expect(actions.find((r) => r.action === 'incident.response_completed')).toMatchObject({ actor: 'system:incident_response', details: expect.objectContaining({ rotated: 2 }) });
    const leaked = await db.query('SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE ANY($1)', [Object.values(values).map((v) => `%${v}%`)]);
    expect(leaked.rows[0].n).toBe(0);
  });

  it('lets admins and auditors list and read incidents, paged', async () => {
    const second = await app.call('POST', I, { body: { subject: 'svc-quiet', from: hourAgo(), reason: 'precaution' } });
    expect(second.status).toBe(202);
    // Nothing read: nothing to rotate, the response is complete at once.
    expect(second.body).toMatchObject({ status: 'completed', progress: { total: 0, processed: 0 }, secrets: [] });
    ids.quiet = second.body.id;
    const page1 = await app.call('GET', `${I}?limit=1`, { token: auditorToken() });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((i: { id: string }) => i.id)).toEqual([ids.quiet]);
    expect(page1.body.items[0].secrets).toBeUndefined();
    const page2 = await app.call('GET', `${I}?limit=1&cursor=${encodeURIComponent(page1.body.next_cursor)}`, { token: auditorToken() });
    expect(page2.body.items.map((i: { id: string }) => i.id)).toEqual([ids.incident]);
    expect(page2.body.items[0].progress).toMatchObject({ rotated: 2, manual_rotation_required: 1 });
    expect(page2.body.next_cursor).toBeNull();
    expect((await app.call('GET', `${I}?subject=svc-leaky`)).body.items.map((i: { id: string }) => i.id)).toEqual([ids.incident]);
    expect((await app.call('GET', `${I}?cursor=garbage`)).status).toBe(400);
    // Auditors read, never change.
    expect((await app.call('POST', `${I}/${ids.quiet}/lift`, { body: {}, token: auditorToken() })).status).toBe(403);
    expect((await app.call('GET', `${I}/${ids.incident}`, { token: readerToken('svc-other') })).status).toBe(403);
  });

  it('locks out any role, and lifting gives the subject back its access (audited; twice is 409)', async () => {
    const admin2 = adminToken('ops-admin-2');
    expect((await app.call('GET', S, { token: admin2 })).status).toBe(200);
    const opened = await app.call('POST', I, { body: { subject: 'ops-admin-2', from: hourAgo(), reason: 'laptop stolen' } });
    expect(opened.status).toBe(202);
    // In force on this replica when the 202 arrives (the other replicas follow within a second).
    expect((await app.call('GET', S, { token: admin2 })).status).toBe(403);
    // A locked-out admin cannot lift its own lockout.
    expect((await app.call('POST', `${I}/${opened.body.id}/lift`, { body: {}, token: admin2 })).status).toBe(403);
    expect((await app.call('POST', `${I}/${opened.body.id}/lift`, { body: {} })).status).toBe(200);
    expect((await app.call('GET', S, { token: admin2 })).status).toBe(200);

    const token = readerToken('svc-leaky');
    expect((await app.call('POST', `${I}/${ids.incident}/lift`, { body: { reason: 'x'.repeat(501) } })).status).toBe(400);
    const lifted = await app.call('POST', `${I}/${ids.incident}/lift`, { body: { reason: 'new credentials issued' } });
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
    expect(lifted.body.lockout).toMatchObject({ active: false, lifted_by: 'ops-admin', lift_reason: 'new credentials issued' });
    expect((await auditRows(lifted.headers.get('x-request-id')!))[0]).toMatchObject({ action: 'incident.lockout_lifted', outcome: 'success', details: expect.objectContaining({ incident_id: ids.incident, subject: 'svc-leaky' }) });
    const again = await app.call('POST', `${I}/${ids.incident}/lift`, { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    expect((await app.call('POST', `${I}/inc_AAAAAAAAAAAAAAAA/lift`, { body: {} })).status).toBe(404);
    const back = await eventually(async () => {
      const res = await app.call('GET', `${S}/${ids.api}/value`, { token });
      return res.status === 200 ? res : null;
    }, 10_000);
    expect(back.body.version).toBe(2);
  });

  it('lists the incidents of the period in the security report', async () => {
    const res = await app.call('POST', '/api/v1/reports', { body: { kind: 'security', from: hourAgo(), to: new Date().toISOString() } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const dl = await app.call('GET', `/api/v1/reports/${res.body.report.id}?format=json`, { token: auditorToken() });
    expect(dl.status).toBe(200);
    const doc = typeof dl.body === 'string' ? JSON.parse(dl.body) : dl.body;
    const rows = doc.sections.find((x: { id: string }) => x.id === 'incidents').rows as Record<string, unknown>[];
    expect(rows.find((r) => r.incident_id === ids.incident)).toMatchObject({
      subject: 'svc-leaky',
      status: 'completed',
      secrets: 3,
      rotated: 2,
      flagged: 1,
      failed: 0,
      opened_by: 'ops-admin',
      lifted_by: 'ops-admin',
    });
    expect(rows.find((r) => r.incident_id === ids.quiet)).toMatchObject({ subject: 'svc-quiet', secrets: 0, lifted_at: null });
    expect(doc.metrics).toMatchObject({ incidents: 3, incident_lockouts_in_force: 1 });
  });

  it('two admins opening incidents against each other at once: one wins, the other is refused as locked out, so someone can still lift', async () => {
    const one = adminToken('ops-admin-one');
    const two = adminToken('ops-admin-two');
    const [a, b] = await Promise.all([
      app.call('POST', I, { token: one, body: { subject: 'ops-admin-two', from: hourAgo(), reason: 'mutual' } }),
      app.call('POST', I, { token: two, body: { subject: 'ops-admin-one', from: hourAgo(), reason: 'mutual' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 403]);
    const [won, lost, winner] = a.status === 202 ? [a, b, one] : [b, a, two];
    expect(lost.body.code).toBe('subject_locked_out');
    expect((await auditRows(lost.headers.get('x-request-id')!))[0]).toMatchObject({ outcome: 'denied', details: expect.objectContaining({ error_code: 'subject_locked_out' }) });
    // The winner is not locked out: it lifts the lockout it opened.
    const lifted = await app.call('POST', `${I}/${won.body.id}/lift`, { token: winner, body: { reason: 'mistake' } });
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
  });
});

// Two processes on one database is the point here; the embedded database belongs to one process.
describe.skipIf(EMBEDDED_DB)('incident lockouts with two replicas on one database', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '100000' } });
    b = await startTestApp({ db: a.db, env: { AUTH_FAILURE_LIMIT: '100000' } });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('refuses the subject on both replicas within seconds, and accepts it on both after the lift', async () => {
    const secret = await a.call('POST', `${S}/`, { body: { name: 'fleet_api', secret_type: 'API_KEY' } });
    expect(secret.status).toBe(201);
    expect((await a.call('POST', '/api/v1/policies', { body: { name: 'fleet-reads', subjects: ['svc-fleet'], name_prefix: 'fleet_', capabilities: ['read_value'] } })).status).toBe(201);
    const url = `${S}/${secret.body.id}/value`;
    const token = readerToken('svc-fleet');
    const status = async (app: TestApp) => (await app.call('GET', url, { token })).status;
    await eventually(async () => (await status(a)) === 200 && (await status(b)) === 200, 10_000);

    const opened = await a.call('POST', I, { body: { subject: 'svc-fleet', from: hourAgo(), reason: 'fleet test' } });
    expect(opened.status).toBe(202);
    for (const app of [a, b]) await eventually(async () => (await status(app)) === 403, 10_000);
    const onB = await b.call('GET', url, { token });
    expect(onB.body.code).toBe('subject_locked_out');

    // The response ran on the fleet: the secret was rotated once.
    await eventually(async () => ((await b.call('GET', `${I}/${opened.body.id}`)).body.status === 'completed' ? true : null), 30_000);
    expect((await b.call('GET', `${I}/${opened.body.id}`)).body.progress).toMatchObject({ total: 1, rotated: 1 });

    // Lifted on the other replica.
    expect((await b.call('POST', `${I}/${opened.body.id}/lift`, { body: {} })).status).toBe(200);
    for (const app of [a, b]) await eventually(async () => (await status(app)) === 200, 10_000);
  });
});
