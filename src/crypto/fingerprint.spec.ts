import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UnknownKeyError } from './crypto.errors.js';
import { fingerprint, verifyFingerprint } from './fingerprint.js';
import { KeyRing } from './key-ring.js';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const ring = new KeyRing({ current: newKey, previous: [oldKey] });
const [newId, oldId] = ring.keyIds() as [string, string];
const aad = { secretId: 'secret-1', version: 2 };
const value = 'hunter2-but-longer';

describe('fingerprint', () => {
  it('is the documented HMAC under an HKDF subkey of the chosen key', () => {
    const subkey = Buffer.from(hkdfSync('sha256', oldKey, Buffer.alloc(0), 'strongroom-fingerprint-v1', 32));
    const bound = Buffer.from('strongroom:v1:secret-1:2');
    const expected = createHmac('sha256', subkey)
      .update(Buffer.from([0, 0, 0, bound.length]))
      .update(bound)
      .update(value)
      .digest('hex');
    expect(fingerprint(ring, oldId, value, aad)).toBe(expected);
  });

  it('is deterministic, 64 hex chars, and not a plain or KEK-keyed hash of the value', () => {
    const print = fingerprint(ring, newId, value, aad);
    expect(print).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint(new KeyRing({ current: newKey, previous: [] }), newId, value, aad)).toBe(print);
    expect(print).not.toBe(createHash('sha256').update(value).digest('hex'));
    expect(print).not.toBe(createHmac('sha256', newKey).update(value).digest('hex'));
  });

  it('changes with the key, the value, the secret id and the version', () => {
    const print = fingerprint(ring, newId, value, aad);
    const others = [
      fingerprint(ring, oldId, value, aad),
      fingerprint(ring, newId, value + ' ', aad),
      fingerprint(ring, newId, value, { ...aad, secretId: 'secret-2' }),
      fingerprint(ring, newId, value, { ...aad, version: 3 }),
    ];
    expect(new Set([print, ...others]).size).toBe(5);
  });

  it('keeps secret id, version and value apart (no two inputs run into each other)', () => {
    const a = fingerprint(ring, newId, 'foo:2\nP', { secretId: 'x', version: 1 });
    const b = fingerprint(ring, newId, 'P', { secretId: 'x:1\nfoo', version: 2 });
    const c = fingerprint(ring, newId, '2value', { secretId: 'x', version: 1 });
    const d = fingerprint(ring, newId, 'value', { secretId: 'x', version: 12 });
    expect(a).not.toBe(b);
    expect(c).not.toBe(d);
  });

  it('throws UnknownKeyError for a key id outside the ring', () => {
    const otherId = new KeyRing({ current: randomBytes(32), previous: [] }).currentKeyId;
    expect(() => fingerprint(ring, otherId, value, aad)).toThrow(UnknownKeyError);
  });
});

describe('verifyFingerprint', () => {
  const print = fingerprint(ring, oldId, value, aad);

  it('accepts the matching fingerprint', () => {
    expect(verifyFingerprint(ring, oldId, value, aad, print)).toBe(true);
  });

  it('rejects another value, binding or key, and malformed fingerprints', () => {
    expect(verifyFingerprint(ring, oldId, 'other', aad, print)).toBe(false);
    expect(verifyFingerprint(ring, oldId, value, { ...aad, version: 1 }, print)).toBe(false);
    expect(verifyFingerprint(ring, newId, value, aad, print)).toBe(false);
    const flipped = print.slice(0, -1) + (print.endsWith('0') ? '1' : '0');
    for (const wrong of [flipped, print.slice(0, -2), print + '00', print.toUpperCase(), '']) {
      expect(verifyFingerprint(ring, oldId, value, aad, wrong)).toBe(false);
    }
  });
});
