import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalAad, type SecretAad } from './aad.js';
import { EnvelopeError } from './crypto.errors.js';
import { decodeBase64Url } from './encoding.js';
import { KEY_BYTES, type KeyRing } from './key-ring.js';

/*
 * sr1.<keyId>.<wrapIv>.<wrappedDek>.<wrapTag>.<iv>.<ciphertext>.<tag>   (binary parts: base64url)
 *
 * The value is encrypted with a fresh data key (DEK) under AES-256-GCM, its AAD binding the
 * secret id and version. The DEK is wrapped by the ring's key `keyId` under AES-256-GCM, its AAD
 * binding the key id. Re-keying therefore only replaces the first four parts.
 */

const FORMAT = 'sr1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^k_[0-9a-f]{16}$/;

interface Envelope {
  keyId: string;
  wrapIv: Buffer;
  wrappedDek: Buffer;
  wrapTag: Buffer;
  /** The value parts (iv, ciphertext, tag) exactly as they appear in the envelope text. */
  valueText: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const wrapAad = (keyId: string) => Buffer.from(`strongroom:dek:v1:${keyId}`, 'utf8');
const b64url = (bytes: Buffer) => bytes.toString('base64url');

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES }).setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Throws `EnvelopeError('authentication_failed')` for a wrong key, AAD, or any altered byte. */
function gcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer, what: string) {
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad).setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new EnvelopeError('authentication_failed', `${what} failed authentication`);
  }
}

function parse(text: string): Envelope | null {
  if (typeof text !== 'string') return null;
  const parts = text.split('.');
  if (parts.length !== 8 || parts[0] !== FORMAT || !KEY_ID.test(parts[1]!)) return null;
  const [wrapIv, wrappedDek, wrapTag, iv, ciphertext, tag] = parts.slice(2).map(decodeBase64Url);
  if (
    wrapIv?.length !== IV_BYTES ||
    wrappedDek?.length !== KEY_BYTES ||
    wrapTag?.length !== TAG_BYTES ||
    iv?.length !== IV_BYTES ||
    !ciphertext ||
    tag?.length !== TAG_BYTES
  ) {
    return null;
  }
  const valueText = parts.slice(5).join('.');
  return { keyId: parts[1]!, wrapIv, wrappedDek, wrapTag, valueText, iv, ciphertext, tag };
}

function parseOrThrow(text: string): Envelope {
  const envelope = parse(text);
  if (!envelope) throw new EnvelopeError('malformed', 'not a well-formed sr1 envelope');
  return envelope;
}

function wrapDek(ring: KeyRing, dek: Buffer): string {
  const keyId = ring.currentKeyId;
  const wrap = gcmEncrypt(ring.kek(keyId), dek, wrapAad(keyId));
  return [FORMAT, keyId, b64url(wrap.iv), b64url(wrap.ciphertext), b64url(wrap.tag)].join('.');
}

function unwrapDek(ring: KeyRing, envelope: Envelope): Buffer {
  const { keyId, wrapIv, wrappedDek, wrapTag } = envelope;
  return gcmDecrypt(ring.kek(keyId), wrapIv, wrappedDek, wrapTag, wrapAad(keyId), 'data key');
}

/** Encrypts `plaintext` for one version of one secret under a fresh data key. */
export function seal(ring: KeyRing, plaintext: string, aad: SecretAad): string {
  const boundTo = Buffer.from(canonicalAad(aad), 'utf8');
  const dek = randomBytes(KEY_BYTES);
  try {
    const value = gcmEncrypt(dek, Buffer.from(plaintext, 'utf8'), boundTo);
    return [wrapDek(ring, dek), b64url(value.iv), b64url(value.ciphertext), b64url(value.tag)].join('.');
  } finally {
    dek.fill(0);
  }
}

/**
 * Decrypts an envelope made by `seal` for the same secret id and version. Throws
 * `EnvelopeError` (reason `malformed`, `unknown_key` as `UnknownKeyError`, or
 * `authentication_failed`).
 */
export function open(ring: KeyRing, envelope: string, aad: SecretAad): string {
  const parsed = parseOrThrow(envelope);
  const boundTo = Buffer.from(canonicalAad(aad), 'utf8');
  const dek = unwrapDek(ring, parsed);
  try {
    return gcmDecrypt(dek, parsed.iv, parsed.ciphertext, parsed.tag, boundTo, 'value').toString('utf8');
  } finally {
    dek.fill(0);
  }
}

/**
 * Re-wraps the data key under the ring's current key. The value parts (iv, ciphertext, tag) are
 * copied verbatim, so neither the plaintext nor the secret id/version is needed. An envelope
 * already under the current key is returned unchanged.
 */
export function rewrap(ring: KeyRing, envelope: string): string {
  const parsed = parseOrThrow(envelope);
  if (parsed.keyId === ring.currentKeyId) return envelope;
  const dek = unwrapDek(ring, parsed);
  try {
    return `${wrapDek(ring, dek)}.${parsed.valueText}`;
  } finally {
    dek.fill(0);
  }
}

/** The key id of a well-formed envelope, or null for anything else (e.g. a value stored in clear). */
export function envelopeKeyId(text: string): string | null {
  return parse(text)?.keyId ?? null;
}

export function isEnvelope(text: string): boolean {
  return parse(text) !== null;
}
