/**
 * The test IdP against the running Strongroom API (JWKS verification): its access tokens (device
 * flow for the CLI client, authorization code + PKCE for the console client) are accepted with the
 * account's role; a token of the same shape signed by another key is refused.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { freePort, idpEnvFor, type OidcIdp, startOidcIdp } from './oidc-idp.js';

const form = (o: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

describe('test OpenID provider (oidc-idp)', () => {
  let idp: OidcIdp;
  let app: TestApp;
  const redirectUri = 'http://127.0.0.1:9/callback';

  beforeAll(async () => {
    const port = await freePort();
    app = await startTestApp({ env: idpEnvFor(port) });
    idp = await startOidcIdp({ port, consoleRedirectUris: [redirectUri] });
  });

  afterAll(async () => {
    await idp?.close();
    await app?.stop();
  });

  async function deviceToken(accountId: string): Promise<{ access_token: string; refresh_token?: string }> {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    const auth = (await (await fetch(meta.device_authorization_endpoint!, form({ client_id: idp.cliClientId, scope: 'openid offline_access' }))).json()) as {
      device_code: string;
      user_code: string;
    };
    const pending = await fetch(meta.token_endpoint!, form({ client_id: idp.cliClientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.device_code }));
    expect(pending.status).toBe(400);
    expect(((await pending.json()) as { error: string }).error).toBe('authorization_pending');
    await idp.approveDevice(auth.user_code, accountId);
    const res = await fetch(meta.token_endpoint!, form({ client_id: idp.cliClientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.device_code }));
    const body = (await res.json()) as { access_token: string; refresh_token?: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('a device-flow access token is a JWT for the audience, with sub and roles, that the API accepts with that role', async () => {
    const { access_token: token, refresh_token: refresh } = await deviceToken('alice-admin');
    const claims = jwt.decode(token, { complete: true })!;
    expect(claims.header.alg).toBe('RS256');
    expect(claims.payload).toMatchObject({ iss: idp.issuer, aud: idp.audience, sub: 'alice-admin', roles: ['admin'] });
    expect(refresh).toEqual(expect.any(String));

    const created = await app.call('POST', '/api/v1/secrets', { token, body: { name: `idp-${randomBytes(3).toString('hex')}`, secret_type: 'API_KEY' } });
    expect(created.status, created.text).toBe(201);

    const reader = (await deviceToken('bob-reader')).access_token;
    expect(jwt.decode(reader)).toMatchObject({ sub: 'bob-reader', roles: ['reader'] });
    const refused = await app.call('POST', '/api/v1/secrets', { token: reader, body: { name: `idp-r-${randomBytes(3).toString('hex')}`, secret_type: 'API_KEY' } });
    expect(refused.status).toBe(403);
  });

  it('a token of the same shape signed by another key is refused', async () => {
    const { access_token: token } = await deviceToken('alice-admin');
    const { header, payload } = jwt.decode(token, { complete: true })! as { header: { kid: string }; payload: Record<string, unknown> };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign(payload, privateKey, { algorithm: 'RS256', keyid: header.kid });
    expect((await app.call('GET', '/api/v1/secrets', { token })).status).toBe(200);
    expect((await app.call('GET', '/api/v1/secrets', { token: forged })).status).toBe(401);
  });

  it('denyDevice aborts at /device: the device code then answers access_denied', async () => {
    const auth = (await (await fetch(`${idp.issuer}/device/auth`, form({ client_id: idp.cliClientId, scope: 'openid' }))).json()) as { device_code: string; user_code: string };
    await idp.denyDevice(auth.user_code);
    const res = await fetch(`${idp.issuer}/token`, form({ client_id: idp.cliClientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.device_code }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('access_denied');
  });

  it('without deviceFlow the discovery document names no device authorization endpoint', async () => {
    const plain = await startOidcIdp({ deviceFlow: false });
    try {
      const meta = (await (await fetch(`${plain.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(meta.token_endpoint).toBe(`${plain.issuer}/token`);
      expect(meta).not.toHaveProperty('device_authorization_endpoint');
    } finally {
      await plain.close();
    }
  });

  it('the console client signs in with authorization code + PKCE at the login page', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const jar = new Map<string, string>();
    const go = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
      }
      return res;
    };
    const q = new URLSearchParams({ client_id: idp.consoleClientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 's1' });
    let res = await go(`${idp.issuer}/auth?${q}`);
    expect(res.status).toBe(303);
    const loginUrl = new URL(res.headers.get('location')!, idp.issuer).toString();
    const page = await (await go(loginUrl)).text();
    expect(page).toContain('<label for="login">Account</label>');
    expect(page).toContain('name="login"');
    expect(page).toContain('Sign in</button>');
    const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!;
    res = await go(new URL(action, idp.issuer).toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=carol-auditor' });
    while (res.status >= 300 && res.status < 400 && !res.headers.get('location')!.startsWith(redirectUri)) {
      res = await go(new URL(res.headers.get('location')!, idp.issuer).toString());
    }
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('s1');
    const code = back.searchParams.get('code');
    expect(code, back.toString()).toBeTruthy();
    const tokenRes = await fetch(`${idp.issuer}/token`, form({ client_id: idp.consoleClientId, grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, code_verifier: verifier }));
    const tokens = (await tokenRes.json()) as { access_token: string };
    expect(tokenRes.status, JSON.stringify(tokens)).toBe(200);
    expect(jwt.decode(tokens.access_token)).toMatchObject({ sub: 'carol-auditor', roles: ['auditor'], aud: idp.audience });
    expect((await app.call('GET', '/api/v1/audit/verify', { token: tokens.access_token })).status).toBe(200);
  });
});
