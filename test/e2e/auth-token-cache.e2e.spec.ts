import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { hsToken } from '../support/tokens.js';

/**
 * A verified token's signature is not verified again until its exp; everything that is not that
 * same token, byte for byte, still goes through full verification.
 */
describe('the verified-token cache', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { JWT_CLOCK_SKEW_SECONDS: '5' } });
  });
  afterAll(() => app?.stop());

  it('serves a token it has verified, but refuses the same claims under another signature', async () => {
    const token = hsToken({ sub: 'cache-admin', roles: ['admin'] });
    expect((await app.call('GET', '/api/v1/secrets/types', { token })).status).toBe(200);
    expect((await app.call('GET', '/api/v1/secrets/types', { token })).status).toBe(200);
    const [head, body, sig] = token.split('.') as [string, string, string];
    const flipped = `${head}.${body}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    const forged = await app.call('GET', '/api/v1/secrets/types', { token: flipped });
    expect(forged.status).toBe(401);
    expect(forged.body.message).toMatch(/invalid signature|invalid token/);
    // Same claims signed with another secret: also a different token, verified, refused.
    const other = hsToken({ sub: 'cache-admin', roles: ['admin'], secret: 'another-secret-of-sufficient-length-0123456789' });
    expect((await app.call('GET', '/api/v1/secrets/types', { token: other })).status).toBe(401);
  });

  it('keeps the roles of the token it cached (an auditor stays an auditor)', async () => {
    const token = hsToken({ sub: 'cache-auditor', roles: ['auditor'] });
    expect((await app.call('GET', '/api/v1/secrets', { token })).status).toBe(200);
    expect((await app.call('POST', '/api/v1/secrets', { token, body: { name: 'cache_denied', secret_type: 'API_KEY' } })).status).toBe(403);
  });

  it('refuses an expired token even when it was cached before', async () => {
    // exp 1 s ahead, plus the 5 s clock tolerance: accepted now, refused after.
    const token = hsToken({ sub: 'cache-short', roles: ['admin'], expiresIn: 1 });
    expect((await app.call('GET', '/api/v1/secrets/types', { token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 7_000));
    const late = await app.call('GET', '/api/v1/secrets/types', { token });
    expect(late.status).toBe(401);
    expect(late.body.message).toMatch(/expired/);
  });
});
