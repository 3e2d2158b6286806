import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config.js';
import { ConfigError } from './config.errors.js';

/**
 * Key material the service runs with. In production every key comes from the environment. Outside
 * production a missing key is generated once into DATA_DIR (mode 0600) and reused on restart, so
 * `npm start` works with no settings and data survives a restart; each such key is reported in
 * `warnings` so the boot log says loudly that it is a development key.
 */
export class RuntimeKeys {
  constructor(
    readonly encryptionKey: Buffer,
    readonly previousEncryptionKeys: Buffer[],
    /** HS256 secret; absent when only JWKS verification is configured. */
    readonly jwtSecret: string | undefined,
    /** Ed25519 private key, PKCS#8 PEM. */
    readonly auditSigningKeyPem: string,
    readonly warnings: string[],
  ) {}
}

const DEV_FILES = {
  encryption: 'dev-encryption.key',
  jwt: 'dev-jwt.secret',
  audit: 'dev-audit-signing.pem',
} as const;

function readOrCreate(dir: string, file: string, make: () => string): string {
  const path = join(dir, file);
  try {
    if (existsSync(path)) return readFileSync(path, 'utf8').trim();
    mkdirSync(dir, { recursive: true });
    const value = make();
    writeFileSync(path, value + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return value;
  } catch (e) {
    // An unreadable or unwritable DATA_DIR is a setting to fix, not a crash.
    throw new ConfigError(`DATA_DIR: cannot read or create ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const BAD_AUDIT_KEY = 'AUDIT_SIGNING_KEY must be an Ed25519 private key in PKCS#8 PEM (or its base64)';

function parsePem(raw: string): string {
  const pem = (raw.includes('BEGIN') ? raw : Buffer.from(raw, 'base64').toString('utf8')).replace(/\\n/g, '\n');
  if (!pem.includes('BEGIN PRIVATE KEY')) throw new ConfigError(BAD_AUDIT_KEY);
  // Parsed here, so a damaged or non-Ed25519 key stops the boot as a configuration error.
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    throw new ConfigError(`${BAD_AUDIT_KEY}: the PEM does not parse`);
  }
  if (type !== 'ed25519') throw new ConfigError(`${BAD_AUDIT_KEY}: this is a ${type ?? 'unknown'} key`);
  return pem;
}

export function loadRuntimeKeys(config: AppConfig): RuntimeKeys {
  const warnings: string[] = [];
  const dir = config.dataDir;
  const dev = (what: string, file: string, risk: string) =>
    warnings.push(`DEVELOPMENT ${what} generated in ${join(dir, file)}: anyone with this file ${risk}. Set the real setting before storing real secrets.`);

  let encryptionKeyB64 = config.encryption.currentKey;
  if (!encryptionKeyB64) {
    encryptionKeyB64 = readOrCreate(dir, DEV_FILES.encryption, () => randomBytes(32).toString('base64'));
    dev('encryption key (LOCAL_ENCRYPTION_KEY)', DEV_FILES.encryption, 'can decrypt every secret');
  }

  let jwtSecret = config.auth.jwtSecret;
  if (!jwtSecret && !config.auth.jwksUri && !config.isProduction) {
    jwtSecret = readOrCreate(dir, DEV_FILES.jwt, () => randomBytes(48).toString('base64url'));
    dev('JWT secret (JWT_SECRET)', DEV_FILES.jwt, 'can mint admin tokens');
  }

  let auditKeyPem = config.audit.signingKey ? parsePem(config.audit.signingKey) : undefined;
  if (!auditKeyPem) {
    auditKeyPem = readOrCreate(dir, DEV_FILES.audit, () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
    );
    dev('audit signing key (AUDIT_SIGNING_KEY)', DEV_FILES.audit, 'can sign forged audit checkpoints and reports');
  }

  return new RuntimeKeys(
    Buffer.from(encryptionKeyB64, 'base64'),
    config.encryption.previousKeys.map((k) => Buffer.from(k, 'base64')),
    jwtSecret,
    auditKeyPem,
    warnings,
  );
}

/** A loggable view of the configuration with sensitive settings masked. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    nodeEnv: config.nodeEnv,
    port: config.port,
    database: config.database.url ? 'external PostgreSQL (DATABASE_URL, masked)' : `embedded PostgreSQL in ${config.dataDir}`,
    store: config.vault.enabled ? `vault ${config.vault.url} ${config.vault.kvMount}/${config.vault.pathPrefix}` : 'local',
    jwt: config.auth.jwksUri ? `JWKS ${config.auth.jwksUri}` : 'HS256 (JWT_SECRET, masked)',
    audit: config.audit.enabled,
    rotation: config.rotation.enabled,
    transport: config.tls.certFile ? (config.tls.clientCaFile ? 'https, client certificates required' : 'https') : 'http',
    console: config.console.oidc ? `OIDC ${config.console.oidc.issuer}` : config.isProduction ? 'no sign-in (set OIDC_ISSUER)' : 'development sign-in',
    rotatorAllowedHosts: [...config.rotators.allowedHosts.names, ...config.rotators.allowedHosts.networks.map((n) => `${n.address}/${n.prefix}`)].join(',') || 'none',
  };
}
