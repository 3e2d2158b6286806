import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { adminToken, hsToken, noRoleToken } from '../support/tokens.js';

/**
 * Every operation under /api/v1/ (read from the live OpenAPI document, so routes added later are
 * covered without touching this file) refuses an anonymous caller with 401 and a caller without a
 * role with 403, and each refusal leaves exactly one audit row naming the route.
 */
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const MADE_UP_ID = 'sec_AAAAAAAAAAAAAAAA';
/** Operations under /api/v1/ meant to be callable without a token (none today). */
const PUBLIC_OPERATIONS = new Set<string>([]);

interface Operation {
  method: string;
  /** OpenAPI path, e.g. /api/v1/secrets/{id}/value */
  path: string;
  /** The route as Fastify names it (what audit rows record), e.g. /api/v1/secrets/:id/value */
  route: string;
  url: string;
}

describe('audit coverage of every /api/v1 operation', () => {
  let app: TestApp;
  let db: pg.Client;
  let operations: Operation[];

  beforeAll(async () => {
    app = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '100000' } });
    db = await connect(app.db.url);
    const doc = await app.call('GET', '/api/docs-json', { token: null });
    expect(doc.status).toBe(200);
    operations = [];
    for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of METHODS) {
        if (!item[method] || PUBLIC_OPERATIONS.has(`${method.toUpperCase()} ${path}`)) continue;
        operations.push({
          method: method.toUpperCase(),
          path,
          route: path.replace(/\{([^}]+)\}/g, ':$1'),
          url: path.replace(/\{[^}]+\}/g, MADE_UP_ID),
        });
      }
    }
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const rowsOf = async (requestId: string) =>
    (await db.query('SELECT action, outcome, details FROM audit_events WHERE request_id = $1', [requestId])).rows as {
      action: string;
      outcome: string;
      details: { route?: string; status?: number; client_request_id?: string };
    }[];

  it('finds the operations in the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(15);
    const names = operations.map((o) => `${o.method} ${o.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/v1/audit/events',
        'GET /api/v1/audit/verify',
        'GET /api/v1/secrets/{id}/value',
        // Incidents (admin: open, lift; admin and auditor: read) are refused to readers like every other operation.
        'POST /api/v1/incidents',
        'GET /api/v1/incidents',
        'GET /api/v1/incidents/{id}',
        'POST /api/v1/incidents/{id}/lift',
        // The task list (admin and auditor): refused to readers like the task status it lists.
        'GET /api/v1/tasks',
      ]),
    );
  });

  it.each([
    { who: 'no token', token: null, status: 401, action: 'auth.denied' },
    { who: 'a token without a role', token: noRoleToken(), status: 403, action: 'auth.forbidden' },
    // No policy names this reader: deny by default, on every operation.
    { who: 'a reader no policy names', token: hsToken({ sub: 'svc-unnamed', roles: ['reader'] }), status: 403, action: 'auth.forbidden' },
  ])('refuses $who with $status and one $action row per operation', async ({ token, status, action }) => {
    const problems: string[] = [];
    let n = 0;
    for (const op of operations) {
      const requestId = `coverage-${status}-${++n}`;
      const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
      const res = await app.call(op.method, op.url, { token, body, headers: { 'x-request-id': requestId } });
      const name = `${op.method} ${op.path}`;
      if (res.status !== status) {
        problems.push(`${name}: answered ${res.status}, expected ${status}`);
        continue;
      }
      // Rows carry our id (the one we answered with); the caller's stays beside it in details.
      expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
      const rows = await rowsOf(res.body.requestId);
      if (rows.length !== 1) {
        problems.push(`${name}: left ${rows.length} audit rows, expected exactly one (is the route @Audited?)`);
        continue;
      }
      const [row] = rows;
      if (
        row!.action !== action ||
        row!.outcome !== 'denied' ||
        row!.details.route !== op.route ||
        row!.details.status !== status ||
        row!.details.client_request_id !== requestId
      ) {
        problems.push(`${name}: audit row ${JSON.stringify(row)} does not say ${action}/denied for ${op.route}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('refuses a locked-out subject (an open incident) on every operation with 403 subject_locked_out and one auth.forbidden row, whatever its role', async () => {
    const token = adminToken('ops-locked-out');
    const opened = await app.call('POST', '/api/v1/incidents', { body: { subject: 'ops-locked-out', from: new Date(Date.now() - 60_000).toISOString(), reason: 'matrix' } });
    expect(opened.status).toBe(202);
    await eventually(async () => (await app.call('GET', '/api/v1/incidents', { token })).status === 403, 10_000);
    const problems: string[] = [];
    let n = 0;
    for (const op of operations) {
      const requestId = `coverage-locked-${++n}`;
      const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
      const res = await app.call(op.method, op.url, { token, body, headers: { 'x-request-id': requestId } });
      const name = `${op.method} ${op.path}`;
      if (res.status !== 403 || res.body.code !== 'subject_locked_out') {
        problems.push(`${name}: answered ${res.status} ${res.body?.code}, expected 403 subject_locked_out`);
        continue;
      }
      const rows = await rowsOf(res.body.requestId);
      if (rows.length !== 1 || rows[0]!.action !== 'auth.forbidden' || rows[0]!.outcome !== 'denied' || rows[0]!.details.route !== op.route) {
        problems.push(`${name}: audit rows ${JSON.stringify(rows)}, expected one auth.forbidden/denied`);
      }
    }
    expect(problems).toEqual([]);
    expect((await app.call('POST', `/api/v1/incidents/${opened.body.id}/lift`, { body: {} })).status).toBe(200);
  }, 120_000);

  /** The only operations a reader may call, and then only on what a policy grants it. */
  const READER_OPERATIONS = new Set(['GET /api/v1/secrets', 'GET /api/v1/secrets/{id}/value']);

  it('lets a reader with a policy call only the two granted reads, only on granted secrets; 403 with one audit row elsewhere', async () => {
    const mk = async (name: string) => (await app.call('POST', '/api/v1/secrets/', { body: { name, secret_type: 'API_KEY' } })).body.id as string;
    const granted = await mk('matrix_granted');
    const other = await mk('other_secret');
    const policy = await app.call('POST', '/api/v1/policies', {
      body: { name: 'matrix-reader', subjects: ['svc-matrix'], name_prefix: 'matrix_', capabilities: ['read_value', 'list'] },
    });
    expect(policy.status).toBe(201);
    const token = hsToken({ sub: 'svc-matrix', roles: ['reader'] });
    const problems: string[] = [];
    let n = 0;
    for (const op of operations) {
      const name = `${op.method} ${op.path}`;
      const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
      // Every operation on a secret, tried on the granted one and on another.
      const targets = op.path.includes('{id}') && op.path.startsWith('/api/v1/secrets/{id}') ? [granted, other] : [MADE_UP_ID];
      for (const id of targets) {
        const requestId = `coverage-reader-${++n}`;
        const url = op.path.replace(/\{[^}]+\}/g, id);
        const res = await app.call(op.method, url, { token, body, headers: { 'x-request-id': requestId } });
        if (READER_OPERATIONS.has(name) && id !== other && id !== MADE_UP_ID) {
          if (res.status !== 200) problems.push(`${name} on the granted secret: answered ${res.status}, expected 200`);
          continue;
        }
        if (READER_OPERATIONS.has(name) && op.path === '/api/v1/secrets') {
          const names = (res.body.items ?? []).map((s: { name: string }) => s.name);
          if (res.status !== 200 || names.join() !== 'matrix_granted') problems.push(`${name}: answered ${res.status} ${JSON.stringify(names)}, expected only matrix_granted`);
          continue;
        }
        if (res.status !== 403) {
          problems.push(`${name} (${id}): answered ${res.status}, expected 403`);
          continue;
        }
        const rows = await rowsOf(res.body.requestId);
        if (rows.length !== 1 || rows[0]!.action !== 'auth.forbidden' || rows[0]!.outcome !== 'denied' || rows[0]!.details.route !== op.route) {
          problems.push(`${name} (${id}): audit rows ${JSON.stringify(rows)}, expected one auth.forbidden/denied`);
        }
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
