import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, UnknownKeyError } from './crypto.errors.js';
import { KeyRing } from './key-ring.js';

const expectedId = (key: Buffer) =>
  'k_' + createHmac('sha256', key).update('strongroom-key-id').digest('hex').slice(0, 16);

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('KeyRing', () => {
  const current = randomBytes(32);
  const old1 = randomBytes(32);
  const old2 = randomBytes(32);

  it('derives each key id from the key alone, as k_ + 16 hex chars of HMAC-SHA256(key, label)', () => {
    const ring = new KeyRing({ current, previous: [old1, old2] });
    expect(ring.currentKeyId).toBe(expectedId(current));
    expect(ring.currentKeyId).toMatch(/^k_[0-9a-f]{16}$/);
    expect(ring.keyIds()).toEqual([expectedId(current), expectedId(old1), expectedId(old2)]);
  });

  it('gives the same key the same id in every ring (restarts, replicas, current or previous)', () => {
    const a = new KeyRing({ current, previous: [] });
    const b = new KeyRing({ current: Buffer.from(current), previous: [] });
    const c = new KeyRing({ current: old1, previous: [Buffer.from(current)] });
    expect(b.currentKeyId).toBe(a.currentKeyId);
    expect(c.keyIds()[1]).toBe(a.currentKeyId);
  });

  it('knows its keys and nothing else', () => {
    const ring = new KeyRing({ current, previous: [old1] });
    expect(ring.has(expectedId(current))).toBe(true);
    expect(ring.has(expectedId(old1))).toBe(true);
    expect(ring.has(expectedId(old2))).toBe(false);
    expect(ring.kek(expectedId(old1)).equals(old1)).toBe(true);
    expect(ring.kek(ring.currentKeyId).equals(current)).toBe(true);
  });

  it('throws UnknownKeyError (an EnvelopeError) for an unknown key id', () => {
    const ring = new KeyRing({ current, previous: [] });
    const error = thrownBy(() => ring.kek(expectedId(old2)));
    expect(error).toBeInstanceOf(UnknownKeyError);
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as UnknownKeyError).reason).toBe('unknown_key');
    expect((error as UnknownKeyError).keyId).toBe(expectedId(old2));
  });

  it('lists a key given twice once (e.g. the current key also among the previous ones)', () => {
    const ring = new KeyRing({ current, previous: [old1, Buffer.from(current), Buffer.from(old1)] });
    expect(ring.keyIds()).toEqual([expectedId(current), expectedId(old1)]);
  });

  it('keeps its own copy of the keys', () => {
    const key = randomBytes(32);
    const copy = Buffer.from(key);
    const ring = new KeyRing({ current: key, previous: [] });
    key.fill(0);
    expect(ring.kek(ring.currentKeyId).equals(copy)).toBe(true);
  });

  it('rejects keys that are not exactly 32 bytes, naming the key but not its bytes', () => {
    const short = randomBytes(16);
    const long = randomBytes(33);
    const cases: Array<[() => unknown, RegExp, Buffer]> = [
      [() => new KeyRing({ current: short, previous: [] }), /current key must be exactly 32 bytes \(got 16\)/, short],
      [() => new KeyRing({ current, previous: [old1, long] }), /previous key #2 must be exactly 32 bytes \(got 33\)/, long],
      [() => new KeyRing({ current: Buffer.alloc(0), previous: [] }), /current key must be exactly 32 bytes \(got 0\)/, Buffer.alloc(0)],
    ];
    for (const [build, message, key] of cases) {
      const error = thrownBy(build);
      expect(error.message).toMatch(message);
      if (key.length > 0) {
        expect(error.message).not.toContain(key.toString('hex'));
        expect(error.message).not.toContain(key.toString('base64'));
      }
    }
    expect(() => new KeyRing({ current: 'x'.repeat(32) as unknown as Buffer, previous: [] })).toThrow(
      /current key must be a Buffer/,
    );
  });

  it('shows no key material through inspect or JSON', () => {
    const ring = new KeyRing({ current, previous: [old1] });
    const shown = inspect(ring, { depth: 10, showHidden: true }) + JSON.stringify(ring);
    for (const key of [current, old1]) {
      expect(shown).not.toContain(key.toString('hex'));
      expect(shown).not.toContain(key.toString('base64'));
      expect(shown).not.toContain(key.toString('hex').slice(0, 2 * 8).replace(/(..)/g, '$1 ').trim());
    }
  });
});

describe('KeyRing.parseBase64Key', () => {
  const key = randomBytes(32);

  it('decodes base64 of 32 bytes: standard, URL-safe, padded or not, surrounded by whitespace', () => {
    const standard = key.toString('base64');
    for (const text of [standard, standard.replace(/=+$/, ''), key.toString('base64url'), ` ${standard}\n`]) {
      expect(KeyRing.parseBase64Key(text, 'LOCAL_ENCRYPTION_KEY').equals(key)).toBe(true);
    }
  });

  it('names the variable and the problem, never the value', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /^LOCAL_ENCRYPTION_KEY is empty/],
      ['   ', /^LOCAL_ENCRYPTION_KEY is empty/],
      ['not base64 at all!', /^LOCAL_ENCRYPTION_KEY is not valid base64/],
      [key.toString('base64').slice(0, 40) + '$$$$', /^LOCAL_ENCRYPTION_KEY is not valid base64/],
      [key.toString('base64') + '=', /^LOCAL_ENCRYPTION_KEY is not valid base64/],
      [randomBytes(16).toString('base64'), /^LOCAL_ENCRYPTION_KEY must decode to exactly 32 bytes \(got 16\)/],
      [randomBytes(64).toString('base64'), /^LOCAL_ENCRYPTION_KEY must decode to exactly 32 bytes \(got 64\)/],
    ];
    for (const [text, message] of cases) {
      const error = thrownBy(() => KeyRing.parseBase64Key(text, 'LOCAL_ENCRYPTION_KEY'));
      expect(error.message).toMatch(message);
      if (text.trim() !== '') expect(error.message).not.toContain(text.trim());
    }
  });

  it('rejects non-canonical base64 (bits that Buffer.from would silently drop)', () => {
    const text = key.toString('base64'); // 43 chars + '=': the last char carries 2 unused bits
    const last = text[42]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sloppy = text.slice(0, 42) + alphabet[alphabet.indexOf(last) ^ 1] + '=';
    expect(Buffer.from(sloppy, 'base64').equals(key)).toBe(true);
    expect(() => KeyRing.parseBase64Key(sloppy, 'K')).toThrow(/^K is not valid base64/);
  });
});
