import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Agent, fetch as undiciFetch } from 'undici';
import Provider, { type GrantModel, type OidcContext } from 'oidc-provider';
import { freePort } from './child-app.js';

export { freePort };

/**
 * A real OpenID provider (the `oidc-provider` package) on plain HTTP (or HTTPS, `tls`) on 127.0.0.1 whose access
 * tokens the Strongroom API accepts when started with `idpEnv(idp)` (JWT_JWKS_URI, JWT_ISSUER,
 * JWT_AUDIENCE): RS256 JWT access tokens for the audience, `sub` = the account id, `roles` = the
 * account's roles.
 *
 * Two public clients: `strongroom-console` (authorization code + PKCE S256, for the web console)
 * and `strongroom-cli` (device authorization grant, RFC 8628, with refresh tokens). Its login page
 * (at the interaction URL) is a form with one field, "Account", and a "Sign in" button; consent is
 * granted automatically. `approveDevice` / `denyDevice` act as the user at /device over HTTP.
 *
 * RP-Initiated Logout: the discovery metadata advertises `end_session_endpoint` (unless
 * `rpInitiatedLogout: false`), and the console client may come back to `<origin>/console/signed-out`
 * for the origin of each of its redirect URIs. With a signed-in session the endpoint shows a
 * confirmation page, a form with a "Sign out" and a "Stay signed in" button.
 *
 * Start order: pick the port with `freePort()`, start Strongroom with `idpEnvFor(port)`, then the
 * IdP on that port (jwks-rsa fetches the keys on the first token it sees).
 */
export interface OidcIdp {
  issuer: string;
  jwksUri: string;
  /** The resource indicator (RFC 8707) and `aud` of every access token. */
  audience: string;
  cliClientId: string;
  consoleClientId: string;
  /** accountId -> roles (the `roles` claim of its tokens). */
  accounts: Record<string, string[]>;
  /** Enters the user code at /device, confirms, signs in as `accountId`; consent is automatic. */
  approveDevice(userCode: string, accountId: string): Promise<void>;
  /** Enters the user code at /device and aborts (the CLI then gets access_denied). */
  denyDevice(userCode: string): Promise<void>;
  close(): Promise<void>;
}

export interface OidcIdpOptions {
  port?: number;
  consoleRedirectUris?: string[];
  accounts?: Record<string, string[]>;
  accessTokenTtlSeconds?: number;
  /** Without it the provider has no device authorization endpoint (a client must refuse it). */
  deviceFlow?: boolean;
  /** Without it the discovery metadata has no end_session_endpoint (RP-Initiated Logout). Default true. */
  rpInitiatedLogout?: boolean;
  /** Serve HTTPS with this certificate (its CA `ca` is trusted by approveDevice / denyDevice). */
  tls?: { cert: Buffer; key: Buffer; ca: Buffer };
}

export const IDP_AUDIENCE = 'urn:strongroom:api';

/** The Strongroom settings that trust the IdP that will listen on `port`. */
export function idpEnvFor(port: number, audience = IDP_AUDIENCE): Record<string, string> {
  const issuer = `http://127.0.0.1:${port}`;
  return { JWT_JWKS_URI: `${issuer}/jwks`, JWT_ISSUER: issuer, JWT_AUDIENCE: audience };
}

export const DEFAULT_ACCOUNTS: Record<string, string[]> = {
  'alice-admin': ['admin'],
  'bob-reader': ['reader'],
  'carol-auditor': ['auditor'],
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string) =>
  `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n${body}\n</body></html>`;

function loginPage(uid: string, clientId: string, error?: string): string {
  return page(
    'Sign in',
    `<p>to continue to ${escapeHtml(clientId)}</p>
  ${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/interaction/${escapeHtml(uid)}/login">
    <label for="login">Account</label>
    <input id="login" name="login" type="text" autocomplete="username" autofocus>
    <button type="submit">Sign in</button>
  </form>`,
  );
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString();
    if (body.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

export async function startOidcIdp(options: OidcIdpOptions = {}): Promise<OidcIdp> {
  const port = options.port ?? (await freePort());
  const issuer = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const audience = IDP_AUDIENCE;
  const agent = options.tls ? new Agent({ connect: { ca: options.tls.ca } }) : undefined;
  const fetchHere = (url: string, init: RequestInit): Promise<Response> =>
    agent ? (undiciFetch(url, { ...init, dispatcher: agent } as never) as unknown as Promise<Response>) : fetch(url, init);
  const accounts = { ...(options.accounts ?? DEFAULT_ACCOUNTS) };
  const ttl = options.accessTokenTtlSeconds ?? 600;
  const cliClientId = 'strongroom-cli';
  const consoleClientId = 'strongroom-console';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `idp-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };
  const deviceFlow = options.deviceFlow ?? true;
  const consoleRedirectUris = options.consoleRedirectUris ?? ['http://127.0.0.1/callback'];
  const postLogoutRedirectUris = [...new Set(consoleRedirectUris.map((u) => `${new URL(u).origin}/console/signed-out`))];

  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: consoleClientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: consoleRedirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
      },
      {
        client_id: cliClientId,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: deviceFlow ? ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] : ['refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: deviceFlow,
        userCodeInputSource: (ctx: { body: string }, form: string, _out: unknown, err?: { name?: string; userCode?: string }) => {
          const msg = !err ? 'Enter the code displayed on your device' : err.name === 'AbortedError' ? 'Sign-in aborted' : 'The code you entered is incorrect';
          ctx.body = page('Device sign-in', `<p>${msg}</p>${form}<button type="submit" form="op.deviceInputForm">Continue</button>`);
        },
        userCodeConfirmSource: (ctx: { body: string }, form: string, client: { clientId: string }, _info: unknown, userCode: string) => {
          ctx.body = page(
            'Confirm device',
            `<p>${escapeHtml(client.clientId)} shows the code <code>${escapeHtml(userCode)}</code></p>${form}` +
              `<button type="submit" form="op.deviceConfirmForm">Continue</button>` +
              `<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`,
          );
        },
        successSource: (ctx: { body: string }) => {
          ctx.body = page('Sign-in success', '<p>Device signed in; you can close this window.</p>');
        },
      },
      rpInitiatedLogout: {
        enabled: options.rpInitiatedLogout ?? true,
        // The package's own pages load a web font from a third party: these stay on loopback.
        logoutSource: (ctx: { body: string; host: string }, form: string) => {
          ctx.body = page(
            'Sign out',
            `<p>Do you want to sign out of ${escapeHtml(ctx.host)}?</p>${form}` +
              `<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>` +
              `<button type="submit" form="op.logoutForm">Stay signed in</button>`,
          );
        },
        postLogoutSuccessSource: (ctx: { body: string }) => {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
      revocation: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== audience) throw new Error(`unknown resource ${resource}`);
          return { scope: 'openid offline_access', audience, accessTokenTTL: ttl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'] },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    extraTokenClaims: (_ctx: unknown, token: { kind: string; accountId?: string }) =>
      token.kind === 'AccessToken' && token.accountId ? { roles: accounts[token.accountId] ?? [] } : undefined,
    findAccount: (_ctx: unknown, sub: string) => (sub in accounts ? { accountId: sub, claims: () => ({ sub }) } : undefined),
    // Consent is automatic: a grant for what the client asked for, for the signed-in account.
    loadExistingGrant: async (ctx: OidcContext) => {
      const accountId = ctx.oidc.session?.accountId ?? ctx.oidc.result?.login?.accountId;
      if (!accountId) return undefined;
      const grant: GrantModel = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client.clientId });
      const scope = [...(ctx.oidc.requestParamScopes ?? new Set(['openid']))].join(' ');
      grant.addOIDCScope(scope);
      grant.addResourceScope(audience, scope);
      await grant.save();
      return grant;
    },
    ttl: { AccessToken: ttl, DeviceCode: 600, RefreshToken: 86_400, Grant: 86_400, IdToken: 600, Interaction: 600, Session: 3600 },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });

  const callback = provider.callback();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = new URL(req.url ?? '/', issuer).pathname;
      const m = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/.exec(path);
      if (!m) {
        callback(req, res);
        return;
      }
      try {
        const details = await provider.interactionDetails(req, res);
        const clientId = String(details.params.client_id ?? '');
        if (req.method === 'GET' && !m[2] && details.prompt.name === 'consent') {
          // Consent is automatic (oidc-provider always asks it of native clients such as the CLI).
          const accountId = details.session?.accountId;
          if (!accountId) throw new Error('consent without a signed-in account');
          const grant = new provider.Grant({ accountId, clientId });
          const scope = String(details.params.scope ?? 'openid');
          grant.addOIDCScope(scope);
          grant.addResourceScope(audience, scope);
          await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
          return;
        }
        if (req.method === 'GET' && !m[2]) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid, clientId));
          return;
        }
        if (req.method === 'POST' && m[2]) {
          const login = (await readForm(req)).get('login')?.trim() ?? '';
          if (!(login in accounts)) {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid, clientId, 'Unknown account'));
            return;
          }
          await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
          return;
        }
        res.writeHead(405).end();
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`interaction failed: ${(e as Error).message}`);
      }
    })();
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  /**
   * A browser in miniature (a cookie jar, redirects followed by hand) at /device: enters the user
   * code and hands the confirmation page's xsrf value to `then`.
   */
  async function atDevice(userCode: string, then: (xsrf: string, post: (path: string, form: Record<string, string>) => Promise<string>) => Promise<void>): Promise<void> {
    const jar = new Map<string, string>();
    const send = async (method: string, url: string, form?: Record<string, string>): Promise<string> => {
      let target = new URL(url, issuer).toString();
      let body: string | undefined = form ? new URLSearchParams(form).toString() : undefined;
      for (let hops = 0; hops < 10; hops++) {
        const res = await fetchHere(target, {
          method: body === undefined ? 'GET' : method,
          redirect: 'manual',
          headers: {
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
            ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body,
        });
        for (const c of res.headers.getSetCookie()) {
          const pair = c.split(';')[0]!;
          const name = pair.slice(0, pair.indexOf('='));
          const value = pair.slice(pair.indexOf('=') + 1);
          if (value === '') jar.delete(name);
          else jar.set(name, value);
        }
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          target = new URL(location, target).toString();
          body = undefined;
          continue;
        }
        const text = await res.text();
        if (res.status >= 400) throw new Error(`IdP answered ${res.status}: ${text.slice(0, 500)}`);
        return text;
      }
      throw new Error('too many redirects');
    };
    const xsrfOf = (html: string) => {
      const v = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
      if (!v) throw new Error(`no xsrf field: ${html.slice(0, 300)}`);
      return v;
    };
    const input = await send('GET', '/device');
    const confirm = await send('POST', '/device', { xsrf: xsrfOf(input), user_code: userCode });
    if (!confirm.includes('op.deviceConfirmForm')) throw new Error(`user code not accepted: ${confirm.slice(0, 300)}`);
    await then(xsrfOf(confirm), (path, form) => send('POST', path, form));
  }

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    audience,
    cliClientId,
    consoleClientId,
    accounts,
    async approveDevice(userCode, accountId) {
      await atDevice(userCode, async (xsrf, post) => {
        const login = await post('/device', { xsrf, user_code: userCode, confirm: 'yes' });
        const action = /<form method="post" action="([^"]+)"/.exec(login)?.[1];
        if (!action) throw new Error(`no login form after confirming: ${login.slice(0, 300)}`);
        const done = await post(action, { login: accountId });
        if (!/Sign-in success/.test(done)) throw new Error(`device flow not approved: ${done.slice(0, 300)}`);
      });
    },
    async denyDevice(userCode) {
      await atDevice(userCode, async (xsrf, post) => {
        const aborted = await post('/device', { xsrf, user_code: userCode, abort: 'yes' }).catch((e: Error) => e.message);
        if (!/Sign-in aborted/.test(aborted)) throw new Error(`device flow not aborted: ${aborted.slice(0, 300)}`);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent?.close();
    },
  };
}
