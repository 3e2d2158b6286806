import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SslMode } from '../ssl-modes.js';

/** Rotation state of a secret, following its latest rotation record. */
export type RotationStatus = 'none' | 'pending' | 'in_progress' | 'completed' | 'failed' | 'rotation_due';

/** Settings for a rotator that applies new values at a target (see src/rotation/README.md). */
export type PostgresRoleRotatorConfig = {
  kind: 'postgres_role';
  host: string;
  port: number;
  database: string;
  role: string;
  admin_secret_id: string;
  /** Absent: `prefer` (see src/rotation/rotator-target.ts). */
  sslmode?: SslMode;
  /** PEM of the CA for verify-full; absent: the system CAs. */
  ssl_ca?: string | null;
};

/** A generic target reached by four signed HTTPS calls (create, set, test, finish). */
export type HttpRotatorConfig = {
  kind: 'http';
  /** https only: set and test carry the new value. */
  url: string;
  /** A WEBHOOK_SECRET secret: the HMAC key the calls are signed with. */
  admin_secret_id: string;
  /** PEM of the CA that signs the target's certificate; absent: the system CAs. */
  ssl_ca?: string | null;
};

/** A MySQL / MariaDB account (`ALTER USER`). */
export type MysqlUserRotatorConfig = {
  kind: 'mysql_user';
  host: string;
  port: number;
  /** The account whose password this secret holds. */
  user: string;
  /** The account's host part; absent: `%`. */
  user_host?: string;
  admin_secret_id: string;
  sslmode?: SslMode;
  ssl_ca?: string | null;
};

/** A Redis ACL user (`ACL SETUSER`). */
export type RedisAclRotatorConfig = {
  kind: 'redis_acl';
  host: string;
  port: number;
  user: string;
  admin_secret_id: string;
  /** Absent: verify-full; `disable` must be chosen explicitly (AUTH sends the password as it is). */
  sslmode?: SslMode;
  ssl_ca?: string | null;
};

/**
 * A locally generated Ed25519 key pair (OpenSSH format). With `publish_url` the public key is
 * published through the http rotator's signed calls (set, test, finish), signed with the
 * WEBHOOK_SECRET `admin_secret_id`; without it there is no target and no admin credential.
 */
export type SshKeyRotatorConfig = {
  kind: 'ssh_key';
  publish_url?: string;
  admin_secret_id?: string;
  ssl_ca?: string | null;
};

/** A certificate issued by a CA whose cert+key PEM is the TLS_CERTIFICATE secret `admin_secret_id`. */
export type InternalCaRotatorConfig = {
  kind: 'internal_ca';
  admin_secret_id: string;
  /** Lifetime of each issued certificate; absent: 90. */
  validity_days?: number;
  /** Renewal is due once this fraction of the certificate's lifetime has passed; absent: 0.66. */
  renew_at_fraction?: number;
};

/**
 * An OAuth 2 token from a token endpoint: `oauth_client_credentials` asks for a new access token
 * (client credentials grant), `oauth_refresh_token` trades the current refresh token for a new
 * access + refresh token pair. The client secret is the API_KEY secret `admin_secret_id`.
 */
export type OAuthRotatorConfig = {
  kind: 'oauth_client_credentials' | 'oauth_refresh_token';
  /** https only: the client secret is sent there. */
  token_url: string;
  client_id: string;
  admin_secret_id: string;
  /** Space-separated scopes asked for; absent: the client's (or the refresh token's) own. */
  scope?: string;
  /** RFC 7662 introspection endpoint (https) the new access token is verified at; absent: not verified remotely. */
  introspection_url?: string;
  /** The token is renewed once this fraction of its lifetime (expires_in) has passed; absent: 0.66. */
  renew_at_fraction?: number;
  ssl_ca?: string | null;
};

export type RotatorConfig =
  | PostgresRoleRotatorConfig
  | OAuthRotatorConfig
  | HttpRotatorConfig
  | MysqlUserRotatorConfig
  | RedisAclRotatorConfig
  | SshKeyRotatorConfig
  | InternalCaRotatorConfig;

/** A secret's metadata. Its value lives only in the secret store, as versions. */
@Entity('secrets')
@Index('secrets_live_name_key', ['name'], { unique: true, where: 'deleted_at IS NULL' })
@Index('secrets_page_idx', ['createdAt', 'id'])
@Index('secrets_next_rotation_idx', ['nextRotationAt'], { where: 'deleted_at IS NULL' })
export class SecretEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'varchar', length: 32 })
  secretType: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: {} })
  tags: Record<string, string>;

  @Column({ type: 'varchar', length: 8 })
  store: 'local' | 'vault';

  @Column({ type: 'boolean' })
  encryptLocally: boolean;

  @Column({ type: 'integer' })
  currentVersion: number;

  /** The store's own version number of the current version (Vault's KV version). */
  @Column({ type: 'integer' })
  currentStoreVersion: number;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 256 })
  createdBy: string;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastRotatedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  nextRotationAt: Date | null;

  @Column({ type: 'integer', nullable: true })
  rotationIntervalDays: number | null;

  /** How long the previous version stays readable after a rotation; null: ROTATION_GRACE_PERIOD_HOURS. */
  @Column({ type: 'integer', nullable: true })
  gracePeriodHours: number | null;

  /** When the current `previous` version is retired at the latest (set when a version is demoted to previous). */
  @Column({ type: 'timestamptz', nullable: true })
  previousRetireAt: Date | null;

  @Column({ type: 'varchar', length: 16, default: 'none' })
  rotationStatus: RotationStatus;

  @Column({ type: 'jsonb', nullable: true })
  rotator: RotatorConfig | null;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  deletedBy: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  purgeAfter: Date | null;
}
