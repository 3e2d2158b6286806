import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConfigError } from '../config/index.js';
import { SecretCipher } from '../crypto/secret-cipher.service.js';

const CHECK_TEXT = 'strongroom key check';
const CHECK_AAD = { secretId: 'key-check', version: 0 };

/** The key ring cannot open what is stored: a configuration error (exit 78 at boot). */
export class KeyCheckFailedError extends ConfigError {}

/**
 * The boot-time key check. `key_checks` holds one row per key id that stored data is encrypted
 * under (seeded from existing versions, a row for the current key added at each boot, rows of
 * keys nothing uses any more removed by the key rewrap). A key id missing from the ring, or a key
 * that does not open its sealed record, stops the boot naming the key id, so a wrong
 * LOCAL_ENCRYPTION_KEY is not discovered as a 422 on every read.
 */
@Injectable()
export class KeyCheck {
  constructor(private readonly cipher: SecretCipher) {}

  async verify(tx: EntityManager): Promise<void> {
    const rows = (await tx.query('SELECT key_id, sealed FROM key_checks ORDER BY created_at, key_id')) as { key_id: string; sealed: string | null }[];
    const missing = rows.filter((r) => !this.cipher.ring.has(r.key_id)).map((r) => r.key_id);
    if (missing.length > 0) {
      throw new KeyCheckFailedError(
        `stored secrets are encrypted under key ${missing.join(', ')}, which is in neither LOCAL_ENCRYPTION_KEY nor LOCAL_ENCRYPTION_KEYS_PREVIOUS (wrong key?)`,
      );
    }
    for (const row of rows) {
      if (row.sealed === null) continue;
      let opened: string | undefined;
      try {
        opened = this.cipher.open(row.sealed, CHECK_AAD);
      } catch {
        /* reported below */
      }
      if (opened !== CHECK_TEXT || this.cipher.keyIdOf(row.sealed) !== row.key_id) {
        throw new KeyCheckFailedError(`key ${row.key_id} does not open its key-check record (wrong key material?)`);
      }
    }
    await this.recordCurrent(tx);
  }

  /** Makes sure the current key has its (sealed) row. */
  async recordCurrent(tx: EntityManager): Promise<void> {
    await tx.query(
      `INSERT INTO key_checks (key_id, sealed) VALUES ($1, $2)
       ON CONFLICT (key_id) DO UPDATE SET sealed = EXCLUDED.sealed WHERE key_checks.sealed IS NULL`,
      [this.cipher.currentKeyId, this.cipher.seal(CHECK_TEXT, CHECK_AAD)],
    );
  }

  /** After a rewrap: forgets keys that no stored version uses any more (they may leave the ring). */
  async forgetUnused(tx: EntityManager): Promise<void> {
    await this.recordCurrent(tx);
    await tx.query(
      `DELETE FROM key_checks k WHERE k.key_id <> $1 AND NOT EXISTS (
         SELECT 1 FROM secret_versions v WHERE v.state <> 'destroyed' AND (v.key_id = k.key_id OR v.fingerprint_key_id = k.key_id))`,
      [this.cipher.currentKeyId],
    );
  }
}
