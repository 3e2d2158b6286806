import type { OAuthRotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import type { RotationCheck, RotationStep, RotatorContext, ValueFacts } from '../../rotator.port.js';
import { RotatorTargetRefused } from '../../rotator-target.js';
import { DryRunChecks } from '../shared/dry-run.js';
import type { HttpsTimeouts } from '../shared/https-request.js';
import { checkedHttpsEndpoint } from '../shared/settings.js';
import { TargetRotator } from '../shared/target-rotator.js';
import { OAuthEndpoints, OAuthEndpointUnavailable, oauthTokenRenewal, type OAuthTokenValue, parseTokenValue, tokenLifetime } from './oauth-token.js';

/**
 * What both OAuth rotators share: the value is the token endpoint's answer (JSON, see
 * OAuthTokenValue) asked for in `produce`; `verify` checks the staged access token is unexpired
 * and, with `introspection_url`, active at the server for this client; on promotion `expires_at`
 * follows the token and the next rotation is due at `renew_at_fraction` of its lifetime, so
 * `check_expired_secrets` renews it before it expires. Nothing is changed at the server by
 * `apply`, `finish` or `revert`: a token endpoint issues, it does not take values.
 */
abstract class OAuthRotator extends TargetRotator<'oauth_client_credentials' | 'oauth_refresh_token', HttpsTimeouts> {
  protected readonly endpoints = new OAuthEndpoints(this.targets, this.timeouts);

  /** The token request of this grant for the current value. */
  protected abstract request(cfg: OAuthRotatorConfig, ctx: RotatorContext, currentValue: string | undefined): Promise<OAuthTokenValue>;

  override producesValues(): boolean {
    return true;
  }

  override async produce(secret: SecretEntity, ctx: RotatorContext, _step: RotationStep, currentValue?: string): Promise<string> {
    return JSON.stringify(await this.request(this.config(secret), ctx, currentValue));
  }

  async apply(): Promise<void> {}

  async verify(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    const cfg = this.config(secret);
    const token = parseTokenValue(newValue, null);
    if (!token.access_token) throw new Error('the new value holds no access_token');
    if (this.kind === 'oauth_refresh_token' && !token.refresh_token) throw new Error('the new value holds no refresh_token');
    const life = tokenLifetime(token);
    if (life && life.expiresAt <= new Date()) throw new Error('the new access token has already expired');
    if (!cfg.introspection_url) return;
    let found: { active: boolean; clientId?: string };
    try {
      found = await this.endpoints.introspect(cfg, ctx, 'apply', token.access_token, 'access_token');
    } catch (e) {
      // The server consumed the old refresh token when it answered: failing here would leave only
      // a spent one. An introspection that cannot answer says nothing against the new pair.
      if (this.kind === 'oauth_refresh_token' && e instanceof OAuthEndpointUnavailable) return;
      throw e;
    }
    if (!found.active) throw new Error('the introspection endpoint does not hold the new access token active');
    if (found.clientId !== undefined && found.clientId !== cfg.client_id) throw new Error(`the new access token belongs to client ${found.clientId}, not ${cfg.client_id}`);
  }

  async revert(): Promise<void> {}

  override describeValue(secret: SecretEntity, value: string): ValueFacts {
    const renewal = oauthTokenRenewal(value, this.config(secret));
    return renewal ? { expiresAt: renewal.expiresAt, renewAt: renewal.renewAt } : {};
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    const dry = new DryRunChecks();
    const allowed = await dry.record('target allowed', async () => {
      const urls = [cfg.token_url, ...(cfg.introspection_url ? [cfg.introspection_url] : [])];
      const found = await Promise.all(urls.map((u) => checkedHttpsEndpoint(this.targets, u, cfg.ssl_ca)));
      return [...new Set(found.map((f) => `${f.url.host} (${f.target.addresses.map((a) => a.address).join(', ')}), https`))].join('; ');
    });
    let current: Partial<OAuthTokenValue> = {};
    if (this.kind === 'oauth_refresh_token') {
      await dry.record('current value holds a refresh token', async () => {
        current = parseTokenValue(currentValue, 'refresh_token');
        if (!current.refresh_token) throw new Error('the current value holds no refresh_token');
      });
    } else {
      // Not needed: a client credentials rotation replaces whatever is stored.
      try {
        current = parseTokenValue(currentValue, null);
      } catch {
        current = {};
      }
      dry.checks.push({ check: 'current value is an OAuth token value', ok: true, ...(current.access_token ? {} : { detail: 'no: the rotation stores the first one' }) });
    }
    if (!allowed) return dry.checks;
    if (!cfg.introspection_url) {
      dry.checks.push({ check: 'client credentials accepted', ok: true, detail: 'not checked: no introspection_url (a dry run asks the token endpoint for nothing)' });
      return dry.checks;
    }
    // Introspection authenticates the client (invalid_client otherwise) and changes nothing.
    const [token, hint] = this.kind === 'oauth_refresh_token' ? [current.refresh_token, 'refresh_token' as const] : [current.access_token, 'access_token' as const];
    await dry.record('client credentials accepted', async () => {
      const found = await this.endpoints.introspect(cfg, ctx, 'check', token ?? '-', hint);
      if (this.kind === 'oauth_refresh_token' && !found.active) throw new Error('the current refresh token is not active at the server: a new grant is needed');
      return token ? `current ${hint} ${found.active ? 'active' : 'not active'}` : undefined;
    });
    return dry.checks;
  }
}

/**
 * `oauth_client_credentials`: a new access token from the client credentials grant (RFC 6749
 * §4.4) with the client secret `admin_secret_id`. Asking again is harmless, so each request is
 * tried three times and a resumed attempt simply asks for another token. The previous token
 * stays valid until it expires (the server issues, it does not replace).
 */
export class OAuthClientCredentialsRotator extends OAuthRotator {
  readonly kind = 'oauth_client_credentials';

  protected request(cfg: OAuthRotatorConfig, ctx: RotatorContext): Promise<OAuthTokenValue> {
    return this.endpoints.token(cfg, ctx, { grant_type: 'client_credentials', ...(cfg.scope ? { scope: cfg.scope } : {}) }, 3);
  }
}

/**
 * `oauth_refresh_token`: the current refresh token traded for a new access + refresh token pair
 * (RFC 6749 §6). With refresh token rotation at the server the old refresh token stops working
 * the moment the answer is sent, so the request is sent once per attempt (a second send of the
 * same refresh token may count as reuse and end the grant) and a server that issues no new
 * refresh token leaves the current one in the value.
 */
export class OAuthRefreshTokenRotator extends OAuthRotator {
  readonly kind = 'oauth_refresh_token';

  protected async request(cfg: OAuthRotatorConfig, ctx: RotatorContext, currentValue: string | undefined): Promise<OAuthTokenValue> {
    let refreshToken: string | undefined;
    try {
      refreshToken = parseTokenValue(currentValue ?? '', 'refresh_token').refresh_token;
    } catch (e) {
      throw new RotatorTargetRefused(`oauth_refresh_token: ${(e as Error).message}`);
    }
    if (!refreshToken) throw new RotatorTargetRefused('oauth_refresh_token: the current value holds no refresh_token');
    const pair = await this.endpoints.token(cfg, ctx, { grant_type: 'refresh_token', refresh_token: refreshToken, ...(cfg.scope ? { scope: cfg.scope } : {}) }, 1);
    return { ...pair, refresh_token: pair.refresh_token ?? refreshToken };
  }
}
