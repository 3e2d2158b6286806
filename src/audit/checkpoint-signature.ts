import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { checkpointStatement } from './audit-chain.js';

/**
 * Ed25519 signatures over checkpoint statements, as pure functions shared by the service and the
 * offline verifier (`npm run audit:verify`), so both accept exactly the same checkpoints.
 */
export interface CheckpointFields {
  kind: 'periodic' | 'prune';
  /** ISO 8601, millisecond precision, UTC: exactly as stored and signed. */
  created_at: string;
  head_seq: string;
  head_hash: string;
  first_seq: string | null;
  first_prev_hash: string | null;
}

export interface SignedCheckpoint extends CheckpointFields {
  id: string;
  key_id: string;
  /** base64 */
  signature: string;
}

/** `ed25519:` and the first 128 bits of SHA-256 over the SPKI DER of the public key (40 chars). */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `ed25519:${createHash('sha256').update(der).digest('hex').slice(0, 32)}`;
}

export function privateKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be an Ed25519 key');
  return key;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Reads an Ed25519 public key given as PEM text, base64 of that PEM, base64 of the SPKI DER (the
 * PEM's body) or base64 of the raw 32-byte key. Throws on anything else.
 */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.includes('-----BEGIN')) {
    key = createPublicKey(trimmed.replace(/\\n/g, '\n'));
  } else {
    if (!/^[A-Za-z0-9+/_=\s-]+$/.test(trimmed)) throw new Error('not a PEM, nor base64');
    const bytes = Buffer.from(trimmed.replace(/\s+/g, ''), trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    const asText = bytes.toString('utf8');
    if (asText.includes('-----BEGIN')) key = createPublicKey(asText);
    else if (bytes.length === 32) key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
    else key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  }
  if (key.type !== 'public') key = createPublicKey(key);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

function statementOf(cp: CheckpointFields): Buffer {
  return Buffer.from(
    checkpointStatement({
      kind: cp.kind,
      created_at: cp.created_at,
      head_seq: cp.head_seq,
      head_hash: cp.head_hash,
      first_seq: cp.first_seq,
      first_prev_hash: cp.first_prev_hash,
    }),
  );
}

export function signCheckpoint(privateKey: KeyObject, cp: CheckpointFields): string {
  return sign(null, statementOf(cp), privateKey).toString('base64');
}

export function checkpointSignatureValid(publicKey: KeyObject, cp: CheckpointFields & { signature: string }): boolean {
  try {
    return verify(null, statementOf(cp), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}
