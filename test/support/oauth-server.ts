import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import { createTestCa } from './tls-certs.js';

export type OAuthEndpointName = 'token' | 'introspection';

/**
 * A real OAuth 2 / OpenID server (the `oidc-provider` package) over HTTPS on 127.0.0.1, for the
 * OAuth rotators: client credentials, refresh token rotation (a refresh token is consumed when
 * used; using it again ends its grant), introspection. Failures and pauses can be injected per
 * endpoint in front of the provider.
 */
export interface OAuthServer {
  issuer: string;
  tokenUrl: string;
  introspectionUrl: string;
  /** PEM of the CA that signed its certificate (127.0.0.1, localhost). */
  ca: string;
  clientId: string;
  clientSecret: string;
  /** Endpoints that answer this status (before the provider sees the request). */
  failures: Map<OAuthEndpointName, number>;
  /**
   * Called before the provider handles a request to the endpoint (e.g. to kill Strongroom there);
   * answering 'drop' closes the connection and the provider never sees the request.
   */
  onRequest?: (endpoint: OAuthEndpointName) => Promise<'drop' | void> | 'drop' | void;
  /** Requests the provider handled, by endpoint. */
  handled: Record<OAuthEndpointName, number>;
  /** The settings of an OAuth rotator (`kind`) for this server, with the client secret `adminSecretId`. */
  rotatorSettings(kind: string, adminSecretId: string): Record<string, string>;
  /** A refresh token of a new grant for `accountId` (as an authorization code flow would leave it). */
  issueRefreshToken(accountId?: string): Promise<string>;
  /** RFC 7662 at the provider itself: whether it holds `token` active. */
  isActive(token: string, hint?: 'access_token' | 'refresh_token'): Promise<boolean>;
  close(): Promise<void>;
}

export async function startOAuthServer(options: { accessTokenTtlSeconds?: number } = {}): Promise<OAuthServer> {
  const pki = createTestCa('OAuth Test CA');
  const leaf = pki.issue('oauth-server');
  const clientId = 'strongroom-test-client';
  const clientSecret = randomBytes(24).toString('base64url');
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  let server: Server | undefined;
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const issuer = `https://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: ['https://client.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    features: {
      clientCredentials: { enabled: true },
      // A client may introspect only its own tokens.
      introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      devInteractions: { enabled: false },
    },
    scopes: ['openid', 'offline_access'],
    rotateRefreshToken: true,
    ttl: { AccessToken: ttl, ClientCredentials: ttl, RefreshToken: 14 * 86_400, Grant: 14 * 86_400, IdToken: 3600, Interaction: 600, Session: 86_400 },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  const callback = provider.callback();
  const state = {
    failures: new Map<OAuthEndpointName, number>(),
    handled: { token: 0, introspection: 0 } as Record<OAuthEndpointName, number>,
    onRequest: undefined as OAuthServer['onRequest'],
  };
  const endpointOf = (req: IncomingMessage): OAuthEndpointName | null => {
    // The test's own look at the provider (isActive) passes by injected failures and counts.
    if (req.headers['x-test-direct']) return null;
    return req.url?.startsWith('/token/introspection') ? 'introspection' : req.url?.startsWith('/token') ? 'token' : null;
  };
  server = createServer({ cert: leaf.cert, key: leaf.key }, (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const endpoint = endpointOf(req);
      if (endpoint) {
        if ((await state.onRequest?.(endpoint)) === 'drop') {
          req.socket.destroy();
          return;
        }
        const status = state.failures.get(endpoint);
        if (status) {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: status >= 500 ? 'server_error' : 'temporarily_unavailable' }));
          return;
        }
        state.handled[endpoint]++;
      }
      callback(req, res);
    })();
  });
  await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
  const tokenUrl = `${issuer}/token`;
  const introspectionUrl = `${issuer}/token/introspection`;
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

  return {
    issuer,
    tokenUrl,
    introspectionUrl,
    ca: pki.cert.toString('utf8'),
    clientId,
    clientSecret,
    get failures() {
      return state.failures;
    },
    get handled() {
      return state.handled;
    },
    get onRequest() {
      return state.onRequest;
    },
    set onRequest(fn) {
      state.onRequest = fn;
    },
    rotatorSettings: (kind, adminSecretId) => ({
      kind,
      token_url: tokenUrl,
      introspection_url: introspectionUrl,
      client_id: clientId,
      admin_secret_id: adminSecretId,
      ssl_ca: pki.cert.toString('utf8'),
    }),
    async issueRefreshToken(accountId = `user-${randomBytes(4).toString('hex')}`) {
      const client = await provider.Client.find(clientId);
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid offline_access');
      const grantId = await grant.save();
      const rt = new provider.RefreshToken({ client: client!, accountId, grantId, scope: 'openid offline_access', gty: 'authorization_code' });
      return rt.save();
    },
    async isActive(token, hint = 'access_token') {
      // Straight to the provider (no injected failure), over TLS trusting the test CA.
      const body = new URLSearchParams({ token, token_type_hint: hint }).toString();
      const answer = await new Promise<string>((resolve, reject) => {
        const r = request(
          introspectionUrl,
          { method: 'POST', ca: pki.cert, headers: { 'x-test-direct': '1', authorization: basic, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve(text));
          },
        );
        r.on('error', reject);
        r.end(body);
      });
      return (JSON.parse(answer) as { active: boolean }).active === true;
    },
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      pki.remove();
    },
  };
}
