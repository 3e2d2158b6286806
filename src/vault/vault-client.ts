import { Logger } from '@nestjs/common';
import vault from 'node-vault';
import {
  classifyVaultError,
  displayUrl,
  VaultConnectionError,
  type VaultErrorInfo,
} from './vault-errors.js';

export type VaultClient = vault.client;

/** How Strongroom reaches Vault. Either `token`, or `roleId` + `secretId` (AppRole). */
export interface VaultSettings {
  url: string;
  token?: string;
  roleId?: string;
  secretId?: string;
  /** Mount of the AppRole auth method. Default `approle`. */
  approleMount?: string;
  namespace?: string;
  /** Per-request timeout; none by default. */
  requestTimeoutMs?: number;
  /** TLS to an https:// Vault: CA bundle, client certificate and key (PEM), SNI/verified name. */
  tls?: VaultTlsSettings;
}

export interface VaultTlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Name sent as SNI and checked against Vault's certificate instead of the URL's host. */
  servername?: string;
}

export interface VaultHealth {
  up: boolean;
  sealed?: boolean;
  /** Why it is down (never a token or a value). */
  detail?: string;
}

export interface VaultLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface VaultConnectionOptions {
  logger?: VaultLogger;
  /** Renew (or log in again) at this fraction of the lease. Default 2/3. */
  renewFraction?: number;
  /** First retry delay after a failed renewal/login; doubles up to `retryMaxMs`. Defaults 1 s and 60 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** renew: renew-self; login: AppRole login; check: lookup-self (token mode). */
type Action = 'renew' | 'login' | 'check';

const noop = (): void => undefined;

/** node-vault's request options: the timeout, and TLS settings for its https.Agent (`agentOptions`). */
function requestOptions(settings: VaultSettings): Record<string, unknown> | undefined {
  const options: Record<string, unknown> = {};
  if (settings.requestTimeoutMs) options.timeout = settings.requestTimeoutMs;
  const tls = settings.tls;
  if (tls && (tls.ca || tls.cert || tls.servername)) {
    // tls.connect verifies the certificate against `servername` when set (else the URL's host).
    options.agentOptions = {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    };
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

/** A 403 about the token (unknown, expired, revoked, or none sent), not a policy refusal. */
function isTokenRejection(info: VaultErrorInfo): boolean {
  const said = info.vaultMessage ?? '';
  return info.status === 403 && (said.includes('invalid token') || said.trim() === 'permission denied');
}

/**
 * One node-vault client plus its login and token renewal.
 *
 * - Token mode: `start()` looks the token up; a renewable token with a TTL is renewed
 *   (renew-self) at 2/3 of its lease. A static root/non-expiring token needs nothing.
 * - AppRole mode: `start()` logs in (node-vault then replaces `client.token`); the token is renewed
 *   at 2/3 of its lease, and when renewal fails or the lease stops growing (max TTL reached)
 *   the connection logs in again. Failed attempts retry with exponential backoff.
 * - `stop()` clears every timer (call it on shutdown).
 *
 * Messages and logs never contain the token or the AppRole secret id.
 */
export class VaultConnection {
  readonly client: VaultClient;
  /** Vault's address without credentials, for messages. */
  readonly url: string;
  readonly authMethod: 'token' | 'approle';

  private readonly logger: VaultLogger;
  private readonly renewFraction: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private retryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private lastLease = 0;
  private inFlight: Promise<boolean> | undefined;
  /** Why the last AppRole login failed (safe to show), and when (ms). */
  private lastLoginError: string | undefined;
  private lastLoginFailedAt = 0;

  constructor(
    private readonly settings: VaultSettings,
    options: VaultConnectionOptions = {},
  ) {
    let parsed: URL;
    try {
      parsed = new URL(settings.url);
    } catch {
      throw new Error('Vault URL is not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('Vault URL must be http:// or https://');
    if (settings.roleId && settings.secretId) this.authMethod = 'approle';
    else if (settings.token) this.authMethod = 'token';
    else throw new Error('Vault needs a token, or an AppRole role id and secret id');
    if (settings.requestTimeoutMs !== undefined && !(settings.requestTimeoutMs > 0)) {
      throw new Error('Vault request timeout must be a positive number of milliseconds');
    }

    this.url = displayUrl(settings.url);
    this.logger = options.logger ?? new Logger('Vault');
    this.renewFraction = options.renewFraction ?? 2 / 3;
    this.retryMinMs = options.retryMinMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 60_000;
    this.retryMs = this.retryMinMs;

    this.client = vault({
      apiVersion: 'v1',
      endpoint: settings.url.replace(/\/+$/, ''),
      token: this.authMethod === 'token' ? settings.token : undefined,
      namespace: settings.namespace,
      // node-vault's debug output includes request bodies, i.e. secret payloads: never enable it.
      debug: noop,
      requestOptions: requestOptions(settings),
    });
    // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX from the environment for
    // whatever is not configured; settings are the only source here.
    Object.assign(this.client, {
      token: this.authMethod === 'token' ? settings.token : '',
      namespace: settings.namespace,
      pathPrefix: '',
    });
  }

  /**
   * Logs in (AppRole) or looks the token up, then schedules renewal. Rejects with
   * `VaultConnectionError` when Vault cannot be reached or refuses; the attempt is then retried in
   * the background (with backoff) until it succeeds or `stop()` is called, so a Vault that is down
   * at boot does not need a restart.
   */
  async start(): Promise<void> {
    this.stopped = false;
    const action: Action = this.authMethod === 'approle' ? 'login' : 'check';
    try {
      await this.attempt(action);
    } catch (err) {
      this.retry(action);
      throw err;
    }
  }

  /** Stops renewal timers. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.client.stopAllRenewals();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /**
   * Renews the token now (AppRole: logs in again if renewal fails). Resolves true when a valid
   * token is in place afterwards; failures are logged and retried on the usual schedule.
   */
  renewNow(): Promise<boolean> {
    return this.run('renew');
  }

  /** Vault's health from `sys/health` (which node-vault resolves for every status). */
  async health(): Promise<VaultHealth> {
    let body: unknown;
    try {
      body = await this.client.health();
    } catch (err) {
      return { up: false, detail: this.classify(err).message };
    }
    if (body === null || typeof body !== 'object') {
      return { up: false, detail: `Vault at ${this.url} answered sys/health with something that is not Vault's health` };
    }
    const { initialized, sealed } = body as { initialized?: unknown; sealed?: unknown };
    if (initialized === false) return { up: false, sealed: sealed === true, detail: 'Vault is not initialized' };
    if (sealed === true) return { up: false, sealed: true, detail: 'Vault is sealed' };
    if (sealed !== false) {
      return { up: false, detail: `Vault at ${this.url} answered sys/health with something that is not Vault's health` };
    }
    // sys/health needs no token: only an authenticated call shows that operations would work.
    try {
      await this.request((client) => client.tokenLookupSelf());
    } catch (err) {
      return { up: false, sealed: false, detail: this.classify(err).message };
    }
    return { up: true, sealed: false };
  }

  /**
   * Runs one Vault call. With AppRole, when Vault no longer accepts the token (403 after expiry or
   * revocation), logs in again (one login shared by every caller that saw the same token fail)
   * and retries the call once. A 403 that is only the policy refusing the path is passed on as
   * is. With a static token there is nothing to log in with: the 403 is passed on (`classify`
   * then says to replace VAULT_TOKEN).
   */
  async request<T>(op: (client: VaultClient) => Promise<T>): Promise<T> {
    const used = this.client.token;
    try {
      return await op(this.client);
    } catch (err) {
      if (this.authMethod !== 'approle' || !(await this.tokenRejected(err, used))) throw err;
      // Another caller may already have replaced the token this call used.
      if (this.client.token === used && !(await this.relogin())) {
        throw new VaultConnectionError('Vault rejected the token and logging in again with AppRole failed', {
          kind: 'auth',
          status: 403,
          message: this.lastLoginError ?? 'see the log',
        });
      }
      return op(this.client);
    }
  }

  /** Classifies an error of this client; `secrets` (payloads…) are redacted along with the credentials. */
  classify(err: unknown, secrets: readonly (string | undefined)[] = []): VaultErrorInfo {
    const info = classifyVaultError(err, {
      url: this.settings.url,
      secrets: [...secrets, this.client.token, this.settings.token, this.settings.secretId],
    });
    if (info.kind === 'auth' && this.authMethod === 'token' && isTokenRejection(info)) {
      return {
        ...info,
        message: `${info.message}; VAULT_TOKEN is a static token, so Strongroom cannot log in again: replace it (or configure AppRole with VAULT_ROLE_ID and VAULT_SECRET_ID)`,
      };
    }
    return info;
  }

  /**
   * Whether a failed call means the token itself is no longer valid. Current Vault says
   * `invalid token`; older releases say only `permission denied` for a bad token and for a policy
   * refusal alike, so that case is settled by looking the token up.
   */
  private async tokenRejected(err: unknown, used: string): Promise<boolean> {
    const info = classifyVaultError(err, { url: this.settings.url });
    if (info.kind !== 'auth' || !isTokenRejection(info)) return false;
    if ((info.vaultMessage ?? '').includes('invalid token') || used === '' || this.client.token !== used) return true;
    try {
      await this.client.tokenLookupSelf();
      return false;
    } catch (lookupErr) {
      return classifyVaultError(lookupErr, { url: this.settings.url }).status === 403;
    }
  }

  /**
   * One AppRole login shared by concurrent callers (and by a renewal already running). After a
   * failed login, requests do not try again for `retryMinMs` (the background retry goes on), so
   * a wrong secret id does not become one login per request (and a Vault lockout).
   */
  private async relogin(): Promise<boolean> {
    if (this.lastLoginError !== undefined && Date.now() - this.lastLoginFailedAt < this.retryMinMs) return false;
    return this.run('login');
  }

  // ---- login and renewal -------------------------------------------------------------------------

  private async login(): Promise<{ lease: number; renewable: boolean }> {
    let res: { auth?: { lease_duration?: unknown; renewable?: unknown; client_token?: unknown } } | undefined;
    try {
      res = await this.client.approleLogin({
        role_id: this.settings.roleId,
        secret_id: this.settings.secretId,
        ...(this.settings.approleMount ? { mount_point: this.settings.approleMount } : {}),
      });
    } catch (err) {
      const failure = new VaultConnectionError('Vault AppRole login failed', this.classify(err));
      this.lastLoginError = failure.message;
      this.lastLoginFailedAt = Date.now();
      throw failure;
    }
    if (typeof res?.auth?.client_token !== 'string') {
      throw new VaultConnectionError('Vault AppRole login failed', {
        kind: 'rejected',
        message: 'the answer carried no client token',
      });
    }
    const lease = Number(res.auth.lease_duration) || 0;
    this.lastLease = lease;
    this.lastLoginError = undefined;
    return { lease, renewable: res.auth.renewable !== false };
  }

  private afterLease(lease: number, renewable: boolean, capped = false): void {
    if (lease <= 0) {
      // A non-expiring token (root, or a periodic-less service token without TTL): nothing to do.
      if (this.authMethod === 'approle') this.schedule(this.retryMinMs, 'login');
      return;
    }
    const delay = Math.max(100, lease * 1000 * this.renewFraction);
    const approle = this.authMethod === 'approle';
    // AppRole: once renewals stop extending the lease (max TTL reached), log in again instead.
    if (renewable && !(capped && approle)) this.schedule(delay, 'renew');
    else if (approle) this.schedule(delay, 'login');
    else this.logger.warn(`Vault token is not renewable any further and expires in ${lease}s`);
  }

  private schedule(delayMs: number, action: Action): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(action);
    }, delayMs);
    this.timer.unref();
  }

  private retry(action: Action): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMaxMs, this.retryMs * 2);
    this.schedule(delay, action);
  }

  private run(action: Action): Promise<boolean> {
    this.inFlight ??= this.perform(action).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** One login (AppRole) or lookup-self (token); schedules what comes next. Throws `VaultConnectionError`. */
  private async attempt(action: 'login' | 'check'): Promise<void> {
    if (action === 'login') {
      const auth = await this.login();
      this.retryMs = this.retryMinMs;
      this.afterLease(auth.lease, auth.renewable);
      return;
    }
    let res: { data?: { ttl?: unknown; renewable?: unknown } } | undefined;
    try {
      res = await this.client.tokenLookupSelf();
    } catch (err) {
      throw new VaultConnectionError('Vault token check failed', this.classify(err));
    }
    const ttl = Number(res?.data?.ttl) || 0;
    this.lastLease = ttl;
    this.retryMs = this.retryMinMs;
    if (ttl > 0) this.afterLease(ttl, res?.data?.renewable === true);
  }

  private async perform(action: Action): Promise<boolean> {
    if (action === 'renew') {
      try {
        const res = (await this.client.tokenRenewSelf()) as { auth?: { lease_duration?: unknown; renewable?: unknown } };
        const lease = Number(res?.auth?.lease_duration) || 0;
        const capped = lease < this.lastLease;
        this.lastLease = lease;
        this.retryMs = this.retryMinMs;
        this.afterLease(lease, res?.auth?.renewable !== false, capped);
        return true;
      } catch (err) {
        this.logger.warn(`Vault token renewal failed: ${this.classify(err).message}`);
        if (this.authMethod !== 'approle') {
          this.retry('renew');
          return false;
        }
        action = 'login';
      }
    }
    try {
      await this.attempt(action);
      if (action === 'login') this.logger.log('Vault AppRole login succeeded; using the new token');
      return true;
    } catch (err) {
      this.logger.error(err instanceof Error ? err.message : 'Vault login failed');
      this.retry(action);
      return false;
    }
  }
}
