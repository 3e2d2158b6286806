import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalReportJson, renderJson } from './render/index.js';
import { sampleReportDocument } from './render/sample-report.js';
import { parsePublicKey, reportKeyId, sealReport, sha256Hex, verifyReport } from './report-integrity.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyId = reportKeyId(publicKey);
const sealed = sealReport(sampleReportDocument(), privateKey, keyId);

describe('report integrity', () => {
  it('seals with the digest of the canonical JSON, an Ed25519 signature and the key id', () => {
    expect(sealed.integrity.sha256).toBe(sha256Hex(canonicalReportJson(sealed)));
    expect(sealed.integrity.key_id).toMatch(/^ed25519:[0-9a-f]{32}$/);
    expect(Buffer.from(sealed.integrity.signature, 'base64')).toHaveLength(64);
    expect(Object.keys(sealed).indexOf('integrity')).toBe(Object.keys(sampleReportDocument()).indexOf('integrity'));
  });

  it('verifies a downloaded (pretty, re-parsed) copy', () => {
    const downloaded = JSON.parse(renderJson(sealed));
    expect(verifyReport(downloaded, publicKey)).toMatchObject({ valid: true, problems: [], report_id: sealed.id, key_id: keyId });
  });

  it('rejects an edited number, a forged digest, another key and non-reports', () => {
    const edited = JSON.parse(renderJson(sealed));
    edited.summary[1].value = 12841;
    const result = verifyReport(edited, publicKey);
    expect(result.valid).toBe(false);
    expect(result.problems.join('\n')).toMatch(/SHA-256 mismatch/);
    expect(result.problems.join('\n')).toMatch(/signature does not verify/);

    const forged = { ...edited, integrity: { ...edited.integrity, sha256: sha256Hex(canonicalReportJson(edited)) } };
    expect(verifyReport(forged, publicKey).problems).toEqual(['the Ed25519 signature does not verify with this key over the content']);

    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyReport(sealed, other).problems.join('\n')).toMatch(/signed with key ed25519:.*but the key given is/);
    expect(verifyReport([], publicKey).valid).toBe(false);
    expect(verifyReport({ id: 'x' }, publicKey).problems).toEqual(['no integrity block (sha256, signature, key_id)']);
  });

  it('reads the public key in the usual forms', () => {
    const spkiPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const raw = der.subarray(-32);
    const forms = [
      spkiPem,
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      Buffer.from(spkiPem).toString('base64'),
      der.toString('base64'),
      raw.toString('base64'),
      raw.toString('base64url'),
      raw.toString('hex'),
    ];
    for (const form of forms) expect(reportKeyId(parsePublicKey(form))).toBe(keyId);
    expect(() => parsePublicKey('not a key!')).toThrow();
    expect(() => parsePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/Ed25519/);
  });
});
