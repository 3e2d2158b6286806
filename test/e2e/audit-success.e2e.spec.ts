import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { auditorToken } from '../support/tokens.js';

/**
 * Every operation under /api/v1/, called successfully, leaves exactly one row of its own action
 * (plus the rows of what it caused, named below) under its request id. The table must name every
 * operation of the live OpenAPI document, so a new route fails this test until it is added here.
 */
type Call = { method: string; path: string; expect: string[]; run: () => Promise<{ status: number; headers: Headers; body: any }> };

describe('audit rows of successful calls, for every /api/v1 operation', () => {
  let app: TestApp;
  let db: pg.Client;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp({ env: { BACKUP_RECIPIENTS: await identityToRecipient(await generateX25519Identity()) } });
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const c = (method: string, url: string, body?: unknown, token?: string) => () => app.call(method, url, { body, token });
  const S = '/api/v1/secrets';
  const calls = (): Call[] => [
    { method: 'POST', path: '/api/v1/secrets', expect: ['secret.created'], run: async () => { const r = await app.call('POST', `${S}/`, { body: { name: 'aud_a', secret_type: 'API_KEY' } }); ids.a = r.body.id; return r; } },
    { method: 'GET', path: '/api/v1/secrets', expect: ['secret.listed'], run: c('GET', `${S}/`, undefined, auditorToken()) },
    { method: 'GET', path: '/api/v1/secrets/types', expect: ['secret.types_read'], run: c('GET', `${S}/types`) },
    { method: 'POST', path: '/api/v1/secrets/bulk', expect: ['secret.bulk_created', 'secret.created', 'secret.created'], run: c('POST', `${S}/bulk`, { secrets: [{ name: 'aud_b1', secret_type: 'API_KEY' }, { name: 'aud_b2', secret_type: 'JWT_SECRET' }] }) },
    { method: 'GET', path: '/api/v1/secrets/{id}', expect: ['secret.read'], run: () => app.call('GET', `${S}/${ids.a}`) },
    { method: 'GET', path: '/api/v1/secrets/{id}/value', expect: ['secret.value_read'], run: () => app.call('GET', `${S}/${ids.a}/value`) },
    { method: 'GET', path: '/api/v1/secrets/{id}/consumers', expect: ['secret.consumers_read'], run: () => app.call('GET', `${S}/${ids.a}/consumers`) },
    { method: 'GET', path: '/api/v1/secrets/{id}/versions', expect: ['secret.versions_read'], run: () => app.call('GET', `${S}/${ids.a}/versions`) },
    { method: 'PATCH', path: '/api/v1/secrets/{id}', expect: ['secret.updated'], run: () => app.call('PATCH', `${S}/${ids.a}`, { body: { description: 'x' } }) },
    { method: 'PUT', path: '/api/v1/secrets/{id}/value', expect: ['secret.value_updated'], run: () => app.call('PUT', `${S}/${ids.a}/value`, { body: { value: 'new-value-1' } }) },
    { method: 'POST', path: '/api/v1/secrets/{id}/rotate', expect: ['secret.rotation_requested', 'secret.rotated'], run: () => app.call('POST', `${S}/${ids.a}/rotate`) },
    { method: 'GET', path: '/api/v1/secrets/{id}/rotations', expect: ['secret.rotations_read'], run: () => app.call('GET', `${S}/${ids.a}/rotations`) },
    { method: 'DELETE', path: '/api/v1/secrets/{id}', expect: ['secret.deleted'], run: () => app.call('DELETE', `${S}/${ids.a}`) },
    { method: 'POST', path: '/api/v1/secrets/{id}/restore', expect: ['secret.restored'], run: () => app.call('POST', `${S}/${ids.a}/restore`) },
    { method: 'POST', path: '/api/v1/secrets/rotate-bulk', expect: ['secret.bulk_rotation_started'], run: async () => { const r = await app.call('POST', `${S}/rotate-bulk`, { body: { ids: [ids.a] } }); ids.task = r.body.task_id; return r; } },
    { method: 'GET', path: '/api/v1/secrets/task/{id}/status', expect: ['task.status_read'], run: () => app.call('GET', `${S}/task/${ids.task}/status`) },
    { method: 'GET', path: '/api/v1/tasks', expect: ['task.listed'], run: c('GET', '/api/v1/tasks?kind=rotate_bulk', undefined, auditorToken()) },
    { method: 'POST', path: '/api/v1/secrets/keys/rewrap', expect: ['key.rewrap_requested'], run: c('POST', `${S}/keys/rewrap`) },
    { method: 'POST', path: '/api/v1/secrets/audit/integrity-check', expect: ['integrity.check_requested'], run: c('POST', `${S}/audit/integrity-check`) },
    { method: 'GET', path: '/api/v1/secrets/stats', expect: ['secret.stats_read'], run: c('GET', `${S}/stats`, undefined, auditorToken()) },
    { method: 'GET', path: '/api/v1/secrets/audit/report', expect: ['report.read', 'report.generated'], run: c('GET', `${S}/audit/report?generate_new=true`) },
    { method: 'POST', path: '/api/v1/reports', expect: ['report.generated', 'report.generated'], run: async () => { const r = await app.call('POST', '/api/v1/reports', { body: { kind: 'access_review' } }); ids.report = r.body.report.id; return r; } },
    { method: 'GET', path: '/api/v1/reports', expect: ['report.listed'], run: c('GET', '/api/v1/reports', undefined, auditorToken()) },
    { method: 'GET', path: '/api/v1/reports/{id}', expect: ['report.downloaded'], run: () => app.call('GET', `/api/v1/reports/${ids.report}?format=csv`) },
    { method: 'POST', path: '/api/v1/reports/{id}/signoffs', expect: ['report.access_review_signed_off'], run: () => app.call('POST', `/api/v1/reports/${ids.report}/signoffs`, { body: { decisions: [{ grant: 'aud-policy', decision: 'keep' }] } }) },
    { method: 'GET', path: '/api/v1/reports/{id}/signoffs', expect: ['report.read'], run: () => app.call('GET', `/api/v1/reports/${ids.report}/signoffs`) },
    { method: 'GET', path: '/api/v1/reports/compliance', expect: ['report.read', 'report.generated'], run: c('GET', '/api/v1/reports/compliance?standard=soc2') },
    { method: 'GET', path: '/api/v1/audit/events', expect: ['audit.events_read'], run: c('GET', '/api/v1/audit/events', undefined, auditorToken()) },
    { method: 'GET', path: '/api/v1/audit/export', expect: ['audit.exported'], run: c('GET', '/api/v1/audit/export') },
    { method: 'GET', path: '/api/v1/audit/verify', expect: ['audit.verified'], run: c('GET', '/api/v1/audit/verify') },
    { method: 'GET', path: '/api/v1/audit/public-key', expect: ['audit.public_key_read'], run: c('GET', '/api/v1/audit/public-key') },
    { method: 'GET', path: '/api/v1/audit/findings', expect: ['finding.list_read'], run: c('GET', '/api/v1/audit/findings') },
    { method: 'GET', path: '/api/v1/alerts', expect: ['alert.list_read'], run: c('GET', '/api/v1/alerts', undefined, auditorToken()) },
    { method: 'GET', path: '/api/v1/jobs', expect: ['job.runs_read'], run: c('GET', '/api/v1/jobs', undefined, auditorToken()) },
    { method: 'POST', path: '/api/v1/backups', expect: ['backup.created'], run: c('POST', '/api/v1/backups') },
    { method: 'GET', path: '/api/v1/backups', expect: ['backup.listed'], run: c('GET', '/api/v1/backups', undefined, auditorToken()) },
    { method: 'POST', path: '/api/v1/jobs/{name}/run', expect: ['job.run_requested'], run: c('POST', '/api/v1/jobs/cleanup_old_secret_versions/run') },
    { method: 'POST', path: '/api/v1/policies', expect: ['policy.created'], run: async () => { const r = await app.call('POST', '/api/v1/policies', { body: { name: 'aud-policy', subjects: ['svc-a'], capabilities: ['list'] } }); ids.policy = r.body.id; return r; } },
    { method: 'GET', path: '/api/v1/policies', expect: ['policy.listed'], run: c('GET', '/api/v1/policies') },
    { method: 'GET', path: '/api/v1/policies/{id}', expect: ['policy.read'], run: () => app.call('GET', `/api/v1/policies/${ids.policy}`) },
    { method: 'PUT', path: '/api/v1/policies/{id}', expect: ['policy.updated'], run: () => app.call('PUT', `/api/v1/policies/${ids.policy}`, { body: { name: 'aud-policy', subjects: ['svc-a'], capabilities: ['list', 'read_value'] } }) },
    { method: 'GET', path: '/api/v1/policies/explain', expect: ['policy.explained'], run: () => app.call('GET', `/api/v1/policies/explain?sub=svc-a&secret_id=${ids.a}`, { token: auditorToken() }) },
    { method: 'DELETE', path: '/api/v1/policies/{id}', expect: ['policy.deleted'], run: () => app.call('DELETE', `/api/v1/policies/${ids.policy}`) },
    // A subject that read nothing: the incident's task has no item, so no rotation rows join it.
    { method: 'POST', path: '/api/v1/incidents', expect: ['incident.opened'], run: async () => { const r = await app.call('POST', '/api/v1/incidents', { body: { subject: 'svc-aud-incident', from: new Date(Date.now() - 3_600_000).toISOString(), reason: 'audit coverage' } }); ids.incident = r.body.id; return r; } },
    { method: 'GET', path: '/api/v1/incidents', expect: ['incident.listed'], run: c('GET', '/api/v1/incidents', undefined, auditorToken()) },
    { method: 'GET', path: '/api/v1/incidents/{id}', expect: ['incident.read'], run: () => app.call('GET', `/api/v1/incidents/${ids.incident}`, { token: auditorToken() }) },
    { method: 'POST', path: '/api/v1/incidents/{id}/lift', expect: ['incident.lockout_lifted'], run: () => app.call('POST', `/api/v1/incidents/${ids.incident}/lift`, { body: { reason: 'done' } }) },
  ];

  it('names every operation of the OpenAPI document', async () => {
    const doc = (await app.call('GET', '/api/docs-json', { token: null })).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, item]) => ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(calls().map((k) => `${k.method} ${k.path}`).sort()).toEqual(documented);
  });

  it('leaves exactly the expected rows, all successful, under each request id', async () => {
    for (const call of calls()) {
      const res = await call.run();
      expect(res.status, `${call.method} ${call.path}`).toBeLessThan(300);
      const requestId = res.headers.get('x-request-id')!;
      const rows = await eventually(async () => {
        const r = (await db.query('SELECT action, outcome FROM audit_events WHERE request_id = $1 ORDER BY id', [requestId])).rows as { action: string; outcome: string }[];
        return r.length >= call.expect.length ? r : null;
      }, 10_000);
      expect(rows.map((r) => r.action).sort(), `${call.method} ${call.path}`).toEqual([...call.expect].sort());
      expect(rows.every((r) => r.outcome === 'success')).toBe(true);
    }
  });
});
