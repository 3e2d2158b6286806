import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, UnknownKeyError } from './crypto.errors.js';
import { envelopeKeyId, isEnvelope, open, rewrap, seal } from './envelope.js';
import { KeyRing } from './key-ring.js';

const FORMAT = /^sr1\.k_[0-9a-f]{16}\.[\w-]{16}\.[\w-]{43}\.[\w-]{22}\.[\w-]{16}\.[\w-]*\.[\w-]{22}$/;
const aad = { secretId: '7f1c2d9e-2b1a-4c3d-9e8f-0a1b2c3d4e5f', version: 3 };
const plaintext = 'postgres://app:s3cr3t-Valu3@db:5432/app';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const oldRing = new KeyRing({ current: oldKey, previous: [] });
const rotatedRing = new KeyRing({ current: newKey, previous: [oldKey] });
const newOnlyRing = new KeyRing({ current: newKey, previous: [] });

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

function expectEnvelopeError(fn: () => unknown, reason: EnvelopeError['reason']): EnvelopeError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).reason).toBe(reason);
  return error as EnvelopeError;
}

/** Flips one bit of byte `index` of the base64url part `part` of an envelope. */
function flipByte(envelope: string, part: number, index: number): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[index]! ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('seal / open', () => {
  it('round-trips values, including empty, multi-byte and large ones', () => {
    for (const value of [plaintext, '', 'pässwörd — 秘密 🔐', 'x'.repeat(1 << 20), 'a.b.c']) {
      const envelope = seal(oldRing, value, aad);
      expect(envelope).toMatch(FORMAT);
      expect(open(oldRing, envelope, aad)).toBe(value);
    }
  });

  it('writes one compact ASCII string naming the current key and hiding the value', () => {
    const envelope = seal(rotatedRing, plaintext, aad);
    expect(envelope).toMatch(FORMAT);
    expect(envelope.split('.')[1]).toBe(rotatedRing.currentKeyId);
    expect(envelope).not.toContain(Buffer.from(plaintext).toString('base64url'));
  });

  it('uses a fresh data key and fresh IVs for every call', () => {
    const a = seal(oldRing, plaintext, aad).split('.');
    const b = seal(oldRing, plaintext, aad).split('.');
    for (const part of [2, 3, 4, 5, 6, 7]) expect(a[part]).not.toBe(b[part]);
  });

  it('fails authentication when any byte of any binary part is flipped', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const parts = envelope.split('.');
    for (let part = 2; part <= 7; part++) {
      const length = Buffer.from(parts[part]!, 'base64url').length;
      expect(length).toBeGreaterThan(0);
      for (let index = 0; index < length; index++) {
        const tampered = flipByte(envelope, part, index);
        expectEnvelopeError(() => open(oldRing, tampered, aad), 'authentication_failed');
      }
    }
  });

  it('rejects an altered key id as unknown and an altered format tag as malformed', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const keyId = oldRing.currentKeyId;
    const otherId = keyId.slice(0, -1) + (keyId.endsWith('0') ? '1' : '0');
    const error = expectEnvelopeError(() => open(oldRing, envelope.replace(keyId, otherId), aad), 'unknown_key');
    expect(error).toBeInstanceOf(UnknownKeyError);
    expectEnvelopeError(() => open(oldRing, envelope.replace(/^sr1/, 'sr2'), aad), 'malformed');
  });

  it('fails when parts are swapped between envelopes of the same key', () => {
    const a = seal(oldRing, plaintext, aad).split('.');
    const b = seal(oldRing, plaintext, aad).split('.');
    const dekOfB = [...a.slice(0, 2), ...b.slice(2, 5), ...a.slice(5)].join('.');
    const valueOfB = [...a.slice(0, 5), ...b.slice(5)].join('.');
    expectEnvelopeError(() => open(oldRing, dekOfB, aad), 'authentication_failed');
    expectEnvelopeError(() => open(oldRing, valueOfB, aad), 'authentication_failed');
  });

  it('binds the value to its secret id and version', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const others = [
      { ...aad, secretId: 'another-secret' },
      { ...aad, secretId: aad.secretId + ' ' },
      { ...aad, secretId: aad.secretId.toUpperCase() },
      { ...aad, version: 2 },
      { ...aad, version: 4 },
      { secretId: `${aad.secretId}:3`, version: 0 },
    ];
    for (const other of others) {
      expectEnvelopeError(() => open(oldRing, envelope, other), 'authentication_failed');
    }
    expect(open(oldRing, envelope, { ...aad })).toBe(plaintext);
  });

  it('refuses an invalid secret id or version', () => {
    expect(() => seal(oldRing, plaintext, { secretId: '', version: 1 })).toThrow(TypeError);
    expect(() => seal(oldRing, plaintext, { secretId: 's', version: 1.5 })).toThrow(TypeError);
    expect(() => seal(oldRing, plaintext, { secretId: 's', version: -1 })).toThrow(TypeError);
  });

  it('reports an unknown key id when the ring lacks the key', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const error = expectEnvelopeError(() => open(newOnlyRing, envelope, aad), 'unknown_key');
    expect((error as UnknownKeyError).keyId).toBe(oldRing.currentKeyId);
  });

  it('rejects malformed envelopes', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const parts = envelope.split('.');
    const malformed = [
      '',
      plaintext,
      parts.slice(0, 7).join('.'),
      envelope + '.AAAA',
      envelope.replace(/\.([\w-]{16})\./, '.$1AAAA.'), // wrap IV of 15 bytes
      [...parts.slice(0, 2), parts[2]!.slice(0, 15), ...parts.slice(3)].join('.'), // 11-byte wrap IV
      [...parts.slice(0, 7), parts[7]! + '='].join('.'), // padding is not part of the format
      [...parts.slice(0, 7), parts[7]!.replace(/^./, '+')].join('.'), // not base64url
      [...parts.slice(0, 1), parts[1]!.toUpperCase(), ...parts.slice(2)].join('.'),
    ];
    for (const text of malformed) {
      expectEnvelopeError(() => open(oldRing, text, aad), 'malformed');
      expect(isEnvelope(text)).toBe(false);
    }
  });

  it('never puts the value, the envelope or key material in an error message', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const failures = [
      () => open(oldRing, envelope, { ...aad, version: 9 }),
      () => open(oldRing, flipByte(envelope, 3, 0), aad),
      () => open(newOnlyRing, envelope, aad),
      () => open(oldRing, envelope.slice(0, -3), aad),
      () => open(oldRing, plaintext, aad),
    ];
    for (const failure of failures) {
      const { message, stack } = thrownBy(failure);
      for (const secret of [plaintext, envelope, oldKey.toString('hex'), oldKey.toString('base64')]) {
        expect(message).not.toContain(secret);
        expect(stack).not.toContain(secret);
      }
    }
  });
});

describe('rewrap', () => {
  it('moves the data key to the new current key without touching the value parts', () => {
    const envelope = seal(oldRing, plaintext, aad);
    const rewrapped = rewrap(rotatedRing, envelope);

    expect(rewrapped).toMatch(FORMAT);
    expect(envelopeKeyId(rewrapped)).toBe(rotatedRing.currentKeyId);
    expect(rewrapped.split('.').slice(5)).toEqual(envelope.split('.').slice(5));
    expect(rewrapped.split('.')[3]).not.toBe(envelope.split('.')[3]);

    // Readable with only the new key, and by the rotated ring; the old envelope still opens
    // with the rotated ring (old key among the previous ones) but the new one not with the old ring.
    expect(open(newOnlyRing, rewrapped, aad)).toBe(plaintext);
    expect(open(rotatedRing, rewrapped, aad)).toBe(plaintext);
    expect(open(rotatedRing, envelope, aad)).toBe(plaintext);
    expectEnvelopeError(() => open(oldRing, rewrapped, aad), 'unknown_key');
    expectEnvelopeError(() => open(newOnlyRing, envelope, aad), 'unknown_key');

    // The binding to secret id and version survives the rewrap.
    expectEnvelopeError(() => open(newOnlyRing, rewrapped, { ...aad, version: 4 }), 'authentication_failed');
  });

  it('returns an envelope already under the current key unchanged', () => {
    const envelope = seal(rotatedRing, plaintext, aad);
    expect(rewrap(rotatedRing, envelope)).toBe(envelope);
    const rewrapped = rewrap(rotatedRing, seal(oldRing, plaintext, aad));
    expect(rewrap(rotatedRing, rewrapped)).toBe(rewrapped);
  });

  it('can move back to an older key made current again', () => {
    const rewrapped = rewrap(rotatedRing, seal(oldRing, plaintext, aad));
    const back = rewrap(new KeyRing({ current: oldKey, previous: [newKey] }), rewrapped);
    expect(envelopeKeyId(back)).toBe(oldRing.currentKeyId);
    expect(open(oldRing, back, aad)).toBe(plaintext);
  });

  it('fails without the old key, on a tampered wrap, or on a malformed envelope', () => {
    const envelope = seal(oldRing, plaintext, aad);
    expectEnvelopeError(() => rewrap(newOnlyRing, envelope), 'unknown_key');
    for (const part of [2, 3, 4]) {
      expectEnvelopeError(() => rewrap(rotatedRing, flipByte(envelope, part, 0)), 'authentication_failed');
    }
    expectEnvelopeError(() => rewrap(rotatedRing, plaintext), 'malformed');
  });

  it('carries a tampered value part over unverified, and open still rejects it', () => {
    const tampered = flipByte(seal(oldRing, plaintext, aad), 6, 0);
    const rewrapped = rewrap(rotatedRing, tampered);
    expectEnvelopeError(() => open(newOnlyRing, rewrapped, aad), 'authentication_failed');
  });
});

describe('envelopeKeyId / isEnvelope', () => {
  it('returns the key id of an envelope and null for anything else', () => {
    const envelope = seal(oldRing, plaintext, aad);
    expect(envelopeKeyId(envelope)).toBe(oldRing.currentKeyId);
    expect(isEnvelope(envelope)).toBe(true);
    for (const text of [plaintext, '', 'sr1', 'sr1.k_0123456789abcdef', randomBytes(32).toString('base64')]) {
      expect(envelopeKeyId(text)).toBeNull();
      expect(isEnvelope(text)).toBe(false);
    }
  });
});
