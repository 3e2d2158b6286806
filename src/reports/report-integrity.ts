import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { keyIdOf } from '../audit/checkpoint-signature.js';
import { canonicalReportJson, type ReportDocument, type ReportIntegrity } from './render/index.js';

/**
 * Report integrity as pure functions, shared by the service (sealing) and the offline verifier
 * (`npm run report:verify`): SHA-256 (hex) and Ed25519 signature (base64) over the canonical JSON
 * of the whole document except its `integrity` member.
 */

/** The key id of the audit signing key, as on audit checkpoints: `ed25519:` + 32 hex digits. */
export const reportKeyId = (publicKey: KeyObject): string => keyIdOf(publicKey);

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The document with its integrity block filled in. */
export function sealReport<T extends ReportDocument>(doc: Omit<T, 'integrity'>, privateKey: KeyObject, keyId: string): T {
  const unsigned = { ...doc, integrity: { sha256: '', signature: '', key_id: keyId } } as unknown as T;
  const canonical = Buffer.from(canonicalReportJson(unsigned), 'utf8');
  const integrity: ReportIntegrity = {
    sha256: createHash('sha256').update(canonical).digest('hex'),
    signature: sign(null, canonical, privateKey).toString('base64'),
    key_id: keyId,
  };
  return { ...unsigned, integrity };
}

export interface ReportVerification {
  valid: boolean;
  /** Why not, one line each (empty when valid). */
  problems: string[];
  report_id: string | null;
  kind: string | null;
  sha256: string | null;
  key_id: string | null;
}

/** Checks a parsed report against `publicKey`: digest, signature and key id must all match. */
export function verifyReport(doc: unknown, publicKey: KeyObject): ReportVerification {
  const problems: string[] = [];
  const record = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  const integrity = record?.integrity as Partial<ReportIntegrity> | undefined;
  const result = (valid: boolean): ReportVerification => ({
    valid,
    problems,
    report_id: typeof record?.id === 'string' ? record.id : null,
    kind: typeof record?.kind === 'string' ? record.kind : null,
    sha256: typeof integrity?.sha256 === 'string' ? integrity.sha256 : null,
    key_id: typeof integrity?.key_id === 'string' ? integrity.key_id : null,
  });
  if (!record) {
    problems.push('not a JSON object');
    return result(false);
  }
  if (!integrity || typeof integrity !== 'object' || typeof integrity.sha256 !== 'string' || typeof integrity.signature !== 'string') {
    problems.push('no integrity block (sha256, signature, key_id)');
    return result(false);
  }
  let canonical: Buffer;
  try {
    canonical = Buffer.from(canonicalReportJson(record as unknown as ReportDocument), 'utf8');
  } catch (e) {
    problems.push(`the document has no canonical form: ${(e as Error).message}`);
    return result(false);
  }
  const digest = createHash('sha256').update(canonical).digest('hex');
  if (digest !== integrity.sha256.toLowerCase()) {
    problems.push(`SHA-256 mismatch: the content hashes to ${digest}, the report says ${integrity.sha256}`);
  }
  const keyId = reportKeyId(publicKey);
  if (integrity.key_id !== keyId) {
    problems.push(`signed with key ${String(integrity.key_id)}, but the key given is ${keyId}`);
  }
  let signatureOk = false;
  try {
    signatureOk = verify(null, canonical, publicKey, Buffer.from(integrity.signature, 'base64'));
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) problems.push('the Ed25519 signature does not verify with this key over the content');
  return result(problems.length === 0);
}

/**
 * An Ed25519 public key from the forms people have at hand: a PEM public key (SPKI), a PEM private
 * key (PKCS#8; its public half is used), base64 of either PEM, base64 of the SPKI DER, or the raw
 * 32-byte key in base64, base64url or hex.
 */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.includes('-----BEGIN')) {
    const pem = trimmed.replace(/\\n/g, '\n');
    key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } else {
    if (!/^[A-Za-z0-9+/=_\s-]+$/.test(trimmed)) throw new Error('not a PEM, hex or base64 key');
    const compact = trimmed.replace(/\s+/g, '');
    const bytes = /^[0-9a-fA-F]{64}$/.test(compact)
      ? Buffer.from(compact, 'hex')
      : Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
    const asText = bytes.toString('utf8');
    if (asText.includes('-----BEGIN')) return parsePublicKey(asText);
    key =
      bytes.length === 32
        ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' })
        : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${String(key.asymmetricKeyType)})`);
  return key;
}
