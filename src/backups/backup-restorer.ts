import { Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { SecretCipher } from '../crypto/secret-cipher.service.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { SecretRestore, type VersionSnapshot } from '../secrets/secret-restore.js';
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

/**
 * Restores a verified bundle into an empty database, in one transaction: each value is opened
 * with the age identity and handed to the secrets module (SecretRestore: the normal write path,
 * encrypted under this deployment's LOCAL_ENCRYPTION_KEY, into the secret's store), then read
 * back through the read path and checked against the bundle and its stored fingerprint. Any
 * failure rolls everything back.
 */
@Injectable()
export class BackupRestorer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly secrets: SecretRestore,
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
    const n = await this.secrets.count(this.dataSource.manager);
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
    const ordered = [...rec.versions].sort((a, b) => a.version - b.version);
    const opened: VersionSnapshot[] = [];
    for (const v of ordered) {
      let value: string | null = null;
      if (v.value !== null) {
        try {
          value = await opener.open(v.value);
        } catch {
          throw new BundleError(`version ${v.version} of secret ${s.id} does not decrypt with the identity`);
        }
      }
      opened.push({ version: v.version, state: v.state, created_at: v.created_at, created_by: v.created_by, destroyed_at: v.destroyed_at, value });
    }
    const assigned = await this.secrets.write(tx, s, opened, { localOnly: options.localOnly === true });
    for (const [i, v] of opened.entries()) {
      if (assigned[i] !== v.version) throw new BundleError(`secret ${s.id}: versions in the bundle are not contiguous (expected ${assigned[i]}, found ${v.version})`);
      report.versions++;
      if (v.value === null) report.destroyed++;
      else report.values++;
    }
    // Read back through the read path: every value decrypts to what the bundle holds, and its
    // stored fingerprint is the fingerprint of that value.
    for (const v of opened) {
      if (v.value === null) continue;
      let back: Awaited<ReturnType<SecretRestore['readBack']>>;
      try {
        back = await this.secrets.readBack(tx, s.id, v.version);
      } catch (e) {
        throw new BundleError((e as Error).message);
      }
      if (!back) throw new BundleError(`secret ${s.id} is missing after its restore`);
      if (back.value !== v.value || back.storedFingerprint !== this.cipher.fingerprint(v.value, { secretId: s.id, version: v.version }).fingerprint) {
        throw new BundleError(`version ${v.version} of secret ${s.id} does not read back as restored (fingerprint mismatch)`);
      }
    }
    report.secrets++;
  }
}
