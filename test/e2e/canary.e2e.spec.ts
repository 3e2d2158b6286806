import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, TEST_ENCRYPTION_KEY } from '../support/app.js';
import { type ChildApp, startChildApp } from '../support/child-app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { adminToken, TEST_JWT_SECRET } from '../support/tokens.js';

const S = '/api/v1/secrets';

/**
 * Canary values written through every endpoint that takes a value, including the failing ways;
 * then logs (at trace level), error bodies, /metrics and audit rows are searched for them.
 */
describe('secret values never leak', () => {
  let db: TestDatabase;
  let dataDir: string;
  let service: ChildApp;
  const canaries: string[] = [];
  const canary = (label: string) => {
    const c = `CANARY${label}${Math.random().toString(36).slice(2, 10)}`;
    canaries.push(c);
    return c;
  };
  const errorBodies: string[] = [];
  const call = async (method: string, path: string, body?: unknown, token: string | null = adminToken()) => {
    const res = await fetch(service.url + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) errorBodies.push(text);
    return { status: res.status, text, json: (() => { try { return JSON.parse(text); } catch { return null; } })() };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'strongroom-canary-'));
    service = await startChildApp({
      NODE_ENV: 'test',
      LOG_LEVEL: 'trace',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TASK_POLL_INTERVAL_MS: '50',
      JOBS_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds no canary in logs, error bodies, metrics or audit rows', async () => {
    const created = await call('POST', `${S}/`, { name: 'canary_a', secret_type: 'OAUTH_TOKEN', value: canary('create') });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await call('PUT', `${S}/${id}/value`, { value: canary('put'), expected_version: 1 })).status).toBe(200);
    expect((await call('PUT', `${S}/${id}/value`, { value: canary('stale'), expected_version: 1 })).status).toBe(409);
    expect((await call('POST', `${S}/${id}/rotate`, { value: canary('rotate'), reason: 'canary' })).status).toBe(200);
    const read = await call('GET', `${S}/${id}/value`);
    expect(read.json.value).toBe(canaries[canaries.length - 1]);
    expect((await call('GET', `${S}/${id}/value`, undefined, null)).status).toBe(401);
    const bulk = await call('POST', `${S}/bulk`, { secrets: [{ name: 'canary_b', secret_type: 'API_KEY', value: canary('bulk') }, { name: 'canary bad', secret_type: 'API_KEY', value: canary('bulkbad') }] });
    expect(bulk.json.created).toBe(1);
    // Failing writes: invalid per-type value, invalid field, unknown field, malformed JSON, no auth, wrong role.
    expect((await call('POST', `${S}/`, { name: 'canary_key', secret_type: 'ENCRYPTION_KEY', value: canary('badkey') })).status).toBe(400);
    expect((await call('POST', `${S}/`, { name: 'canary_cert', secret_type: 'TLS_CERTIFICATE', value: canary('badcert') })).status).toBe(400);
    expect((await call('POST', `${S}/`, { name: '-bad', secret_type: 'API_KEY', value: canary('badname') })).status).toBe(400);
    expect((await call('POST', `${S}/`, { name: 'canary_x', secret_type: 'API_KEY', value: canary('extra'), password: canary('unknownfield') })).status).toBe(400);
    expect((await call('POST', `${S}/`, `{"name":"canary_json","value":"${canary('malformed')}",`)).status).toBe(400);
    expect((await call('POST', `${S}/`, { name: 'canary_noauth', secret_type: 'API_KEY', value: canary('noauth') }, null)).status).toBe(401);
    expect((await call('PUT', `${S}/${id}/value`, { value: canary('toolong') + 'x'.repeat(70_000) })).status).toBe(400);
    expect((await call('POST', `${S}/${id}/rotate`, { value: canary('rotbad'), emergency: 'yes' })).status).toBe(400);
    const bulkRotate = await call('POST', `${S}/rotate-bulk`, { ids: [id, bulk.json.results[0].id], reason: 'canary' });
    expect(bulkRotate.status).toBe(202);
    const finished = await eventually(async () => {
      const st = (await call('GET', bulkRotate.json.status_url)).json;
      return st.status === 'completed' ? st : null;
    });
    // The OAuth token cannot be generated: that item fails with a reason, the API key rotates.
    expect(finished.progress).toEqual({ done: 1, failed: 1, total: 2 });
    expect(finished.failures[0].error).toMatch(/cannot be generated/);

    const metrics = (await call('GET', '/metrics', undefined, null)).text;
    const c = await connect(db.url);
    let audit = '';
    let tables = '';
    try {
      audit = (await c.query('SELECT json_agg(a)::text AS t FROM audit_events a')).rows[0].t;
      // Nothing but the payload table may hold a value, and only as ciphertext.
      for (const t of ['secrets', 'secret_versions', 'secret_rotations', 'tasks', 'task_items', 'local_secret_payloads']) {
        tables += (await c.query(`SELECT coalesce(json_agg(x)::text, '') AS t FROM ${t} x`)).rows[0].t;
      }
    } finally {
      await c.end();
    }
    await new Promise((r) => setTimeout(r, 200)); // let the last log lines flush
    const logs = service.output();
    expect(logs.length).toBeGreaterThan(1000); // trace logging really ran
    for (const value of canaries) {
      expect(logs, `log contains ${value}`).not.toContain(value);
      expect(errorBodies.join('\n'), `error body contains ${value}`).not.toContain(value);
      expect(metrics).not.toContain(value);
      expect(audit, `audit contains ${value}`).not.toContain(value);
      expect(tables, `a table holds ${value} in clear`).not.toContain(value);
    }
  });

  it('writes one access line per request: method, route template, status, duration, request id, actor', async () => {
    const created = await fetch(`${service.url}${S}/?trace=access-query-canary`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json', 'x-request-id': 'access-line-1' },
      body: JSON.stringify({ name: 'access_line', secret_type: 'API_KEY', value: 'access-line-value-0123456789' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const read = await fetch(`${service.url}${S}/${id}/value`, { headers: { authorization: `Bearer ${adminToken()}`, 'x-request-id': 'access-line-2' } });
    expect(read.status).toBe(200);
    const denied = await fetch(`${service.url}${S}/${id}/value`, { headers: { 'x-request-id': 'access-line-3' } });
    expect(denied.status).toBe(401);

    const lines = await eventually(async () => {
      const found = service
        .output()
        .split('\n')
        .filter((l) => l.includes('"request completed"') && l.includes('access-line-'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return found.length === 3 && found;
    });
    // Our own id is the request id; the caller's well-formed X-Request-Id rides along beside it.
    for (const line of lines) expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
    const byId = Object.fromEntries(lines.map((l) => [l.clientRequestId, l]));
    expect(byId['access-line-1']).toMatchObject({ method: 'POST', route: '/api/v1/secrets', status: 201, actor: 'ops-admin', level: 30 });
    expect(byId['access-line-2']).toMatchObject({ method: 'GET', route: '/api/v1/secrets/:id/value', status: 200, actor: 'ops-admin' });
    expect(byId['access-line-3']).toMatchObject({ method: 'GET', route: '/api/v1/secrets/:id/value', status: 401, level: 40 });
    expect(byId['access-line-3']).not.toHaveProperty('actor');
    for (const line of lines) expect(typeof line.durationMs).toBe('number');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('access-line-value');
    expect(text).not.toContain('access-query-canary'); // never the raw URL or its query
    expect(text).not.toContain(id); // the template, not the path
  });
});
