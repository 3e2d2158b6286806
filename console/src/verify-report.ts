/**
 * Checks a stored report's signature in the browser, as `npm run report:verify` does: SHA-256 of
 * the canonical JSON (keys sorted, no whitespace, everything but `integrity`), and the Ed25519
 * signature with the audit signing key from GET /api/v1/audit/public-key.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
    .join(',')}}`;
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

export async function importPublicKey(pem: string): Promise<CryptoKey> {
  const der = fromBase64(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  return crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
}

export interface Verdict {
  valid: boolean;
  reason: string;
}

export async function verifyReportDocument(doc: Record<string, unknown>, key: CryptoKey, keyId: string): Promise<Verdict> {
  const { integrity, ...signed } = doc as { integrity?: { sha256?: string; signature?: string; key_id?: string } };
  if (!integrity?.sha256 || !integrity.signature) return { valid: false, reason: 'no integrity block' };
  if (integrity.key_id !== keyId) return { valid: false, reason: `signed by another key (${integrity.key_id ?? '?'})` };
  const bytes = new TextEncoder().encode(canonicalJson(signed));
  const digest = hex(await crypto.subtle.digest('SHA-256', bytes));
  if (digest !== integrity.sha256) return { valid: false, reason: 'content does not match its digest' };
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, fromBase64(integrity.signature), bytes);
  return ok ? { valid: true, reason: 'signature valid' } : { valid: false, reason: 'signature does not match' };
}
