import { describe, expect, it } from 'vitest';
import type { OAuthRotatorConfig } from '../../../secrets/entities/secret.entity.js';
import { oauthTokenRenewal, parseTokenValue } from './oauth-token.js';

const cfg = (over: Partial<OAuthRotatorConfig> = {}): OAuthRotatorConfig => ({
  kind: 'oauth_client_credentials',
  token_url: 'https://idp.example/token',
  client_id: 'c',
  admin_secret_id: 'sec_0123456789abcdef',
  ...over,
});

describe('OAuth token values', () => {
  it('reads the stored JSON, and a bare refresh token where the kind allows it', () => {
    expect(parseTokenValue('{"access_token":"at","token_type":"Bearer","refresh_token":"rt","extra":1}', null)).toEqual({ access_token: 'at', token_type: 'Bearer', refresh_token: 'rt' });
    expect(parseTokenValue('rt-123', 'refresh_token')).toEqual({ refresh_token: 'rt-123' });
  });

  it('refuses anything else without repeating the value', () => {
    expect(() => parseTokenValue('secret-looking value', null)).toThrow(/not an OAuth token value/);
    let message = '';
    try {
      parseTokenValue('top secret-value', 'refresh_token');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not an OAuth token value/);
    expect(message).not.toContain('secret-value');
  });

  it('renews at renew_at_fraction of the lifetime, and only for the OAuth kinds with a known lifetime', () => {
    const value = JSON.stringify({ access_token: 'at', token_type: 'Bearer', issued_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-01-01T01:00:00.000Z' });
    expect(oauthTokenRenewal(value, cfg({ renew_at_fraction: 0.5 }))).toEqual({
      expiresAt: new Date('2026-01-01T01:00:00.000Z'),
      renewAt: new Date('2026-01-01T00:30:00.000Z'),
    });
    expect(oauthTokenRenewal(value, cfg())?.renewAt).toEqual(new Date(Date.parse('2026-01-01T00:00:00.000Z') + 0.66 * 3_600_000));
    expect(oauthTokenRenewal(value, { kind: 'ssh_key' })).toBeNull();
    expect(oauthTokenRenewal('{"access_token":"at"}', cfg())).toBeNull();
    expect(oauthTokenRenewal('not json at all', cfg())).toBeNull();
  });
});
