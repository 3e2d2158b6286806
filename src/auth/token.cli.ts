/**
 * `npm run token -- --role admin [--sub ops-admin] [--ttl 1h] [--mfa]` prints an HS256 token signed
 * with the configured JWT_SECRET (or the generated development secret in DATA_DIR), for local
 * use; --ttl may not exceed JWT_MAX_TOKEN_LIFETIME_SECONDS. It refuses in production and when
 * only JWKS verification is configured.
 */
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { ConfigError, loadRuntimeKeys, parseConfig, readProcessEnv } from '../config/index.js';
import { ROLES } from './auth.types.js';

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
}

const USAGE = `usage: npm run token -- --role admin|auditor|reader [--role ...] [--sub NAME] [--ttl 1h] [--mfa]

  --role ROLE  admin, auditor or reader (repeatable)
  --sub NAME   the token's subject (default local-<role>)
  --ttl TTL    lifetime: 900 (seconds), 15m, 1h or 7d (default 1h)
  --mfa        mark the token as multi-factor (amr: ["mfa"]), for REQUIRE_MFA=true

Signs an HS256 token with JWT_SECRET (or the development secret generated in DATA_DIR), for local
use only: it refuses with NODE_ENV=production and when JWT_JWKS_URI is set.`;

const PRODUCTION_REFUSAL =
  'refusing to mint a token: NODE_ENV=production. Production tokens come from your identity provider ' +
  '(JWT_JWKS_URI), never from a shared secret on a workstation.';

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string', multiple: true },
        sub: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
        mfa: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const env = readProcessEnv();
  // Before the settings are checked: production would otherwise fail on a missing DATABASE_URL.
  if (env.NODE_ENV?.trim() === 'production') fail(PRODUCTION_REFUSAL);
  let config;
  try {
    config = parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (config.isProduction) fail(PRODUCTION_REFUSAL);
  if (config.auth.jwksUri) fail('JWT_JWKS_URI is set, so only identity-provider tokens are accepted');
  const roles = values.role ?? [];
  if (roles.length === 0 || roles.some((r) => !(ROLES as readonly string[]).includes(r))) {
    fail(`--role must be one of ${ROLES.join(', ')} (repeatable)`);
  }
  const ttl = /^(\d+)([smhd]?)$/.exec(values.ttl!);
  if (!ttl) fail('--ttl must look like 900, 15m, 1h or 1d');
  const ttlSeconds = Number(ttl[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[ttl[2] as '' | 's' | 'm' | 'h' | 'd'];
  // The service refuses longer-lived tokens, so minting one would only produce a 401 later.
  if (ttlSeconds < 1 || ttlSeconds > config.auth.maxTokenLifetimeSeconds) {
    fail(`--ttl must be between 1 second and JWT_MAX_TOKEN_LIFETIME_SECONDS (${config.auth.maxTokenLifetimeSeconds} s)`);
  }
  let keys;
  try {
    keys = loadRuntimeKeys(config);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const token = jwt.sign(
    { roles, ...(values.mfa ? { amr: ['mfa'] } : {}) },
    keys.jwtSecret!,
    {
      algorithm: 'HS256',
      subject: values.sub ?? `local-${roles[0]}`,
      expiresIn: ttlSeconds,
      ...(config.auth.issuer ? { issuer: config.auth.issuer } : {}),
      ...(config.auth.audience ? { audience: config.auth.audience } : {}),
    },
  );
  process.stdout.write(`${token}\n`);
}

main();
