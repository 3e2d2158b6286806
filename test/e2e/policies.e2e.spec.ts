import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, EMBEDDED_DB } from '../support/database.js';
import { auditorToken, hsToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const P = '/api/v1/policies';
const readerToken = (sub: string, claims: Record<string, unknown> = {}) => hsToken({ sub, roles: ['reader'], claims });
const BILLING = { name: 'billing-reads-own', subjects: ['svc-billing'], name_prefix: 'billing_', tags: { service: 'billing' }, secret_types: [], secret_ids: [], capabilities: ['read_value', 'list'] };

describe('access policies: management, enforcement for readers, explain', () => {
  let app: TestApp;
  let db: pg.Client;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '100000' } });
    db = await connect(app.db.url);
    const mk = async (name: string, tags: Record<string, string>, value: string) => {
      const r = await app.call('POST', `${S}/`, { body: { name, secret_type: 'API_KEY', value, tags } });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    ids.db = await mk('billing_db', { service: 'billing' }, 'billing-db-value-1');
    ids.api = await mk('billing_api', { service: 'billing' }, 'billing-api-value-1');
    ids.foreignTag = await mk('billing_shared', { service: 'orders' }, 'shared-value-1');
    ids.orders = await mk('orders_db', { service: 'billing' }, 'orders-db-value-1');
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const auditRows = (requestId: string) =>
    eventually(async () => {
      const r = (await db.query('SELECT action, outcome, actor, roles, secret_id, details FROM audit_events WHERE request_id = $1', [requestId])).rows;
      return r.length > 0 ? r : null;
    }, 10_000);

  it('creates the example policy as the issue writes it, and manages it (admin only, audited)', async () => {
    const created = await app.call('POST', P, { body: BILLING });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'billing-reads-own', subjects: ['sub:svc-billing'], name_prefix: 'billing_', tags: { service: 'billing' }, secret_types: [], secret_ids: [], capabilities: ['read_value', 'list'], created_by: 'ops-admin' });
    expect(created.body.id).toMatch(/^pol_/);
    ids.policy = created.body.id;
    const [row] = await auditRows(created.headers.get('x-request-id')!);
    expect(row).toMatchObject({ action: 'policy.created', outcome: 'success', actor: 'ops-admin', details: expect.objectContaining({ policy_name: 'billing-reads-own' }) });

    expect((await app.call('POST', P, { body: BILLING })).status).toBe(409);
    expect((await app.call('GET', `${P}/${ids.policy}`)).body.name).toBe('billing-reads-own');
    expect((await app.call('GET', P)).body.items.map((p: { name: string }) => p.name)).toEqual(['billing-reads-own']);
    expect((await app.call('GET', `${P}/pol_AAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await app.call('GET', `${P}/not-an-id`)).status).toBe(400);
    const auditorTry = await app.call('POST', P, { body: { ...BILLING, name: 'x' }, token: auditorToken() });
    expect(auditorTry.status).toBe(403);
    expect((await auditRows(auditorTry.headers.get('x-request-id')!))[0]).toMatchObject({ action: 'auth.forbidden', outcome: 'denied' });
    expect((await app.call('GET', P, { token: readerToken('svc-billing') })).status).toBe(403);
  });

  it.each([
    ['an unknown capability', { capabilities: ['write'] }],
    ['no capability', { capabilities: [] }],
    ['no subject', { subjects: [] }],
    ['a subject with control characters', { subjects: ['svc\u0000x'] }],
    ['a malformed secret id', { secret_ids: ['not-a-secret'] }],
    ['an unknown secret type', { secret_types: ['NOPE'] }],
    ['a non-string tag', { tags: { service: 1 } }],
    ['a bad name', { name: 'Has Spaces' }],
    ['an unknown field', { effect: 'deny' }],
    ['duplicate subjects', { subjects: ['a', 'a'] }],
    ['too many subjects', { subjects: Array.from({ length: 101 }, (_, i) => `s${i}`) }],
  ])('refuses a policy with %s (400)', async (_what, change) => {
    const res = await app.call('POST', P, { body: { ...BILLING, name: 'invalid-one', ...change } });
    expect(res.status).toBe(400);
  });

  it('lets the reader list only granted secrets, keyset paging intact', async () => {
    const token = readerToken('svc-billing');
    const first = await app.call('GET', `${S}?limit=1`, { token });
    expect(first.status).toBe(200);
    expect(first.body.items.map((s: { name: string }) => s.name)).toEqual(['billing_db']);
    const second = await app.call('GET', `${S}?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`, { token });
    expect(second.body.items.map((s: { name: string }) => s.name)).toEqual(['billing_api']);
    expect(second.body.next_cursor).toBeNull();
    // The caller's own filters narrow further; they never widen.
    expect((await app.call('GET', `${S}?name_prefix=orders_`, { token })).body.items).toEqual([]);
    // An admin and an auditor still see everything.
    expect((await app.call('GET', S, { token: auditorToken() })).body.items).toHaveLength(4);
  });

  it('lets the reader read a granted value, and answers 403 (audited) for every other secret and operation', async () => {
    const token = readerToken('svc-billing');
    const ok = await app.call('GET', `${S}/${ids.db}/value`, { token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'billing_db', value: 'billing-db-value-1' });
    expect((await auditRows(ok.headers.get('x-request-id')!))[0]).toMatchObject({
      action: 'secret.value_read',
      outcome: 'success',
      actor: 'svc-billing',
      roles: ['reader'],
      secret_id: ids.db,
      details: expect.objectContaining({ policy: 'billing-reads-own' }),
    });
    expect((await app.call('GET', `${S}/${ids.db}/value?version=1`, { token })).status).toBe(200);

    const denied: Array<[string, string, unknown?]> = [
      ['GET', `${S}/${ids.orders}/value`],
      ['GET', `${S}/${ids.foreignTag}/value`],
      ['GET', `${S}/sec_AAAAAAAAAAAAAAAA/value`],
      ['GET', `${S}/${ids.db}`],
      ['GET', `${S}/${ids.db}/versions`],
      ['PUT', `${S}/${ids.db}/value`, { value: 'stolen' }],
      ['PATCH', `${S}/${ids.db}`, { description: 'x' }],
      ['DELETE', `${S}/${ids.db}`],
      ['POST', `${S}/`, { name: 'billing_new', secret_type: 'API_KEY' }],
      ['GET', `${P}/explain?sub=svc-billing&secret_id=${ids.db}`],
    ];
    for (const [method, url, body] of denied) {
      const res = await app.call(method, url, { token, body });
      expect(res.status, `${method} ${url}`).toBe(403);
      const rows = await auditRows(res.headers.get('x-request-id')!);
      expect(rows, `${method} ${url}`).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'auth.forbidden', outcome: 'denied', actor: 'svc-billing' });
    }
    // A secret that does not exist and one that is not granted look the same to a reader.
    const missing = await app.call('GET', `${S}/sec_AAAAAAAAAAAAAAAA/value`, { token });
    const hidden = await app.call('GET', `${S}/${ids.orders}/value`, { token });
    expect(missing.body.message.replace(/sec_\w+/, '')).toBe(hidden.body.message.replace(/sec_\w+/, ''));
    expect((await app.call('GET', `${S}/${ids.db}`, { token: readerToken('svc-billing') })).status).toBe(403);
    // The value never reaches the audit rows.
    const leaked = await db.query("SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE '%billing-db-value-1%'");
    expect(leaked.rows[0].n).toBe(0);
  });

  it('denies by default: a reader no policy names gets 403 on the list and on values', async () => {
    const token = readerToken('svc-orders');
    expect((await app.call('GET', S, { token })).status).toBe(403);
    expect((await app.call('GET', `${S}/${ids.orders}/value`, { token })).status).toBe(403);
    // A role claim alone does not make an auditor or admin read values.
    expect((await app.call('GET', `${S}/${ids.db}/value`, { token: auditorToken() })).status).toBe(403);
  });

  it('matches group and azp subjects, and Kubernetes service account subs', async () => {
    const k8s = 'system:serviceaccount:billing:api';
    const r = await app.call('POST', P, {
      body: { name: 'billing-clients', subjects: [k8s, 'group:payments', 'azp:billing-client'], secret_ids: [ids.api], capabilities: ['read_value'] },
    });
    expect(r.status).toBe(201);
    expect(r.body.subjects).toEqual([`sub:${k8s}`, 'group:payments', 'azp:billing-client']);
    for (const token of [readerToken(k8s), readerToken('svc-x', { groups: ['payments'] }), readerToken('0b7c-uuid', { azp: 'billing-client' })]) {
      expect((await app.call('GET', `${S}/${ids.api}/value`, { token })).status).toBe(200);
      expect((await app.call('GET', `${S}/${ids.db}/value`, { token })).status).toBe(403);
      // read_value without list: the list stays closed.
      expect((await app.call('GET', S, { token })).status).toBe(403);
    }
    expect((await app.call('DELETE', `${P}/${r.body.id}`)).status).toBe(204);
  });

  it('explains which policy grants each capability, or why none does (admin and auditor)', async () => {
    const granted = await app.call('GET', `${P}/explain?sub=svc-billing&secret_id=${ids.db}`, { token: auditorToken() });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      sub: 'svc-billing',
      secret_id: ids.db,
      secret_name: 'billing_db',
      capabilities: {
        read_value: { granted: true, granted_by: ['billing-reads-own'] },
        list: { granted: true, granted_by: ['billing-reads-own'] },
      },
    });
    const wrongTag = await app.call('GET', `${P}/explain?sub=svc-billing&secret_id=${ids.foreignTag}`);
    expect(wrongTag.body.capabilities.read_value).toEqual({ granted: false, granted_by: [], reason: 'selectors do not match: billing-reads-own (tag service:billing missing)' });
    const stranger = await app.call('GET', `${P}/explain?sub=svc-orders&secret_id=${ids.orders}`);
    expect(stranger.body.capabilities.list.reason).toBe('no policy names this subject (deny by default)');
    const viaGroup = await app.call('GET', `${P}/explain?sub=svc-x&groups=ops,payments&secret_id=${ids.db}`);
    expect(viaGroup.body.principals).toEqual(['sub:svc-x', 'group:ops', 'group:payments']);
    expect((await app.call('GET', `${P}/explain?sub=svc-billing&secret_id=sec_AAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await app.call('GET', `${P}/explain?sub=svc-billing&secret_id=nope`)).status).toBe(400);
    expect((await app.call('GET', `${P}/explain?secret_id=${ids.db}`)).status).toBe(400);
  });

  it('applies an update at once on this replica (PUT replaces the policy)', async () => {
    const token = readerToken('svc-billing');
    const put = await app.call('PUT', `${P}/${ids.policy}`, { body: { ...BILLING, capabilities: ['list'] } });
    expect(put.status).toBe(200);
    expect(put.body.capabilities).toEqual(['list']);
    expect((await app.call('GET', `${S}/${ids.db}/value`, { token })).status).toBe(403);
    expect((await app.call('GET', S, { token })).status).toBe(200);
    expect((await app.call('PUT', `${P}/${ids.policy}`, { body: BILLING })).status).toBe(200);
    expect((await app.call('GET', `${S}/${ids.db}/value`, { token })).status).toBe(200);
  });
  it('the access review lists each policy, what it grants, and the grants nobody used in the period', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const policy = await app.call('POST', P, {
      body: { name: 'review-grants', subjects: ['svc-review', 'svc-idle', 'group:ops'], name_prefix: 'billing_', capabilities: ['read_value', 'list'] },
    });
    expect(policy.status).toBe(201);
    expect((await app.call('GET', `${S}/${ids.api}/value`, { token: readerToken('svc-review') })).status).toBe(200);
    const res = await app.call('POST', '/api/v1/reports', { body: { kind: 'access_review', from, to: new Date().toISOString() } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const dl = await app.call('GET', `/api/v1/reports/${res.body.report.id}?format=json`, { token: auditorToken() });
    expect(dl.status).toBe(200);
    const doc = typeof dl.body === 'string' ? JSON.parse(dl.body) : dl.body;
    const rows = (id: string) => doc.sections.find((x: { id: string }) => x.id === id).rows as Record<string, string>[];
    expect(rows('access-policies')).toEqual([
      { policy: 'billing-reads-own', subjects: 'sub:svc-billing', selects: 'name starts with billing_; tags service:billing', capabilities: 'read_value, list' },
      { policy: 'review-grants', subjects: 'sub:svc-review, sub:svc-idle, group:ops', selects: 'name starts with billing_', capabilities: 'read_value, list' },
    ]);
    const unused = rows('unused-grants').map((g) => `${g.policy} ${g.subject} ${g.capability}: ${g.note}`);
    expect(unused.sort()).toEqual([
      'review-grants group:ops list: not attributable from the audit log (only sub is recorded)',
      'review-grants group:ops read_value: no value read through this policy by a caller it names by role, group or azp',
      'review-grants sub:svc-idle list: not used in the period',
      'review-grants sub:svc-idle read_value: not used in the period',
      'review-grants sub:svc-review list: not used in the period',
    ]);
    expect(doc.metrics).toMatchObject({ access_policies: 2, unused_grants: 5 });

    // A read by a group member through this policy counts as the group subject's use.
    expect((await app.call('GET', `${S}/${ids.db}/value`, { token: readerToken('svc-ops-member', { groups: ['ops'] }) })).status).toBe(200);
    const again = await app.call('POST', '/api/v1/reports', { body: { kind: 'access_review', from, to: new Date().toISOString() } });
    const doc2 = (await app.call('GET', `/api/v1/reports/${again.body.report.id}?format=json`, { token: auditorToken() })).body;
    const unused2 = doc2.sections.find((x: { id: string }) => x.id === 'unused-grants').rows.map((g: Record<string, string>) => `${g.subject} ${g.capability}`);
    expect(unused2.sort()).toEqual(['group:ops list', 'sub:svc-idle list', 'sub:svc-idle read_value', 'sub:svc-review list']);
    expect((await app.call('DELETE', `${P}/${policy.body.id}`)).status).toBe(204);
  });
});

// Two processes on one database is the point here; the embedded database belongs to one process.
describe.skipIf(EMBEDDED_DB)('access policies with two replicas on one database', () => {
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

  it('a change made on one replica takes effect on the other within seconds', async () => {
    const secret = await a.call('POST', `${S}/`, { body: { name: 'billing_db', secret_type: 'API_KEY', tags: { service: 'billing' } } });
    const url = `${S}/${secret.body.id}/value`;
    const token = readerToken('svc-billing');
    // B has looked at the (empty) policies and cached them.
    expect((await b.call('GET', url, { token })).status).toBe(403);

    const created = await a.call('POST', P, { body: BILLING });
    expect(created.status).toBe(201);
    await eventually(async () => (await b.call('GET', url, { token })).status === 200, 10_000);

    expect((await a.call('DELETE', `${P}/${created.body.id}`)).status).toBe(204);
    await eventually(async () => (await b.call('GET', url, { token })).status === 403, 10_000);
    expect((await b.call('GET', S, { token })).status).toBe(403);
  });
});

describe('JWT_IMPLICIT_READER, and REQUIRE_MFA with reader tokens', () => {
  let app: TestApp;
  const mfaAdmin = hsToken({ sub: 'ops-admin', roles: ['admin'], amr: ['mfa'] });
  beforeAll(async () => {
    app = await startTestApp({ env: { JWT_IMPLICIT_READER: 'true', REQUIRE_MFA: 'true' } });
    const call = app.call;
    app.call = (method, path, o = {}) => call(method, path, { ...o, token: o.token === undefined ? mfaAdmin : o.token });
  });
  afterAll(() => app?.stop());

  it('treats a Kubernetes service-account token without roles as a reader: its own secret only', async () => {
    const sa = 'system:serviceaccount:billing:api';
    const mine = (await app.call('POST', `${S}/`, { body: { name: 'billing_db', secret_type: 'API_KEY', value: 'k8s-value-123' } })).body.id;
    const other = (await app.call('POST', `${S}/`, { body: { name: 'orders_db', secret_type: 'API_KEY' } })).body.id;
    const token = hsToken({ sub: sa, claims: { aud: 'strongroom' } });
    // Deny by default until a policy names it.
    expect((await app.call('GET', `${S}/${mine}/value`, { token })).status).toBe(403);
    expect((await app.call('POST', P, { body: { name: 'k8s-billing-api', subjects: [sa], name_prefix: 'billing_', capabilities: ['read_value'] } })).status).toBe(201);
    const read = await app.call('GET', `${S}/${mine}/value`, { token });
    expect(read.status).toBe(200);
    expect(read.body.value).toBe('k8s-value-123');
    expect((await app.call('GET', `${S}/${other}/value`, { token })).status).toBe(403);
    expect((await app.call('GET', `${S}/${mine}`, { token })).status).toBe(403);
    // A token with a known role keeps it.
    expect((await app.call('GET', `${S}/${mine}/value`, { token: auditorToken() })).status).toBe(403);
  });

  it('scopes an admin+reader token without MFA to its policies (admin needs amr)', async () => {
    const both = hsToken({ sub: 'system:serviceaccount:billing:api', roles: ['admin', 'reader'] });
    const list = await app.call('GET', S, { token: both });
    expect(list.status).toBe(403);
    const mine = (await app.call('GET', `${S}?name_prefix=billing_`)).body.items[0].id;
    const other = (await app.call('GET', `${S}?name_prefix=orders_`)).body.items[0].id;
    expect((await app.call('GET', `${S}/${mine}/value`, { token: both })).status).toBe(200);
    expect((await app.call('GET', `${S}/${other}/value`, { token: both })).status).toBe(403);
    const withMfa = hsToken({ sub: 'ops-admin-2', roles: ['admin', 'reader'], amr: ['otp'] });
    expect((await app.call('GET', `${S}/${other}/value`, { token: withMfa })).status).toBe(200);
  });
});
