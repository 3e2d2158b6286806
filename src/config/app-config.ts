import { isIP } from 'node:net';
import { ConfigError } from './config.errors.js';
import { bool, cron, type Env, int, list, oneOf, str, url } from './env-parsers.js';
import { trustedProxies } from './trusted-proxies.js';

export type NodeEnv = 'development' | 'production' | 'test';

/** The names of the spec's scheduled tasks (binding). */
export const JOB_NAMES = [
  'check_expired_secrets',
  'audit_secrets_access',
  'validate_secret_integrity',
  'cleanup_old_secret_versions',
  'generate_security_report',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** Default schedules: daily, every 12 hours, weekly, as the spec's "Scheduled Tasks" table says. */
const DEFAULT_JOB_SCHEDULES: Record<JobName, string> = {
  check_expired_secrets: '0 15 2 * * *',
  audit_secrets_access: '0 30 */12 * * *',
  validate_secret_integrity: '0 0 3 * * 0',
  cleanup_old_secret_versions: '0 30 3 * * 0',
  generate_security_report: '0 0 6 * * *',
};

const jobEnvName = (job: JobName) => `JOB_${job.toUpperCase()}_CRON`;

/**
 * Every setting of the service, read once at boot and validated. Nothing else reads process.env.
 * Settings marked sensitive never appear in logs (see `describeConfig`).
 */
export class AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  /**
   * Proxies (addresses/CIDRs) whose X-Forwarded-For hops are believed; the client address (audit
   * rows, failed-auth limit) is the right-most hop not among them. false: the socket address.
   */
  readonly trustProxy: string[] | false;

  readonly database: {
    /** Absent: an embedded PostgreSQL (PGlite) under `dataDir` is used. */
    url?: string;
    poolSize: number;
    /** Hot statements become named prepared statements (external PostgreSQL only; bounded-client.ts). */
    preparedStatements: boolean;
  };
  readonly dataDir: string;

  readonly vault: {
    enabled: boolean;
    url: string;
    token?: string;
    roleId?: string;
    secretId?: string;
    namespace?: string;
    kvMount: string;
    pathPrefix: string;
    requestTimeoutMs: number;
  };

  readonly encryption: {
    /** Base64 of 32 bytes; absent outside production means "use the generated development key". */
    currentKey?: string;
    previousKeys: string[];
  };

  readonly secrets: {
    defaultRotationIntervalDays: number;
    deleteRetentionDays: number;
    versionsRetained: number;
    /** A consumer that read a value within this many days counts as active (stale filter, gauge, retirement). */
    consumerActiveDays: number;
  };

  readonly rotation: {
    enabled: boolean;
    maxAttempts: number;
    retryBaseDelayMs: number;
    /** After a rotation the previous version stays readable this long (per secret: grace_period_hours). */
    gracePeriodHours: number;
    /** An unfinished rotation not touched for this long was interrupted (crash) and is resumed. */
    resumeAfterSeconds: number;
  };

  readonly audit: {
    enabled: boolean;
    retentionDays: number;
    /** Ed25519 private key (PKCS#8 PEM or its base64); generated in development when absent. */
    signingKey?: string;
  };

  readonly auth: {
    jwtSecret?: string;
    jwksUri?: string;
    issuer?: string;
    audience?: string;
    rolesClaim: string;
    /** A token with no known role acts as `reader` (only what access policies grant it). */
    implicitReader: boolean;
    requireMfa: boolean;
    failureLimit: number;
    failureWindowSeconds: number;
    /** Leeway for exp, nbf and iat against our clock. */
    clockSkewSeconds: number;
    /** Longest accepted token lifetime: exp - iat, or exp - now without iat. */
    maxTokenLifetimeSeconds: number;
  };

  readonly tasks: {
    workerEnabled: boolean;
    pollIntervalMs: number;
    leaseSeconds: number;
    itemMaxAttempts: number;
    /** Items a replica works on at once. */
    concurrency: number;
  };

  readonly metrics: { token?: string };

  readonly alerts: {
    webhookUrls: string[];
    webhookSecret?: string;
    webhookFormat: 'json' | 'slack';
    expiryWarningDays: number;
    /** First retry delay of a failed webhook delivery (doubles per attempt, with jitter). */
    retryBaseDelayMs: number;
  };

  readonly jobs: { enabled: boolean; schedules: Record<JobName, string> };

  /** Where external rotators (postgres_role, …) may connect; see src/rotation/rotator-target.ts. */
  readonly rotators: {
    /** ROTATOR_ALLOWED_HOSTS: empty = no external rotator target is allowed. */
    allowedHosts: RotatorAllowList;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
  };

  /** Bounds on every wait, and shutdown (see README "Operations"). */
  readonly operations: {
    /** Server-side statement_timeout; the client gives up on a silent server 2 s later. */
    statementTimeoutMs: number;
    idleInTransactionTimeoutMs: number;
    /** Waiting for a pooled connection, and opening a new one (pg connectionTimeoutMillis). */
    acquireTimeoutMs: number;
    /** Deadline of one HTTP request; past it the answer is 503. */
    requestTimeoutMs: number;
    /** Retry-After of every 503. */
    retryAfterSeconds: number;
    /** SIGTERM: time given to in-flight requests and leased work before the process exits anyway. */
    shutdownTimeoutMs: number;
  };

  /** On-demand report generation (see src/reports/README.md, "Generating on request"). */
  readonly reportGeneration: {
    /** Reports this replica generates at once; more callers wait up to `waitSeconds`, then 429. */
    concurrency: number;
    waitSeconds: number;
  };

  /** The audit sealer (src/audit/README.md). */
  readonly auditSeal: {
    /** Pause between the sealing replica's passes. */
    intervalMs: number;
    /** How often a replica that is not sealing tries to take the sealer over. */
    takeoverMs: number;
    /** How often (minutes) the full chain is verified; also the age that triggers one at boot. */
    fullVerifyMinutes: number;
  };

  /** Transport security (README "TLS"): HTTPS for the API, TLS to Vault and PostgreSQL. */
  readonly tls: {
    /** PEM files; both set: the API serves HTTPS, reloaded when they change. */
    certFile?: string;
    keyFile?: string;
    /** Set: every connection must present a client certificate issued by this CA (mTLS). */
    clientCaFile?: string;
    /** How often the certificate files are checked for a change. */
    reloadIntervalMs: number;
    /** Vault's CLI names: VAULT_CACERT, VAULT_CLIENT_CERT/KEY, VAULT_TLS_SERVER_NAME. */
    vaultCaCert?: string;
    vaultClientCert?: string;
    vaultClientKey?: string;
    vaultServerName?: string;
    /** Root certificate(s) for PostgreSQL; sslmode comes from DATABASE_URL. */
    databaseCaFile?: string;
  };

  /** Backup bundles (src/backups/README.md). */
  readonly backups: {
    /** Where POST /api/v1/backups writes bundles (BACKUP_DIR, default <DATA_DIR>/backups). */
    dir: string;
    /** How many bundles are kept; older ones are deleted after each backup. */
    retained: number;
    /** age public keys (age1…) every value is encrypted to; empty: backups are refused. */
    recipients: string[];
    /** Cron of the backup_secrets job (BACKUP_SCHEDULE, default daily 01:00 UTC); off without recipients. */
    schedule: string;
  };

  /** The web console at /console (src/web-console/README.md). */
  readonly console: {
    /** OIDC_ISSUER and OIDC_CLIENT_ID: the console signs people in there (authorization code + PKCE). */
    oidc?: { issuer: string; clientId: string };
  };

  constructor(init: Omit<AppConfig, 'isProduction'>) {
    Object.assign(this, init);
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}

const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

function encryptionKey(name: string, raw: string): string {
  if (!BASE64_32.test(raw) || Buffer.from(raw, 'base64').length !== 32) {
    throw new ConfigError(`${name} must be the base64 encoding of exactly 32 bytes (e.g. openssl rand -base64 32)`);
  }
  return raw;
}

/** ROTATOR_ALLOWED_HOSTS parsed: exact host names, and networks (an IP is a /32 or /128). */
export interface RotatorAllowList {
  names: string[];
  networks: { address: string; prefix: number; family: 4 | 6 }[];
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function rotatorAllowList(entries: string[]): RotatorAllowList {
  const allow: RotatorAllowList = { names: [], networks: [] };
  for (const raw of entries) {
    const entry = raw.toLowerCase().replace(/\.$/, '');
    const [address, prefixText, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 4 || family === 6) {
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
      if (extra === undefined && prefix >= 0 && prefix <= max) {
        allow.networks.push({ address: address!, prefix, family });
        continue;
      }
    } else if (prefixText === undefined && HOST_NAME.test(entry)) {
      allow.names.push(entry);
      continue;
    }
    throw new ConfigError(`ROTATOR_ALLOWED_HOSTS entry "${raw}" is not a host name, an IP address or a CIDR (e.g. db.internal, 10.0.0.5, 10.0.0.0/8)`);
  }
  return allow;
}

/** Parses and validates the environment. Throws ConfigError with one line naming the variable. */
export function parseConfig(env: Env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const useVault = bool(env, 'USE_VAULT', false);
  const currentKey = str(env, 'LOCAL_ENCRYPTION_KEY');
  const jwtSecret = str(env, 'JWT_SECRET');
  const jwksUri = url(env, 'JWT_JWKS_URI', ['http', 'https']);
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 bytes long (HS256 needs a 256-bit secret)');
  }
  const webhookFormat = oneOf(env, 'ALERT_WEBHOOK_FORMAT', ['json', 'slack'] as const, 'json');

  const schedules = {} as Record<JobName, string>;
  for (const job of JOB_NAMES) schedules[job] = cron(env, jobEnvName(job), DEFAULT_JOB_SCHEDULES[job]);

  const config = new AppConfig({
    nodeEnv,
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 8000, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    trustProxy: trustedProxies(env),
    database: {
      url: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
      poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
      preparedStatements: bool(env, 'DATABASE_PREPARED_STATEMENTS', true),
    },
    dataDir: str(env, 'DATA_DIR', './data'),
    vault: {
      enabled: useVault,
      url: url(env, 'VAULT_URL', ['http', 'https'], 'http://localhost:8200')!,
      token: str(env, 'VAULT_TOKEN'),
      roleId: str(env, 'VAULT_ROLE_ID'),
      secretId: str(env, 'VAULT_SECRET_ID'),
      namespace: str(env, 'VAULT_NAMESPACE'),
      kvMount: str(env, 'VAULT_KV_MOUNT', 'kv').replace(/^\/+|\/+$/g, ''),
      pathPrefix: str(env, 'VAULT_PATH_PREFIX', 'ytempire/secrets').replace(/^\/+|\/+$/g, ''),
      requestTimeoutMs: int(env, 'VAULT_TIMEOUT_MS', 5000, 100, 120_000),
    },
    encryption: {
      currentKey: currentKey === undefined ? undefined : encryptionKey('LOCAL_ENCRYPTION_KEY', currentKey),
      previousKeys: list(env, 'LOCAL_ENCRYPTION_KEYS_PREVIOUS').map((k) =>
        encryptionKey('LOCAL_ENCRYPTION_KEYS_PREVIOUS', k),
      ),
    },
    secrets: {
      defaultRotationIntervalDays: int(env, 'DEFAULT_ROTATION_INTERVAL_DAYS', 90, 1, 3650),
      deleteRetentionDays: int(env, 'SECRET_DELETE_RETENTION_DAYS', 30, 0, 3650),
      versionsRetained: int(env, 'SECRET_VERSIONS_RETAINED', 10, 2, 1000),
      consumerActiveDays: int(env, 'CONSUMER_ACTIVE_DAYS', 7, 1, 365),
    },
    rotation: {
      enabled: bool(env, 'SECRET_ROTATION_ENABLED', true),
      maxAttempts: int(env, 'ROTATION_MAX_ATTEMPTS', 5, 1, 50),
      gracePeriodHours: int(env, 'ROTATION_GRACE_PERIOD_HOURS', 24, 0, 8760),
      retryBaseDelayMs: int(env, 'ROTATION_RETRY_BASE_DELAY_MS', 1000, 0, 3_600_000),
      resumeAfterSeconds: int(env, 'ROTATION_RESUME_AFTER_SECONDS', 120, 1, 86_400),
    },
    audit: {
      enabled: bool(env, 'SECURITY_AUDIT_ENABLED', true),
      retentionDays: int(env, 'AUDIT_RETENTION_DAYS', 365, 1, 36500),
      signingKey: str(env, 'AUDIT_SIGNING_KEY'),
    },
    auth: {
      jwtSecret,
      jwksUri,
      issuer: str(env, 'JWT_ISSUER'),
      audience: str(env, 'JWT_AUDIENCE'),
      rolesClaim: str(env, 'JWT_ROLES_CLAIM', 'roles'),
      implicitReader: bool(env, 'JWT_IMPLICIT_READER', false),
      requireMfa: bool(env, 'REQUIRE_MFA', false),
      failureLimit: int(env, 'AUTH_FAILURE_LIMIT', 20, 1, 100_000),
      failureWindowSeconds: int(env, 'AUTH_FAILURE_WINDOW_SECONDS', 60, 1, 86_400),
      clockSkewSeconds: int(env, 'JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
      maxTokenLifetimeSeconds: int(env, 'JWT_MAX_TOKEN_LIFETIME_SECONDS', 86_400, 60, 31 * 86_400),
    },
    tasks: {
      workerEnabled: bool(env, 'TASK_WORKER_ENABLED', true),
      pollIntervalMs: int(env, 'TASK_POLL_INTERVAL_MS', 500, 10, 60_000),
      leaseSeconds: int(env, 'TASK_LEASE_SECONDS', 60, 1, 3600),
      itemMaxAttempts: int(env, 'TASK_ITEM_MAX_ATTEMPTS', 5, 1, 100),
      concurrency: int(env, 'TASK_CONCURRENCY', 4, 1, 64),
    },
    metrics: { token: str(env, 'METRICS_TOKEN') },
    alerts: {
      webhookUrls: list(env, 'ALERT_WEBHOOK_URLS').map((u, i) => {
        url({ [`ALERT_WEBHOOK_URLS[${i}]`]: u }, `ALERT_WEBHOOK_URLS[${i}]`, ['http', 'https']);
        return u;
      }),
      webhookSecret: str(env, 'ALERT_WEBHOOK_SECRET'),
      webhookFormat,
      expiryWarningDays: int(env, 'ALERT_EXPIRY_WARNING_DAYS', 14, 1, 365),
      retryBaseDelayMs: int(env, 'ALERT_RETRY_BASE_DELAY_MS', 1000, 10, 3_600_000),
    },
    jobs: { enabled: bool(env, 'JOBS_ENABLED', true), schedules },
    rotators: {
      allowedHosts: rotatorAllowList(list(env, 'ROTATOR_ALLOWED_HOSTS')),
      connectTimeoutMs: int(env, 'ROTATOR_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
      statementTimeoutMs: int(env, 'ROTATOR_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
    },
    operations: {
      statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
      idleInTransactionTimeoutMs: int(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30_000, 100, 3_600_000),
      // The embedded database serves one transaction at a time, so a burst queues longer there.
      acquireTimeoutMs: int(env, 'DATABASE_ACQUIRE_TIMEOUT_MS', env.DATABASE_URL ? 5_000 : 30_000, 100, 600_000),
      requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000),
      retryAfterSeconds: int(env, 'RETRY_AFTER_SECONDS', 5, 1, 3600),
      shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 20_000, 100, 600_000),
    },
    reportGeneration: {
      concurrency: int(env, 'REPORT_GENERATION_CONCURRENCY', 1, 1, 16),
      waitSeconds: int(env, 'REPORT_GENERATION_WAIT_SECONDS', 30, 0, 600),
    },
    auditSeal: {
      intervalMs: int(env, 'AUDIT_SEAL_INTERVAL_MS', 100, 10, 60_000),
      takeoverMs: int(env, 'AUDIT_SEALER_TAKEOVER_MS', 1000, 50, 60_000),
      fullVerifyMinutes: int(env, 'AUDIT_FULL_VERIFY_MINUTES', 60, 1, 10_080),
    },
    tls: tlsConfig(env),
    console: consoleConfig(env, nodeEnv),
    backups: {
      dir: str(env, 'BACKUP_DIR', `${str(env, 'DATA_DIR', './data').replace(/\/+$/, '')}/backups`),
      retained: int(env, 'BACKUP_RETAINED', 7, 1, 10_000),
      recipients: list(env, 'BACKUP_RECIPIENTS').map((r) => {
        if (!/^age1[02-9ac-hj-np-z]{20,}$/.test(r)) throw new ConfigError(`BACKUP_RECIPIENTS entry "${r.slice(0, 12)}…" is not an age public key (age1…)`);
        return r;
      }),
      schedule: cron(env, 'BACKUP_SCHEDULE', '0 0 1 * * *'),
    },
  });

  if (config.vault.enabled && !config.vault.token && !(config.vault.roleId && config.vault.secretId)) {
    throw new ConfigError('USE_VAULT=true needs VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole');
  }
  if (config.alerts.webhookUrls.length > 0 && !config.alerts.webhookSecret && webhookFormat === 'json') {
    throw new ConfigError('ALERT_WEBHOOK_URLS is set, so ALERT_WEBHOOK_SECRET is required to sign the alerts');
  }
  if (config.isProduction) {
    const missing: string[] = [];
    if (!config.database.url) missing.push('DATABASE_URL');
    if (!config.encryption.currentKey) missing.push('LOCAL_ENCRYPTION_KEY');
    if (!config.auth.jwtSecret && !config.auth.jwksUri) missing.push('JWT_SECRET or JWT_JWKS_URI');
    if (!config.audit.signingKey) missing.push('AUDIT_SIGNING_KEY');
    if (missing.length > 0) {
      throw new ConfigError(`NODE_ENV=production refuses to start without ${missing.join(', ')}`);
    }
  }
  return config;
}

const CLIENT_ID = /^[A-Za-z0-9._:@\/-]{1,128}$/;

function consoleConfig(env: Env, nodeEnv: NodeEnv): AppConfig['console'] {
  const issuer = url(env, 'OIDC_ISSUER', ['http', 'https']);
  const clientId = str(env, 'OIDC_CLIENT_ID');
  if (!issuer !== !clientId) throw new ConfigError('OIDC_ISSUER and OIDC_CLIENT_ID must be set together (the console signs in with both)');
  if (!issuer || !clientId) return {};
  if (issuer.length > 512) throw new ConfigError('OIDC_ISSUER must be at most 512 characters');
  if (!CLIENT_ID.test(clientId)) throw new ConfigError('OIDC_CLIENT_ID must be 1 to 128 letters, digits or . _ : @ / -');
  const parsed = new URL(issuer);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new ConfigError('OIDC_ISSUER must be the issuer URL alone (no query, fragment or credentials)');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (nodeEnv === 'production' && parsed.protocol !== 'https:' && !loopback) {
    throw new ConfigError('OIDC_ISSUER must use https with NODE_ENV=production');
  }
  return { oidc: { issuer: issuer.replace(/\/+$/, ''), clientId } };
}

function tlsConfig(env: Env): AppConfig['tls'] {
  const tls: AppConfig['tls'] = {
    certFile: str(env, 'TLS_CERT_FILE'),
    keyFile: str(env, 'TLS_KEY_FILE'),
    clientCaFile: str(env, 'TLS_CLIENT_CA_FILE'),
    reloadIntervalMs: int(env, 'TLS_RELOAD_INTERVAL_MS', 5000, 100, 3_600_000),
    vaultCaCert: str(env, 'VAULT_CACERT'),
    vaultClientCert: str(env, 'VAULT_CLIENT_CERT'),
    vaultClientKey: str(env, 'VAULT_CLIENT_KEY'),
    vaultServerName: str(env, 'VAULT_TLS_SERVER_NAME'),
    databaseCaFile: str(env, 'DATABASE_CA_FILE'),
  };
  if (!tls.certFile !== !tls.keyFile) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together (HTTPS needs both)');
  if (tls.clientCaFile && !tls.certFile) throw new ConfigError('TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE (client certificates need HTTPS)');
  if (!tls.vaultClientCert !== !tls.vaultClientKey) throw new ConfigError('VAULT_CLIENT_CERT and VAULT_CLIENT_KEY must be set together');
  return tls;
}

/** The process environment, read here and nowhere else. */
export function readProcessEnv(): Env {
  return process.env;
}
