import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * current: served by default; previous: the one before, still readable (grace period);
 * retired: a previous version whose grace period ended or whose consumers all moved on (history;
 * readers get 410, an admin may still read it by explicit version);
 * deprecated: older, readable by explicit version; pending: staged by a rotation, not yet served;
 * destroyed: payload irrecoverably removed.
 */
export type VersionState = 'current' | 'previous' | 'retired' | 'deprecated' | 'pending' | 'destroyed';

/** Metadata of one version of a secret (both stores). The payload is in the store. */
@Entity('secret_versions')
@Index('secret_versions_one_current', ['secretId'], { unique: true, where: "state = 'current'" })
@Index('secret_versions_one_pending', ['secretId'], { unique: true, where: "state = 'pending'" })
// The retirement loop looks for previous versions every minute on each replica.
@Index('secret_versions_previous', ['secretId'], { where: "state = 'previous'" })
export class SecretVersionEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  secretId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 12 })
  state: VersionState;

  @Column({ type: 'integer' })
  storeVersion: number;

  /** Key id of the envelope's key-encryption key; null when stored without local encryption. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  keyId: string | null;

  /** Keyed HMAC-SHA256 of the value, for integrity checks. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  @Column({ type: 'varchar', length: 40 })
  fingerprintKeyId: string;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 256 })
  createdBy: string;

  @Column({ type: 'timestamptz', nullable: true })
  destroyedAt: Date | null;
}
