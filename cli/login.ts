/**
 * `strongroom login` / `logout` and the stored login other commands fall back on: the OAuth 2.0
 * device authorization grant (RFC 8628) at an OpenID issuer, through `openid-client` (discovery,
 * polling with `interval` / `slow_down`, refresh). Tokens go to a file of mode 0600 and never to
 * stdout or stderr.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { CliError, EXIT } from './output.js';

/** What `strongroom login` stores (JSON, mode 0600). */
export interface StoredLogin {
  kind: 'strongroom-oidc-login';
  issuer: string;
  client_id: string;
  access_token: string;
  refresh_token?: string;
  /** Epoch seconds; absent when the issuer gave no expires_in. */
  expires_at?: number;
  audience?: string;
  scope?: string;
}

export interface LoginOptions {
  issuer?: string;
  clientId: string;
  audience?: string;
  scope: string;
  /** Upper bound on the whole wait for approval, seconds (the code's own expiry may end it sooner). */
  timeout: number;
  tokenFile?: string;
  caCert?: Buffer;
}

/** Seconds before `expires_at` at which a stored token counts as expired (and is refreshed). */
const EXPIRY_MARGIN_SECONDS = 30;
const HTTP_TIMEOUT_SECONDS = 15;

/** `$XDG_CONFIG_HOME/strongroom/token`, else `~/.config/strongroom/token`. */
export function defaultTokenPath(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(process.env.HOME || homedir(), '.config');
  return join(base, 'strongroom', 'token');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function issuerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(EXIT.usage, `--issuer / STRONGROOM_OIDC_ISSUER must be a URL, got "${raw.slice(0, 200)}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new CliError(EXIT.usage, `the issuer must be an https URL (http only on a loopback address), got ${url.origin}`);
  }
  if (url.search || url.hash || url.username || url.password) throw new CliError(EXIT.usage, 'the issuer URL takes no query, fragment or credentials');
  return url;
}

/** Text the issuer sent, without control characters (no terminal escapes), bounded. */
const printable = (v: string, max = 512) => v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, max);

const describeOAuthError = (e: oidc.ResponseBodyError) => `${printable(e.error, 100)}${e.error_description ? `: ${printable(e.error_description, 300)}` : ''}`;

/** A network or protocol failure as a CliError (never with a token: openid-client's messages carry none). */
function asCliError(e: unknown, doing: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof oidc.ResponseBodyError) {
    const code = e.error === 'invalid_client' || e.error === 'unauthorized_client' || e.error === 'invalid_scope' || e.error === 'invalid_target' ? EXIT.usage : e.status >= 500 ? EXIT.unavailable : EXIT.denied;
    return new CliError(code, `${doing}: the issuer answered ${describeOAuthError(e)}`);
  }
  const name = (e as Error)?.name;
  if (e instanceof TypeError || name === 'TimeoutError' || name === 'AbortError') {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new CliError(EXIT.unavailable, `${doing}: cannot reach the issuer (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
  return new CliError(EXIT.error, `${doing}: ${(e as Error)?.message ?? String(e)}`);
}

/** The issuer's metadata and a public client (no secret: a CLI cannot keep one). */
async function issuerConfig(issuer: string, clientId: string, caCert: Buffer | undefined): Promise<oidc.Configuration> {
  const url = issuerUrl(issuer);
  const agent = caCert ? new Agent({ connect: { ca: caCert } }) : undefined;
  const options: oidc.DiscoveryRequestOptions = { timeout: HTTP_TIMEOUT_SECONDS, execute: url.protocol === 'http:' ? [oidc.allowInsecureRequests] : [] };
  if (agent) {
    // The undici package's own fetch with an Agent trusting the CA (as the typed client does).
    options[oidc.customFetch] = (input, init) => undiciFetch(input, { ...init, dispatcher: agent } as never) as unknown as Promise<Response>;
  }
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(url, clientId, { token_endpoint_auth_method: 'none' }, oidc.None(), options);
  } catch (e) {
    throw asCliError(e, `cannot read the OpenID configuration of ${url.origin}${url.pathname.replace(/\/$/, '')}`);
  }
  if (options[oidc.customFetch]) config[oidc.customFetch] = options[oidc.customFetch]!;
  if (url.protocol === 'http:') oidc.allowInsecureRequests(config);
  return config;
}

/** Writes the file atomically with mode 0600 (a new file, renamed over the old one), its directory 0700. */
export function writeLogin(path: string, login: StoredLogin): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(login) + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(EXIT.error, `cannot write the token file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function parseLogin(text: string): StoredLogin | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(text) as Partial<StoredLogin>;
    if (v.kind === 'strongroom-oidc-login' && typeof v.access_token === 'string' && typeof v.issuer === 'string' && typeof v.client_id === 'string') return v as StoredLogin;
  } catch {
    /* not ours */
  }
  return undefined;
}

function expiresAt(expiresIn: number | undefined): number | undefined {
  return typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? Math.floor(Date.now() / 1000) + Math.floor(expiresIn) : undefined;
}

/** A refresh lock older than this was left by a process that died (discovery and refresh take at most 2 x 15 s). */
const STALE_LOCK_MS = (2 * HTTP_TIMEOUT_SECONDS + 15) * 1000;

/**
 * Runs `fn` holding `<path>.lock` (created exclusively, so never through a planted symlink): the
 * issuer rotates refresh tokens and takes a reused one as stolen (it revokes the whole login), so
 * two commands refreshing one stored login at once must take turns, the second reading what the
 * first stored. A lock older than STALE_LOCK_MS is taken over.
 */
async function withRefreshLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + STALE_LOCK_MS + 5_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError(EXIT.error, `cannot create the lock ${lock}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    let age = 0;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if (age > STALE_LOCK_MS) {
      try {
        rmSync(lock);
        continue;
      } catch {
        /* not ours to remove: wait for the deadline */
      }
    }
    if (Date.now() > deadline) throw new CliError(EXIT.unavailable, `another strongroom process is refreshing ${path} (${lock} exists); try again`);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

const isFresh = (login: StoredLogin) => login.expires_at === undefined || login.expires_at - EXPIRY_MARGIN_SECONDS > Date.now() / 1000;

/**
 * The bearer token in a token file: a stored login (refreshed first when it has expired and holds
 * a refresh token, one process at a time), or the file's content as the token itself.
 */
export async function tokenFromFile(path: string, caCert: Buffer | undefined, flag: string): Promise<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new CliError(EXIT.usage, `cannot read ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!text) throw new CliError(EXIT.usage, `${flag} ${path} is empty`);
  const login = parseLogin(text);
  if (!login) return text;
  if ((statSync(path).mode & 0o077) !== 0) process.stderr.write(`strongroom: warning: ${path} is readable by others; chmod 600 it\n`);
  if (isFresh(login)) return login.access_token;
  if (!login.refresh_token) throw new CliError(EXIT.denied, `the login stored in ${path} has expired: run \`strongroom login\` again`);
  return withRefreshLock(path, async () => {
    // Another process may have refreshed it while this one waited: use what it stored.
    let current = login;
    try {
      current = parseLogin(readFileSync(path, 'utf8').trim()) ?? login;
    } catch {
      /* removed meanwhile (logout): refresh what was read */
    }
    if (isFresh(current)) return current.access_token;
    if (!current.refresh_token) throw new CliError(EXIT.denied, `the login stored in ${path} has expired: run \`strongroom login\` again`);
    const config = await issuerConfig(current.issuer, current.client_id, caCert);
    let tokens: oidc.TokenEndpointResponse;
    try {
      tokens = await oidc.refreshTokenGrant(config, current.refresh_token, current.audience ? { resource: current.audience } : undefined);
    } catch (e) {
      const err = asCliError(e, 'cannot refresh the stored login');
      if (e instanceof oidc.ResponseBodyError) throw new CliError(EXIT.denied, `${err.message}; run \`strongroom login\` again`);
      throw err;
    }
    writeLogin(path, {
      ...current,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token ?? current.refresh_token,
      expires_at: expiresAt(tokens.expires_in),
      scope: tokens.scope ?? current.scope,
    });
    return tokens.access_token;
  });
}

/** The device flow: prints where to go and the code (stderr), waits for approval, stores the tokens. */
export async function login(o: LoginOptions): Promise<{ issuer: string; subject?: string; token_file: string; expires_at?: string }> {
  if (!o.issuer) throw new CliError(EXIT.usage, 'login needs --issuer URL (or STRONGROOM_OIDC_ISSUER)');
  const path = o.tokenFile ?? defaultTokenPath();
  const config = await issuerConfig(o.issuer, o.clientId, o.caCert);
  const meta = config.serverMetadata();
  if (!meta.device_authorization_endpoint) {
    throw new CliError(
      EXIT.usage,
      `the issuer ${meta.issuer} does not support the device authorization grant (its metadata has no device_authorization_endpoint); use STRONGROOM_TOKEN or --token-file instead`,
    );
  }
  const resource: Record<string, string> = o.audience ? { resource: o.audience, audience: o.audience } : {};
  let device: oidc.DeviceAuthorizationResponse;
  try {
    device = await oidc.initiateDeviceAuthorization(config, { scope: o.scope, ...resource });
  } catch (e) {
    throw asCliError(e, 'the device authorization request failed');
  }
  const waitSeconds = Math.max(1, Math.min(o.timeout, device.expires_in));
  process.stderr.write(
    `To sign in, open ${printable(device.verification_uri)}\nand enter the code: ${printable(device.user_code)}\n` +
      (device.verification_uri_complete ? `(or open ${printable(device.verification_uri_complete)})\n` : '') +
      `Waiting up to ${waitSeconds} s for approval...\n`,
  );
  let tokens: Awaited<ReturnType<typeof oidc.pollDeviceAuthorizationGrant>>;
  const signal = AbortSignal.timeout(waitSeconds * 1000);
  try {
    tokens = await oidc.pollDeviceAuthorizationGrant(config, device, o.audience ? { resource: o.audience } : undefined, { signal });
  } catch (e) {
    if (e instanceof oidc.ResponseBodyError && e.error === 'access_denied') throw new CliError(EXIT.denied, 'the sign-in was denied at the issuer (access_denied)');
    if ((e instanceof oidc.ResponseBodyError && e.error === 'expired_token') || signal.aborted) {
      throw new CliError(EXIT.denied, 'the code expired before the sign-in was approved: run `strongroom login` again');
    }
    throw asCliError(e, 'waiting for the sign-in failed');
  }
  if (!tokens.access_token) throw new CliError(EXIT.error, 'the issuer answered without an access token');
  const expires = expiresAt(tokens.expires_in);
  writeLogin(path, {
    kind: 'strongroom-oidc-login',
    issuer: meta.issuer,
    client_id: o.clientId,
    access_token: tokens.access_token,
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
    ...(expires ? { expires_at: expires } : {}),
    ...(o.audience ? { audience: o.audience } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
  });
  // The issuer's text, printed: no terminal escapes, as for the verification URI and the code.
  const sub = tokens.claims()?.sub;
  const subject = sub ? printable(sub, 256) : undefined;
  process.stderr.write(`Signed in${subject ? ` as ${subject}` : ''}; token stored in ${path}\n`);
  return { issuer: meta.issuer, ...(subject ? { subject } : {}), token_file: path, ...(expires ? { expires_at: new Date(expires * 1000).toISOString() } : {}) };
}

/** Deletes the token file; revokes its refresh token first when the issuer offers revocation (best effort). */
export async function logout(tokenFile: string | undefined, caCert: Buffer | undefined): Promise<{ token_file: string; removed: boolean; revoked: boolean }> {
  const path = tokenFile ?? defaultTokenPath();
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { token_file: path, removed: false, revoked: false };
    throw new CliError(EXIT.usage, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const stored = parseLogin(text);
  let revoked = false;
  if (stored?.refresh_token) {
    try {
      const config = await issuerConfig(stored.issuer, stored.client_id, caCert);
      if (config.serverMetadata().revocation_endpoint) {
        await oidc.tokenRevocation(config, stored.refresh_token, { token_type_hint: 'refresh_token' });
        revoked = true;
      }
    } catch (e) {
      process.stderr.write(`strongroom: warning: ${asCliError(e, 'could not revoke the refresh token').message}\n`);
    }
  }
  rmSync(path, { force: true });
  return { token_file: path, removed: true, revoked };
}
