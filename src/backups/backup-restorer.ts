import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { SecretCipher } from '../crypto/secret-cipher.service.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { type RotatorConfig, SecretEntity } from '../secrets/entities/secret.entity.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { BundleError, type BundleSecret, KEY_CHECK_TEXT, readBundle, ValueOpener } from './backup-format.js';

export interface RestoreOptions {
  /**
   * Every secret into the local store, whatever its store in the bundle: the restore drill
   * writes to a scratch database and must never write into the live Vault.
   */
  localOnly?: boolean;
}

export interface RestoreReport {
  id: string;
  secrets: number;
  versions: number;
  values: number;
  destroyed: number;
}

const date = (s: string | null) => (s === null ? null : new Date(s));

/**
 * Restores a verified bundle into an empty database, in one transaction: each value is opened
 * with the age identity and written through the normal write path (SecretVersions.append:
 * encrypted under this deployment's LOCAL_ENCRYPTION_KEY, into the secret's store), then read
 * back through the read path and checked against the bundle and its stored fingerprint. Any
 * failure rolls everything back.
 */
@Injectable()
export class BackupRestorer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly versions: SecretVersions,
    private readonly cipher: SecretCipher,
  ) {}

  async restore(path: string, identities: string[], trusted?: KeyObject, options: RestoreOptions = {}): Promise<RestoreReport> {
    // First pass: checksum and signature, nothing written.
    const checked = await readBundle(path, { trusted });
    const opener = new ValueOpener(identities);
    let keyCheck: string | undefined;
    try {
      keyCheck = await opener.open(checked.header.key_check);
    } catch {
      /* reported below */
    }
    if (keyCheck !== KEY_CHECK_TEXT) {
      throw new BundleError(`the identity does not open this bundle (wrong key?): it is encrypted to ${checked.header.recipients.join(', ')}`);
    }
    const [{ n }] = (await this.dataSource.query('SELECT count(*)::int AS n FROM secrets')) as [{ n: number }];
    if (n > 0) throw new BundleError(`the target database is not empty (${n} secrets): restore only into an empty database`);

    const report: RestoreReport = { id: checked.header.id, secrets: 0, versions: 0, values: 0, destroyed: 0 };
    await this.uow.run(async (tx) => {
      // Second pass writes; it checks the checksum again at its end, so a file changed between
      // the passes rolls the restore back.
      const again = await readBundle(path, { trusted, onSecret: (s) => this.restoreSecret(tx, s, opener, report, options) });
      if (again.trailer.sha256 !== checked.trailer.sha256) throw new BundleError('the bundle changed while it was being restored');
    });
    return report;
  }

  private async restoreSecret(tx: EntityManager, rec: BundleSecret, opener: ValueOpener, report: RestoreReport, options: RestoreOptions): Promise<void> {
    const s = rec.secret;
    const local = options.localOnly === true;
    const repo = tx.getRepository(SecretEntity);
    const secret = repo.create({
      id: s.id,
      name: s.name,
      secretType: s.secret_type,
      description: s.description,
      tags: s.tags,
      store: local ? 'local' : s.store,
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
    const plain = new Map<number, string>();
    const ordered = [...rec.versions].sort((a, b) => a.version - b.version);
    for (const v of ordered) {
      let row;
      if (v.value === null) {
        // Destroyed before the backup: a placeholder written and destroyed at once keeps the
        // version numbers (and the store's) as they were.
        row = await this.versions.append(tx, secret, randomBytes(24).toString('base64url'), v.created_by, 'current');
        await this.versions.destroy(tx, secret, [row]);
        report.destroyed++;
      } else {
        let value: string;
        try {
          value = await opener.open(v.value);
        } catch {
          throw new BundleError(`version ${v.version} of secret ${s.id} does not decrypt with the identity`);
        }
        row = await this.versions.append(tx, secret, value, v.created_by, v.state === 'pending' ? 'pending' : 'current');
        plain.set(v.version, value);
        report.values++;
      }
      if (row.version !== v.version) throw new BundleError(`secret ${s.id}: versions in the bundle are not contiguous (expected ${row.version}, found ${v.version})`);
      report.versions++;
    }
    // The states, dates and authors as they were (the writes above made each version current in turn).
    await tx.query("UPDATE secret_versions SET state = 'deprecated' WHERE secret_id = $1 AND state <> 'destroyed'", [s.id]);
    for (const v of ordered) {
      const state = v.value === null ? 'destroyed' : v.state;
      await tx.query('UPDATE secret_versions SET state = $3, created_at = $4, created_by = $5, destroyed_at = $6 WHERE secret_id = $1 AND version = $2', [
        s.id,
        v.version,
        state,
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
    // Read back through the read path: every value decrypts to what the bundle holds, and its
    // stored fingerprint is the fingerprint of that value.
    for (const [version, value] of plain) {
      const r = await this.versions.locate(tx, s.id, version);
      const payload = r?.store === 'local' ? r.payload : null;
      const back = r && payload !== null ? this.versions.decode({ id: r.id, store: r.store, encryptLocally: r.encrypt_locally }, version, payload) : await this.readVault(tx, s.id, version);
      const [fp] = (await tx.query('SELECT fingerprint FROM secret_versions WHERE secret_id = $1 AND version = $2', [s.id, version])) as { fingerprint: string }[];
      if (back !== value || fp?.fingerprint !== this.cipher.fingerprint(value, { secretId: s.id, version }).fingerprint) {
        throw new BundleError(`version ${version} of secret ${s.id} does not read back as restored (fingerprint mismatch)`);
      }
    }
    report.secrets++;
  }

  private async readVault(tx: EntityManager, secretId: string, version: number): Promise<string> {
    const r = await this.versions.locate(tx, secretId, version);
    if (!r) throw new BundleError(`secret ${secretId} is missing after its restore`);
    if (r.state === 'pending') throw new BundleError(`version ${version} of secret ${secretId}: pending Vault versions are not read back`);
    return this.versions.serve(tx, r, version);
  }
}
