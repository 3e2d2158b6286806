import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { type OAuthServer, startOAuthServer } from '../support/oauth-server.js';
import { rotateAndSettle } from '../support/rotation.js';

const S = '/api/v1/secrets';
const HOUR = 3_600_000;

/**
 * The OAuth rotators against a real OAuth 2 / OpenID server (oidc-provider) on 127.0.0.1 over
 * TLS: client credentials (a new access token, verified by introspection) and refresh token
 * rotation (the old refresh token stops working at the server).
 */
describe('oauth rotators against oidc-provider', () => {
  let app: TestApp;
  let idp: OAuthServer;
  let clientSecretId: string;
  let n = 0;

  beforeAll(async () => {
    idp = await startOAuthServer();
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2', ROTATOR_ALLOWED_HOSTS: '127.0.0.1' } });
    const res = await app.call('POST', `${S}/`, { body: { name: 'oauth_client_secret', secret_type: 'API_KEY', value: idp.clientSecret } });
    expect(res.status, res.text).toBe(201);
    clientSecretId = res.body.id;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await idp?.close();
  });

  const settings = (kind: string, over: Record<string, unknown> = {}) => ({ ...idp.rotatorSettings(kind, clientSecretId), ...over });
  const create = async (kind: string, value: string, over: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => {
    const res = await app.call('POST', `${S}/`, { body: { name: `oauth_token_${++n}`, secret_type: 'OAUTH_TOKEN', value, rotator: settings(kind, over), ...extra } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string };
  };
  const valueOf = async (id: string) => (await app.call('GET', `${S}/${id}/value`)).body as { value: string; version: number };
  const token = (value: string) => JSON.parse(value) as { access_token: string; refresh_token?: string; expires_at: string; issued_at: string; token_type: string };

  it('client credentials: a new access token, active at the server, with its expiry and renewal time stored', async () => {
    const s = await create('oauth_client_credentials', 'placeholder-before-first-token');
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready, JSON.stringify(dry.body.checks)).toBe(true);

    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'oauth_client_credentials', to_version: 2 });
    const first = token((await valueOf(s.id)).value);
    expect(first.token_type).toBe('Bearer');
    expect(await idp.isActive(first.access_token)).toBe(true);
    const issued = new Date(first.issued_at).getTime();
    expect(new Date(first.expires_at).getTime()).toBe(issued + HOUR);
    const meta = (await app.call('GET', `${S}/${s.id}`)).body;
    expect(new Date(meta.expires_at).getTime()).toBe(issued + HOUR);
    expect(new Date(meta.next_rotation_at).getTime()).toBe(Math.floor(issued + 0.66 * HOUR));

    const again = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(again.status, again.text).toBe(200);
    const second = token((await valueOf(s.id)).value);
    expect(second.access_token).not.toBe(first.access_token);
    expect(await idp.isActive(second.access_token)).toBe(true);
  });

  it('refresh token: a new access + refresh token pair; the old refresh token stops working at the server', async () => {
    const initial = await idp.issueRefreshToken();
    const s = await create('oauth_refresh_token', initial);
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready, JSON.stringify(dry.body.checks)).toBe(true);
    expect(await idp.isActive(initial, 'refresh_token')).toBe(true);

    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status, res.text).toBe(200);
    const pair = token((await valueOf(s.id)).value);
    expect(pair.refresh_token).toBeDefined();
    expect(pair.refresh_token).not.toBe(initial);
    expect(await idp.isActive(pair.access_token)).toBe(true);
    expect(await idp.isActive(pair.refresh_token!, 'refresh_token')).toBe(true);
    expect(await idp.isActive(initial, 'refresh_token')).toBe(false);

    // The chain goes on: the stored refresh token is the one the next rotation uses.
    expect((await app.call('POST', `${S}/${s.id}/rotate`)).status).toBe(200);
    const next = token((await valueOf(s.id)).value);
    expect(await idp.isActive(next.refresh_token!, 'refresh_token')).toBe(true);
    expect(await idp.isActive(pair.refresh_token!, 'refresh_token')).toBe(false);
  });

  it('a token value stored at create with its lifetime sets expires_at and the renewal time', async () => {
    const issued = Date.parse('2026-01-01T00:00:00.000Z');
    const value = JSON.stringify({ access_token: `at-${randomBytes(16).toString('hex')}`, token_type: 'Bearer', refresh_token: `rt-${randomBytes(16).toString('hex')}`, issued_at: new Date(issued).toISOString(), expires_at: new Date(issued + HOUR).toISOString() });
    const s = await create('oauth_refresh_token', value, { renew_at_fraction: 0.5 });
    const meta = (await app.call('GET', `${S}/${s.id}`)).body;
    expect(new Date(meta.expires_at).getTime()).toBe(issued + HOUR);
    expect(new Date(meta.next_rotation_at).getTime()).toBe(issued + HOUR / 2);
  });

  it('a token endpoint that fails leaves the previous refresh token current and working', async () => {
    const initial = await idp.issueRefreshToken();
    const s = await create('oauth_refresh_token', initial);
    idp.failures.set('token', 503);
    try {
      const { response, rotation } = await rotateAndSettle(app, s.id);
      expect(response.status).toBe(202);
      expect(rotation).toMatchObject({ status: 'failed', attempts: 2 });
      expect(rotation.last_error).toMatch(/token endpoint .* answered 503/);
    } finally {
      idp.failures.delete('token');
    }
    expect(await valueOf(s.id)).toMatchObject({ version: 1, value: initial });
    expect(await idp.isActive(initial, 'refresh_token')).toBe(true);
    expect((await app.call('POST', `${S}/${s.id}/rotate`)).status).toBe(200);
  });

  it('a failed verification (introspection down) leaves the previous access token current and working', async () => {
    const s = await create('oauth_client_credentials', 'placeholder');
    expect((await app.call('POST', `${S}/${s.id}/rotate`)).status).toBe(200);
    const before = await valueOf(s.id);
    idp.failures.set('introspection', 503);
    try {
      const { rotation } = await rotateAndSettle(app, s.id);
      expect(rotation).toMatchObject({ status: 'failed', attempts: 2 });
      expect(rotation.last_error).toMatch(/introspection endpoint .* answered 503/);
    } finally {
      idp.failures.delete('introspection');
    }
    expect(await valueOf(s.id)).toEqual(before);
    expect(await idp.isActive(token(before.value).access_token)).toBe(true);
  });

  it('refresh token: introspection down after the server answered still keeps the new pair (the old one is spent)', async () => {
    const initial = await idp.issueRefreshToken();
    const s = await create('oauth_refresh_token', initial);
    idp.failures.set('introspection', 503);
    try {
      const res = await app.call('POST', `${S}/${s.id}/rotate`);
      expect(res.status, res.text).toBe(200);
    } finally {
      idp.failures.delete('introspection');
    }
    const pair = token((await valueOf(s.id)).value);
    expect(await idp.isActive(pair.refresh_token!, 'refresh_token')).toBe(true);
    expect(await idp.isActive(initial, 'refresh_token')).toBe(false);
  });

  it('a wrong client secret is refused at once (invalid_client) and changes nothing', async () => {
    const wrong = await app.call('POST', `${S}/`, { body: { name: `wrong_client_secret_${++n}`, secret_type: 'API_KEY', value: 'not-the-client-secret-000000000000' } });
    const s = await create('oauth_client_credentials', 'placeholder', { admin_secret_id: wrong.body.id });
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready).toBe(false);
    expect(dry.body.checks.find((c: { check: string }) => c.check === 'client credentials accepted')).toMatchObject({ ok: false });
    const { rotation } = await rotateAndSettle(app, s.id);
    expect(rotation).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rotation.last_error).toMatch(/answered 401 invalid_client/);
    expect(await valueOf(s.id)).toMatchObject({ version: 1, value: 'placeholder' });
  });

  it('check_expired_secrets renews an expired token on its own', async () => {
    const s = await create('oauth_client_credentials', 'expired-token', {}, { expires_at: new Date(Date.now() - 60_000).toISOString() });
    const run = await app.call('POST', '/api/v1/jobs/check_expired_secrets/run');
    expect(run.status, run.text).toBe(201);
    expect(run.body.counts.rotations_queued).toBeGreaterThanOrEqual(1);
    const history = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${s.id}/rotations`)).body as { status: string }[];
      return h.length > 0 && h[0]!.status === 'completed' ? h : null;
    });
    expect(history[0]).toMatchObject({ trigger: 'schedule', rotator: 'oauth_client_credentials' });
    const renewed = token((await valueOf(s.id)).value);
    expect(await idp.isActive(renewed.access_token)).toBe(true);
    expect(new Date((await app.call('GET', `${S}/${s.id}`)).body.expires_at).getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses an http token endpoint, a target off the allow-list and other secret types', async () => {
    const bad = async (over: Record<string, unknown>, type = 'OAUTH_TOKEN') =>
      (await app.call('POST', `${S}/`, { body: { name: `bad_${++n}`, secret_type: type, value: 'x', rotator: settings('oauth_client_credentials', over) } })).body;
    expect((await bad({ token_url: idp.tokenUrl.replace('https:', 'http:') })).message).toMatch(/token_url: must be https/);
    expect((await bad({ introspection_url: 'https://10.1.2.3/introspect' })).message).toMatch(/not on ROTATOR_ALLOWED_HOSTS/);
    expect((await bad({}, 'API_KEY')).message).toMatch(/applies to OAUTH_TOKEN secrets only/);
    expect((await bad({ role: 'x' })).message).toMatch(/role is not a setting of the oauth_client_credentials rotator/);
  });

  it('never writes the client secret or a token to the audit log', async () => {
    const res = await app.call('GET', '/api/v1/audit/events?limit=500');
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(idp.clientSecret);
    const reads = res.body.items.filter((r: { action: string; secret_id: string }) => r.action === 'secret.value_read' && r.secret_id === clientSecretId);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads[0].details).toMatchObject({ purpose: 'rotator_admin_credential' });
    for (const id of (await app.call('GET', `${S}/?limit=100`)).body.items.map((s: { id: string }) => s.id)) {
      const v = (await app.call('GET', `${S}/${id}/value`)).body.value as string;
      if (v?.startsWith('{')) expect(text).not.toContain(token(v).access_token);
    }
  });
});
