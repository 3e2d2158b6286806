import { setTimeout as delay } from 'node:timers/promises';
import type { OAuthRotatorConfig, RotatorConfig } from '../../../secrets/entities/secret.entity.js';
import type { RotatorContext } from '../../rotator.port.js';
import { type RotatorTargetPolicy, RotatorTargetRefused } from '../../rotator-target.js';
import { httpsRequest, type HttpsTimeouts, jsonObject } from '../shared/https-request.js';
import { checkedHttpsEndpoint } from '../shared/settings.js';

/**
 * The value of an OAUTH_TOKEN secret an OAuth rotator keeps: the token endpoint's answer with its
 * expiry as a time. `refresh_token` only for `oauth_refresh_token`.
 */
export interface OAuthTokenValue {
  access_token: string;
  token_type: string;
  /** ISO time; absent when the endpoint gave no expires_in. */
  expires_at?: string;
  issued_at: string;
  refresh_token?: string;
  scope?: string;
}

/**
 * The stored value as a token value. A value that is not such a JSON object counts as a bare
 * refresh token (how a first refresh token is most simply stored) when `bareIs` says so.
 * Errors never repeat the value.
 */
export function parseTokenValue(value: string, bareIs: 'refresh_token' | null): Partial<OAuthTokenValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const o = parsed as Record<string, unknown>;
    const str = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
    const out: Partial<OAuthTokenValue> = {};
    for (const k of ['access_token', 'token_type', 'expires_at', 'issued_at', 'refresh_token', 'scope'] as const) {
      const v = str(k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (bareIs && value.trim() !== '' && !/\s/.test(value.trim())) return { [bareIs]: value.trim() };
  throw new Error('the value is not an OAuth token value (a JSON object with access_token)');
}

/** A parsed value's expiry and issue time, when both are known. */
export function tokenLifetime(v: Partial<OAuthTokenValue>): { issuedAt: Date; expiresAt: Date } | null {
  if (!v.expires_at || !v.issued_at) return null;
  const issuedAt = new Date(v.issued_at);
  const expiresAt = new Date(v.expires_at);
  return Number.isNaN(issuedAt.getTime()) || Number.isNaN(expiresAt.getTime()) || expiresAt <= issuedAt ? null : { issuedAt, expiresAt };
}

export const DEFAULT_TOKEN_RENEW_AT_FRACTION = 0.66;

/**
 * When a token value of an OAuth rotator expires and is due for renewal (`renew_at_fraction` of
 * its lifetime), or null: another rotator, or a value without a known lifetime.
 */
export function oauthTokenRenewal(value: string, cfg: RotatorConfig | undefined | null): { expiresAt: Date; renewAt: Date } | null {
  if (cfg?.kind !== 'oauth_client_credentials' && cfg?.kind !== 'oauth_refresh_token') return null;
  let life: ReturnType<typeof tokenLifetime>;
  try {
    life = tokenLifetime(parseTokenValue(value, 'refresh_token'));
  } catch {
    return null;
  }
  if (!life) return null;
  const from = life.issuedAt.getTime();
  return { expiresAt: life.expiresAt, renewAt: new Date(from + (life.expiresAt.getTime() - from) * (cfg.renew_at_fraction ?? DEFAULT_TOKEN_RENEW_AT_FRACTION)) };
}

/** Error codes after which asking again with the same client and grant cannot succeed (RFC 6749 §5.2). */
const FINAL_ERRORS = new Set(['invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_request']);
const RETRY_BASE_MS = 200;

/** The endpoint could not be reached or kept failing (network, timeouts, 429, 5xx): it said nothing about the token. */
export class OAuthEndpointUnavailable extends Error {}

/**
 * Calls to an OAuth 2 authorization server for one rotator's settings: the token endpoint and
 * RFC 7662 introspection, each through RotatorTargetPolicy (https only, allow-list, the checked
 * address), authenticated with client_secret_basic. The client secret is read (audited) only after
 * the endpoint passed its check. Answers are never shown: only the status and the RFC 6749 `error`
 * code, which carry no token.
 */
export class OAuthEndpoints {
  constructor(
    private readonly targets: RotatorTargetPolicy,
    private readonly timeouts: HttpsTimeouts,
  ) {}

  /**
   * A token request; `tries` > 1 only where asking again is harmless (client credentials): a
   * refresh token sent twice may count as reuse at the server and end the grant.
   */
  async token(cfg: OAuthRotatorConfig, ctx: RotatorContext, params: Record<string, string>, tries: number): Promise<OAuthTokenValue> {
    const answer = await this.post(cfg, ctx, 'apply', 'token', cfg.token_url, params, tries);
    const accessToken = answer.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') throw new Error('the token endpoint answered without an access_token');
    const issuedAt = new Date();
    const expiresIn = answer.expires_in;
    const value: OAuthTokenValue = {
      access_token: accessToken,
      token_type: typeof answer.token_type === 'string' && answer.token_type !== '' ? answer.token_type : 'Bearer',
      issued_at: issuedAt.toISOString(),
    };
    if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) value.expires_at = new Date(issuedAt.getTime() + expiresIn * 1000).toISOString();
    if (typeof answer.refresh_token === 'string' && answer.refresh_token !== '') value.refresh_token = answer.refresh_token;
    if (typeof answer.scope === 'string' && answer.scope !== '') value.scope = answer.scope;
    return value;
  }

  /** RFC 7662: whether the server holds `token` active, and for which client. */
  async introspect(cfg: OAuthRotatorConfig, ctx: RotatorContext, use: 'check' | 'apply', token: string, hint: 'access_token' | 'refresh_token'): Promise<{ active: boolean; clientId?: string }> {
    if (!cfg.introspection_url) throw new Error('no introspection_url');
    const answer = await this.post(cfg, ctx, use, 'introspection', cfg.introspection_url, { token, token_type_hint: hint }, 3);
    return { active: answer.active === true, ...(typeof answer.client_id === 'string' ? { clientId: answer.client_id } : {}) };
  }

  private async post(
    cfg: OAuthRotatorConfig,
    ctx: RotatorContext,
    use: 'check' | 'apply',
    endpointName: string,
    url: string,
    params: Record<string, string>,
    tries: number,
  ): Promise<Record<string, unknown>> {
    // The token endpoint's CA is the one configured; introspection is usually the same server.
    const { url: u, target } = await checkedHttpsEndpoint(this.targets, url, cfg.ssl_ca);
    const secret = await ctx.readAdminCredential(cfg.admin_secret_id, use);
    // client_secret_basic: both parts form-encoded first (RFC 6749 §2.3.1).
    const basic = Buffer.from(`${encodeURIComponent(cfg.client_id)}:${encodeURIComponent(secret)}`).toString('base64');
    const body = new URLSearchParams(params).toString();
    let last = 'no attempt';
    for (let attempt = 1; attempt <= tries; attempt++) {
      if (attempt > 1) await delay(RETRY_BASE_MS * 2 ** (attempt - 2) * (0.5 + Math.random()));
      let status: number;
      let text: string;
      try {
        ({ status, text } = await httpsRequest(u, target, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
          body,
        }, this.timeouts));
      } catch (e) {
        last = (e as Error).message;
        continue;
      }
      const json = jsonObject(text);
      if (status >= 200 && status < 300) {
        if (!json) throw new Error(`the ${endpointName} endpoint answered ${status} without a JSON object`);
        return json;
      }
      const code = typeof json?.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(json.error) ? json.error : null;
      last = `answered ${status}${code ? ` ${code}` : ''}`;
      if (status === 429 || status >= 500) continue;
      const message = `the ${endpointName} endpoint at ${u.host} ${last}`;
      // A refused client or grant stays refused: no further attempts with the same settings and value.
      if (code && FINAL_ERRORS.has(code)) throw new RotatorTargetRefused(message);
      throw new Error(message);
    }
    throw new OAuthEndpointUnavailable(`the ${endpointName} endpoint at ${u.host}: ${last}`.slice(0, 300));
  }
}
