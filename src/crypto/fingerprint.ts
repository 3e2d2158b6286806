import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { canonicalAad, type SecretAad } from './aad.js';
import type { KeyRing } from './key-ring.js';

/**
 * Keyed fingerprints of secret values, for integrity checks without decrypting twice and
 * without a plain hash (which would let anyone holding the table test guesses offline).
 *
 * fingerprint = hex HMAC-SHA256(HKDF-SHA256(kek, info 'strongroom-fingerprint-v1'),
 *                               u32be(len(aad)) ‖ aad ‖ utf8(plaintext))
 * The length prefix keeps (aad, plaintext) pairs from running into each other.
 */
const INFO = 'strongroom-fingerprint-v1';

/** Derived once per ring and key id (HKDF per call was a visible share of a write's CPU). */
const derived = new WeakMap<KeyRing, Map<string, Buffer>>();

function fingerprintKey(ring: KeyRing, keyId: string): Buffer {
  let keys = derived.get(ring);
  if (!keys) derived.set(ring, (keys = new Map()));
  let key = keys.get(keyId);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', ring.kek(keyId), Buffer.alloc(0), INFO, 32));
    keys.set(keyId, key);
  }
  return key;
}

export function fingerprint(ring: KeyRing, keyId: string, plaintext: string, aad: SecretAad): string {
  const boundTo = Buffer.from(canonicalAad(aad), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(boundTo.length);
  return createHmac('sha256', fingerprintKey(ring, keyId))
    .update(length)
    .update(boundTo)
    .update(plaintext, 'utf8')
    .digest('hex');
}

/** Constant-time comparison against a stored fingerprint. Throws `UnknownKeyError` for an unknown key id. */
export function verifyFingerprint(
  ring: KeyRing,
  keyId: string,
  plaintext: string,
  aad: SecretAad,
  expected: string,
): boolean {
  const actual = Buffer.from(fingerprint(ring, keyId, plaintext, aad), 'utf8');
  const given = Buffer.from(expected, 'utf8');
  return actual.length === given.length && timingSafeEqual(actual, given);
}
