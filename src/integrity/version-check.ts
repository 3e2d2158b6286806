import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import { StoreNotFoundError, StoreUnavailableError } from '../secrets/store/secret-store.port.js';
import type { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import type { IntegrityProblem } from './entities/integrity-failure.entity.js';

/** What checking one version found; `null` problem means the version is sound. */
export interface VersionVerdict {
  version: number;
  problem: IntegrityProblem | null;
  detail: string;
}

/** The operations a version check needs, so the rules below stay plain and testable. */
export interface VersionCheckPorts {
  readPayload(secret: SecretEntity, row: SecretVersionEntity): Promise<string>;
  keyKnown(keyId: string): boolean;
  decode(secret: SecretEntity, row: SecretVersionEntity, payload: string): string;
  fingerprintMatches(row: SecretVersionEntity, plaintext: string): boolean;
}

/**
 * One version is sound when: its payload is in the store, its key id is in the key ring, it
 * decrypts (the GCM tag holds for its own secret id and version), and its keyed fingerprint
 * matches the value. The first failing rule is reported; messages never contain a value.
 */
export async function checkVersion(secret: SecretEntity, row: SecretVersionEntity, ports: VersionCheckPorts): Promise<VersionVerdict> {
  const verdict = (problem: IntegrityProblem | null, detail: string): VersionVerdict => ({ version: row.version, problem, detail });
  let payload: string;
  try {
    payload = await ports.readPayload(secret, row);
  } catch (e) {
    if (e instanceof StoreNotFoundError) return verdict('payload_missing', `the store has no payload for version ${row.version}`);
    if (e instanceof StoreUnavailableError) return verdict('store_unreachable', (e.message ?? 'unreachable').slice(0, 300));
    // Anything else (a database timeout, a dropped connection) means "could not check", not a
    // finding: the item fails this attempt and is retried, or ends as an unchecked item.
    throw e;
  }
  if (row.keyId && !ports.keyKnown(row.keyId)) return verdict('unknown_key', `key ${row.keyId} is not in the key ring`);
  if (!ports.keyKnown(row.fingerprintKeyId)) return verdict('unknown_key', `fingerprint key ${row.fingerprintKeyId} is not in the key ring`);
  let plaintext: string;
  try {
    plaintext = ports.decode(secret, row, payload);
  } catch {
    return verdict('decrypt_failed', `version ${row.version} does not decrypt (ciphertext altered, swapped or wrong key)`);
  }
  if (!ports.fingerprintMatches(row, plaintext)) {
    return verdict('fingerprint_mismatch', `version ${row.version} does not match its recorded fingerprint`);
  }
  return verdict(null, 'ok');
}
