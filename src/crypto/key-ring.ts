import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnknownKeyError } from './crypto.errors.js';
import { decodeBase64 } from './encoding.js';

export const KEY_BYTES = 32;

export interface KeyRingKeys {
  /** The key new envelopes are wrapped with. */
  current: Buffer;
  /** Older keys, kept so envelopes (and fingerprints) made with them stay readable. */
  previous: Buffer[];
}

/** `'k_' + 16 hex chars of HMAC-SHA256(key, 'strongroom-key-id')`: stable, and reveals nothing. */
function deriveKeyId(key: Buffer): string {
  return 'k_' + createHmac('sha256', key).update('strongroom-key-id').digest('hex').slice(0, 16);
}

function checkKey(key: unknown, label: string): Buffer {
  if (!Buffer.isBuffer(key)) throw new Error(`KeyRing: ${label} must be a Buffer`);
  if (key.length !== KEY_BYTES) {
    throw new Error(`KeyRing: ${label} must be exactly ${KEY_BYTES} bytes (got ${key.length})`);
  }
  return Buffer.from(key); // own copy: a caller zeroing or reusing its buffer cannot change the ring
}

/**
 * Versioned key-encryption keys (KEKs). Each key is known by an id derived from the key itself,
 * so every replica and every restart agrees on it without storing anything. The keys live in a
 * private field, out of reach of `util.inspect`, `JSON.stringify` and loggers.
 */
export class KeyRing {
  readonly currentKeyId: string;
  readonly #keys = new Map<string, Buffer>();

  constructor(keys: KeyRingKeys) {
    this.currentKeyId = this.#add(checkKey(keys.current, 'current key'));
    keys.previous.forEach((key, i) => this.#add(checkKey(key, `previous key #${i + 1}`)));
  }

  /** Key ids known to this ring, current first. */
  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /**
   * The key-encryption key with this id, for the envelope and fingerprint code of this folder
   * only. Throws `UnknownKeyError` for an id that is not in the ring.
   */
  kek(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (!key) throw new UnknownKeyError(keyId);
    return key;
  }

  /**
   * Decodes a 32-byte key given as base64 (standard or URL-safe, padding optional, surrounding
   * whitespace ignored). Errors name `name` (e.g. the environment variable) and what is wrong,
   * never the text itself.
   */
  static parseBase64Key(text: string, name: string): Buffer {
    const trimmed = typeof text === 'string' ? text.trim() : '';
    if (trimmed === '') throw new Error(`${name} is empty: expected base64 of ${KEY_BYTES} bytes`);
    const bytes = decodeBase64(trimmed);
    if (!bytes) throw new Error(`${name} is not valid base64: expected base64 of ${KEY_BYTES} bytes`);
    if (bytes.length !== KEY_BYTES) {
      throw new Error(`${name} must decode to exactly ${KEY_BYTES} bytes (got ${bytes.length})`);
    }
    return bytes;
  }

  #add(key: Buffer): string {
    const id = deriveKeyId(key);
    const known = this.#keys.get(id);
    if (known && !timingSafeEqual(known, key)) {
      throw new Error(`KeyRing: two different keys share the key id ${id}`);
    }
    if (!known) this.#keys.set(id, key); // the same key listed twice (e.g. current also in previous)
    return id;
  }
}
