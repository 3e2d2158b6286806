import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type RotatorConfig, SecretEntity } from './entities/secret.entity.js';
import { SecretVersions } from './secret-versions.service.js';

/** A secret as a backup describes it (field names as in the bundle, src/backups/backup-format.ts). */
export interface SecretSnapshot {
  id: string;
  name: string;
  secret_type: string;
  description: string | null;
  /** The current version. */
  version: number;
  tags: Record<string, string>;
  store: 'local' | 'vault';
  encrypt_locally: boolean;
  created_at: string;
  created_by: string;
  updated_at: string;
  expires_at: string | null;
  last_rotated_at: string | null;
  next_rotation_at: string | null;
  rotation_interval_days: number | null;
  rotation_status: string;
  rotator: Record<string, unknown> | null;
}

/** One version to restore, oldest first; `value` null: destroyed before the backup. */
export interface VersionSnapshot {
  version: number;
  state: string;
  created_at: string;
  created_by: string;
  destroyed_at: string | null;
  value: string | null;
}

const date = (s: string | null) => (s === null ? null : new Date(s));

/**
 * Writes a secret back from a backup (the backups module reads and decrypts the bundle; the rows
 * are this module's). Values go through the normal write path (SecretVersions.append: encrypted
 * under this deployment's key, into the secret's store); a destroyed version becomes a placeholder
 * written and destroyed at once, so version numbers (and the store's) stay as they were. Runs in
 * the caller's transaction.
 */
@Injectable()
export class SecretRestore {
  constructor(private readonly versions: SecretVersions) {}

  /** Writes the secret and its versions; returns the version number each write was given, in order. */
  async write(tx: EntityManager, s: SecretSnapshot, versions: VersionSnapshot[], options: { localOnly: boolean }): Promise<number[]> {
    const repo = tx.getRepository(SecretEntity);
    const secret = repo.create({
      id: s.id,
      name: s.name,
      secretType: s.secret_type,
      description: s.description,
      tags: s.tags,
      store: options.localOnly ? 'local' : s.store,
      encryptLocally: s.encrypt_locally,
      currentVersion: 1,
      currentStoreVersion: 1,
      createdAt: new Date(s.created_at),
      createdBy: s.created_by,
      updatedAt: new Date(s.updated_at),
      expiresAt: date(s.expires_at),
      lastRotatedAt: date(s.last_rotated_at),
      nextRotationAt: date(s.next_rotation_at),
      rotationIntervalDays: s.rotation_interval_days,
      rotationStatus: s.rotation_status as SecretEntity['rotationStatus'],
      rotator: s.rotator as RotatorConfig | null,
      deletedAt: null,
      deletedBy: null,
      purgeAfter: null,
    });
    await repo.insert(secret);
    const assigned: number[] = [];
    for (const v of versions) {
      const row =
        v.value === null
          ? await this.versions.append(tx, secret, randomBytes(24).toString('base64url'), v.created_by, 'current')
          : await this.versions.append(tx, secret, v.value, v.created_by, v.state === 'pending' ? 'pending' : 'current');
      if (v.value === null) await this.versions.destroy(tx, secret, [row]);
      assigned.push(row.version);
    }
    // The states, dates and authors as they were (the writes above made each version current in turn).
    await tx.query("UPDATE secret_versions SET state = 'deprecated' WHERE secret_id = $1 AND state <> 'destroyed'", [s.id]);
    for (const v of versions) {
      await tx.query('UPDATE secret_versions SET state = $3, created_at = $4, created_by = $5, destroyed_at = $6 WHERE secret_id = $1 AND version = $2', [
        s.id,
        v.version,
        v.value === null ? 'destroyed' : v.state,
        new Date(v.created_at),
        v.created_by,
        v.value === null ? new Date(v.destroyed_at ?? v.created_at) : null,
      ]);
    }
    await tx.query(
      `UPDATE secrets SET current_version = $2, updated_at = $3,
         current_store_version = (SELECT store_version FROM secret_versions WHERE secret_id = $1 AND version = $2)
       WHERE id = $1`,
      [s.id, s.version, new Date(s.updated_at)],
    );
    return assigned;
  }

  /**
   * A restored version read back through the read path (local payload or Vault), with the
   * fingerprint stored for it; null when the secret is missing. Pending Vault versions are not served.
   */
  async readBack(tx: EntityManager, secretId: string, version: number): Promise<{ value: string; storedFingerprint: string | null } | null> {
    const r = await this.versions.locate(tx, secretId, version);
    if (!r) return null;
    if (r.store !== 'local' && r.state === 'pending') throw new Error(`version ${version} of secret ${secretId}: pending Vault versions are not read back`);
    const payload = r.store === 'local' ? r.payload : null;
    const value =
      payload !== null ? this.versions.decode({ id: r.id, store: r.store, encryptLocally: r.encrypt_locally }, version, payload) : await this.versions.serve(tx, r, version);
    const [fp] = (await tx.query('SELECT fingerprint FROM secret_versions WHERE secret_id = $1 AND version = $2', [secretId, version])) as { fingerprint: string }[];
    return { value, storedFingerprint: fp?.fingerprint ?? null };
  }

  /** Live secrets in this database (a restore goes into an empty one). */
  async count(tx: EntityManager): Promise<number> {
    const [{ n }] = (await tx.query('SELECT count(*)::int AS n FROM secrets')) as [{ n: number }];
    return n;
  }
}
