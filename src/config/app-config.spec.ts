import { describe, expect, it } from 'vitest';
import { parseConfig } from './app-config.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('parseConfig', () => {
  it('has working defaults with no settings at all', () => {
    const c = parseConfig({});
    expect(c.port).toBe(8000);
    expect(c.dataDir).toBe('./data');
    expect(c.database.url).toBeUndefined();
    expect(c.vault).toMatchObject({ enabled: false, url: 'http://localhost:8200', kvMount: 'kv', pathPrefix: 'ytempire/secrets' });
    expect(c.rotation.enabled).toBe(true);
    expect(c.secrets.defaultRotationIntervalDays).toBe(90);
    expect(c.audit.enabled).toBe(true);
    expect(c.auth.rolesClaim).toBe('roles');
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be between 0 and 65535/],
    [{ USE_VAULT: 'maybe' }, /^USE_VAULT must be true or false/],
    [{ LOCAL_ENCRYPTION_KEY: 'short' }, /^LOCAL_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes/],
    [{ LOCAL_ENCRYPTION_KEYS_PREVIOUS: `${KEY},nope` }, /^LOCAL_ENCRYPTION_KEYS_PREVIOUS must be/],
    [{ DEFAULT_ROTATION_INTERVAL_DAYS: '0' }, /^DEFAULT_ROTATION_INTERVAL_DAYS must be between 1 and 3650/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must use postgres or postgresql/],
    [{ JWT_SECRET: 'too-short' }, /^JWT_SECRET must be at least 32 bytes/],
    [{ USE_VAULT: 'true' }, /^USE_VAULT=true needs VAULT_TOKEN/],
    [{ JOB_CHECK_EXPIRED_SECRETS_CRON: 'daily' }, /^JOB_CHECK_EXPIRED_SECRETS_CRON must be a cron expression/],
    [{ TLS_CERT_FILE: '/tls/tls.crt' }, /^TLS_CERT_FILE and TLS_KEY_FILE must be set together/],
    [{ TLS_CLIENT_CA_FILE: '/tls/ca.crt' }, /^TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE/],
    [{ VAULT_CLIENT_KEY: '/tls/v.key' }, /^VAULT_CLIENT_CERT and VAULT_CLIENT_KEY must be set together/],
    [{ OIDC_ISSUER: 'https://idp.example.com' }, /^OIDC_ISSUER and OIDC_CLIENT_ID must be set together/],
    [{ OIDC_CLIENT_ID: 'strongroom-console' }, /^OIDC_ISSUER and OIDC_CLIENT_ID must be set together/],
    [{ OIDC_ISSUER: 'ftp://idp', OIDC_CLIENT_ID: 'c' }, /^OIDC_ISSUER must use http or https/],
    [{ OIDC_ISSUER: 'https://idp.example.com/?x=1', OIDC_CLIENT_ID: 'c' }, /^OIDC_ISSUER must be the issuer URL alone/],
    [{ OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'a b' }, /^OIDC_CLIENT_ID must be 1 to 128/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(message);
  });

  it('reads the console\'s OpenID provider (trailing slash dropped); plain http only on loopback in production', () => {
    expect(parseConfig({}).console).toEqual({});
    expect(parseConfig({ OIDC_ISSUER: 'https://idp.example.com/realms/x/', OIDC_CLIENT_ID: 'strongroom-console' }).console).toEqual({
      oidc: { issuer: 'https://idp.example.com/realms/x', clientId: 'strongroom-console' },
    });
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', LOCAL_ENCRYPTION_KEY: KEY, JWT_JWKS_URI: 'https://idp/jwks', AUDIT_SIGNING_KEY: 'k' };
    expect(() => parseConfig({ ...production, OIDC_ISSUER: 'http://idp.example.com', OIDC_CLIENT_ID: 'c' })).toThrow(/^OIDC_ISSUER must use https with NODE_ENV=production/);
    expect(parseConfig({ ...production, OIDC_ISSUER: 'http://127.0.0.1:9000', OIDC_CLIENT_ID: 'c' }).console.oidc?.issuer).toBe('http://127.0.0.1:9000');
  });

  it('never echoes a sensitive value in its error', () => {
    const secretish = 'sk-live-1234567890abcdef-not-base64!!';
    expect(() => parseConfig({ LOCAL_ENCRYPTION_KEY: secretish })).toThrow(/LOCAL_ENCRYPTION_KEY/);
    try {
      parseConfig({ LOCAL_ENCRYPTION_KEY: secretish });
    } catch (e) {
      expect((e as Error).message).not.toContain(secretish);
    }
  });

  it('refuses production without the settings it needs, naming each', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(
      'NODE_ENV=production refuses to start without DATABASE_URL, LOCAL_ENCRYPTION_KEY, JWT_SECRET or JWT_JWKS_URI, AUDIT_SIGNING_KEY',
    );
    expect(() =>
      parseConfig({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/x',
        LOCAL_ENCRYPTION_KEY: KEY,
        JWT_JWKS_URI: 'https://idp.example/jwks',
        AUDIT_SIGNING_KEY: 'x',
      }),
    ).not.toThrow();
  });
});
