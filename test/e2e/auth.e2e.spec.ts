import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { adminToken, auditorToken, hsToken, noneToken, noRoleToken } from '../support/tokens.js';

const LIST = '/api/v1/secrets';

describe('authentication and authorization (HS256)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: { JWT_ISSUER: 'https://idp.test/', JWT_AUDIENCE: 'strongroom', AUTH_FAILURE_LIMIT: '1000' },
    });
  });
  afterAll(() => app?.stop());

  const good = (extra: Parameters<typeof hsToken>[0] = {}) =>
    hsToken({ roles: ['admin'], issuer: 'https://idp.test/', audience: 'strongroom', ...extra });

  it('accepts a valid admin token', async () => {
    const res = await app.call('GET', LIST, { token: good() });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no token', null, /authentication required/],
    ['a malformed token', 'not.a.jwt', /invalid token/],
    ['a bad signature', hsToken({ roles: ['admin'], issuer: 'https://idp.test/', audience: 'strongroom', secret: 'another-secret-that-is-long-enough-0123456789' }), /invalid signature/],
    ['an expired token', hsToken({ roles: ['admin'], issuer: 'https://idp.test/', audience: 'strongroom', expiresIn: -60 }), /expired/],
    ['a token not yet valid', hsToken({ roles: ['admin'], issuer: 'https://idp.test/', audience: 'strongroom', notBefore: 3600 }), /not active/],
    ['alg none', noneToken({ sub: 'mallory', roles: ['admin'], iss: 'https://idp.test/', aud: 'strongroom' }), /invalid token/],
    ['a wrong issuer', hsToken({ roles: ['admin'], issuer: 'https://evil.test/', audience: 'strongroom' }), /issuer/],
    ['a wrong audience', hsToken({ roles: ['admin'], issuer: 'https://idp.test/', audience: 'other' }), /audience/],
  ])('answers 401 for %s', async (_case, token, message) => {
    const res = await app.call('GET', LIST, { token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(res.body.message).toMatch(message);
    expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('lets an auditor read metadata but not values or changes', async () => {
    const auditor = good({ sub: 'aud', roles: ['auditor'] });
    expect((await app.call('GET', LIST, { token: auditor })).status).toBe(200);
    expect((await app.call('GET', `${LIST}/types`, { token: auditor })).status).toBe(200);
    const created = await app.call('POST', `${LIST}/`, { token: good(), body: { name: 'auth_probe', secret_type: 'API_KEY' } });
    expect(created.status).toBe(201);
    const value = await app.call('GET', `${LIST}/${created.body.id}/value`, { token: auditor });
    expect(value.status).toBe(403);
    expect(value.body.message).toMatch(/needs the role admin/);
    const post = await app.call('POST', `${LIST}/`, { token: auditor, body: { name: 'x', secret_type: 'API_KEY' } });
    expect(post.status).toBe(403);
  });

  it('forbids a token with no known role (403), before touching the database', async () => {
    const res = await app.call('GET', LIST, { token: good({ roles: ['superuser'] }) });
    expect(res.status).toBe(403);
  });

  it('answers with its own request id (not the caller\'s) and sets security headers', async () => {
    const res = await app.call('GET', LIST, { token: good(), headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self';.*object-src 'none'/);
    // Errors carry them too (the hook runs before routing).
    const denied = await app.call('GET', LIST, { token: 'not-a-token' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('x-content-type-options')).toBe('nosniff');
    // So do the answers Fastify gives before routing (a malformed URL), and unknown routes.
    for (const path of ['/api/v1/secrets/%zz', '/no-such-route']) {
      const res = await app.call('GET', path, { token: good() });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toMatch(/^default-src 'self';/);
      expect(res.headers.get('strict-transport-security'), path).toBe('max-age=31536000; includeSubDomains');
    }
  });
});

describe('roles claim path, MFA and failure rate limit', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: { JWT_ROLES_CLAIM: 'realm_access.roles', REQUIRE_MFA: 'true', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' },
    });
  });
  afterAll(() => app?.stop());

  const nested = (roles: string[], amr?: string[]) => hsToken({ claims: { realm_access: { roles } }, amr });

  it('reads roles from a dotted claim path', async () => {
    expect((await app.call('GET', LIST, { token: nested(['auditor']) })).status).toBe(200);
    expect((await app.call('GET', LIST, { token: adminToken() })).status).toBe(403); // roles at the wrong claim
  });

  it('requires amr for admin access when REQUIRE_MFA=true', async () => {
    const without = await app.call('GET', LIST, { token: nested(['admin']) });
    expect(without.status).toBe(403);
    expect(without.body.message).toMatch(/multi-factor/);
    expect((await app.call('GET', LIST, { token: nested(['admin'], ['pwd', 'otp']) })).status).toBe(200);
    expect((await app.call('GET', LIST, { token: nested(['admin'], ['hwk']) })).status).toBe(200);
  });

  it('answers 429 with Retry-After after repeated failures', async () => {
    const headers = { 'x-forwarded-for': '10.9.9.9' };
    for (let i = 0; i < 3; i++) expect((await app.call('GET', LIST, { token: 'bad', headers })).status).toBe(401);
    const limited = await app.call('GET', LIST, { token: 'bad', headers });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // A valid token is judged first: others' failures from the same address never refuse it.
    expect((await app.call('GET', LIST, { token: nested(['auditor']), headers })).status).toBe(200);
  });
});

describe('JWKS (RS256/ES256 from an identity provider)', () => {
  let app: TestApp;
  let jwks: Server;
  let db: TestDatabase;
  type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const keys: Record<string, { privateKey: PrivateKey; kid: string }> = {};

  beforeAll(async () => {
    const jwkList: Record<string, unknown>[] = [];
    for (const alg of ['RS256', 'ES256'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `kid-${alg}`;
      keys[alg] = { privateKey, kid };
      jwkList.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
    }
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: jwkList }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const port = (jwks.address() as AddressInfo).port;
    db = await createTestDatabase();
    app = await startTestApp({ db, env: { JWT_SECRET: '', JWT_JWKS_URI: `http://127.0.0.1:${port}/jwks.json`, AUTH_FAILURE_LIMIT: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    jwks?.close();
  });

  const signed = (alg: 'RS256' | 'ES256', roles = ['admin']) =>
    new SignJWT({ roles })
      .setProtectedHeader({ alg, kid: keys[alg]!.kid })
      .setSubject(`idp-user-${alg}`)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(keys[alg]!.privateKey);

  it.each(['RS256', 'ES256'] as const)('accepts %s tokens signed by a JWKS key', async (alg) => {
    expect((await app.call('GET', LIST, { token: await signed(alg) })).status).toBe(200);
  });

  it('never accepts an HS256 token when JWKS is configured', async () => {
    const res = await app.call('GET', LIST, { token: adminToken() });
    expect(res.status).toBe(401);
  });

  it('never accepts alg none', async () => {
    expect((await app.call('GET', LIST, { token: noneToken() })).status).toBe(401);
  });

  it('still applies roles to JWKS tokens', async () => {
    expect((await app.call('POST', `${LIST}/`, { token: await signed('RS256', ['auditor']), body: {} })).status).toBe(403);
  });
});

describe('public endpoints and error shape', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(() => app?.stop());

  it('serves liveness and readiness without a token', async () => {
    expect((await app.call('GET', '/health/live', { token: null })).body).toEqual({ status: 'ok' });
    const ready = await app.call('GET', '/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('serves the OpenAPI document with the bearer scheme', async () => {
    const res = await app.call('GET', '/api/docs-json', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(res.body.paths)).toContain('/api/v1/secrets');
  });

  it('answers malformed JSON, oversized bodies and unknown routes with the one error shape', async () => {
    const bad = await app.call('POST', '/api/v1/secrets/', { body: '{"name": ' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(typeof bad.body.requestId).toBe('string');
    const big = await app.call('POST', '/api/v1/secrets/', { body: { name: 'x', secret_type: 'API_KEY', value: 'v'.repeat(4096) } });
    expect(big.status).toBe(413);
    expect(big.body.message).toMatch(/too large/);
    const missing = await app.call('GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});

// Keep tokens helpers referenced (used by other suites as well).
void auditorToken;
void noRoleToken;
