import { describe, expect, it } from 'vitest';
import {
  ALPHANUMERIC,
  DATABASE_PASSWORD_ALPHABET,
  SECRET_TYPES,
  SECRET_TYPE_CATALOGUE,
  canGenerate,
  certificateNotAfter,
  generateValue,
  isSecretType,
  validateUserValue,
  type SecretType,
} from './generators.js';

/** Self-signed P-256 test certificate (CN=strongroom-test), valid until 2036-11-27T01:21:54Z. */
const CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUbtClwTfgC/AR3d3GPOhJtn8FMjAwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPc3Ryb25ncm9vbS10ZXN0MB4XDTI2MTEzMDAxMjE1NFoXDTM2
MTEyNzAxMjE1NFowGjEYMBYGA1UEAwwPc3Ryb25ncm9vbS10ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEAVqGBZHgOsK0KmgQeJKBp9aQNteREHrK+znueVu0
0rjv3PzGJUKMz/PAH5N7ZqJYAoXJqdLmWjGaCH+c9iZT0KNTMFEwHQYDVR0OBBYE
FNu+sbrTM70fgwhJ6gYfVTgPfIdMMB8GA1UdIwQYMBaAFNu+sbrTM70fgwhJ6gYf
VTgPfIdMMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgUYq9tvzA
N3K/b6YpYtD2mPiGa0f78YnAy47I7w7eRW8CIQDnyt64TB4RmqXpfWmdZOxKyRUt
brgF99IZvtzlGY/83w==
-----END CERTIFICATE-----
`;

/**
 * Pearson's chi-square statistic of the characters of `text` against the probabilities
 * `expected` (default: uniform over `alphabet`). With d = alphabet.length - 1 degrees of
 * freedom its mean is d and its standard deviation sqrt(2d); the bound 3d + 40 has a tail
 * probability below 1e-9 for every d used here, while a modulo-biased generator scores in the
 * thousands.
 */
function chiSquare(text: string, alphabet: string, expected = (_c: string) => 1 / alphabet.length): number {
  const counts = new Map([...alphabet].map((c) => [c, 0]));
  for (const c of text) counts.set(c, counts.get(c)! + 1);
  expect(counts.size).toBe(alphabet.length); // nothing outside the alphabet
  let statistic = 0;
  for (const [c, count] of counts) {
    const mean = text.length * expected(c);
    statistic += (count - mean) ** 2 / mean;
  }
  return statistic;
}
const chiSquareBound = (alphabet: string) => 3 * (alphabet.length - 1) + 40;

/**
 * Exact per-character probability of a DATABASE_PASSWORD character: uniform draws of 16 chars
 * conditioned on containing a lower, an upper and a digit (inclusion-exclusion over the classes
 * that are missing). Characters of a class the rule asks for are a little more likely.
 */
function databasePasswordProbability(length: number): (c: string) => number {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].map((re) => [...DATABASE_PASSWORD_ALPHABET].filter((c) => re.test(c)).length);
  const n = DATABASE_PASSWORD_ALPHABET.length;
  /** P(draws of `positions` chars contain every class of `required`). */
  const allPresent = (required: number[], positions: number) => {
    let p = 0;
    for (let mask = 0; mask < 1 << required.length; mask++) {
      const missing = required.filter((_, i) => mask & (1 << i));
      const size = missing.reduce((a, b) => a + b, 0);
      p += (-1) ** missing.length * ((n - size) / n) ** positions;
    }
    return p;
  };
  const pRule = allPresent(classes, length);
  return (c) => {
    const own = [/[a-z]/, /[A-Z]/, /[0-9]/].findIndex((re) => re.test(c));
    const rest = classes.filter((_, i) => i !== own);
    return ((1 / n) * allPresent(rest, length - 1)) / pRule;
  };
}

const samples = (type: SecretType, n: number) => Array.from({ length: n }, () => generateValue(type));

describe('secret type catalogue', () => {
  it('follows the spec table exactly', () => {
    expect(SECRET_TYPES).toEqual([
      'API_KEY',
      'DATABASE_PASSWORD',
      'ENCRYPTION_KEY',
      'JWT_SECRET',
      'WEBHOOK_SECRET',
      'OAUTH_TOKEN',
      'SERVICE_ACCOUNT_KEY',
      'TLS_CERTIFICATE',
    ]);
    expect(SECRET_TYPES.map((type) => SECRET_TYPE_CATALOGUE[type])).toEqual([
      { type: 'API_KEY', description: 'Third-party API keys', auto_generation: true, default_length: '32 chars' },
      { type: 'DATABASE_PASSWORD', description: 'Database credentials', auto_generation: true, default_length: '16 chars' },
      { type: 'ENCRYPTION_KEY', description: 'Encryption keys', auto_generation: true, default_length: '32 bytes (base64)' },
      { type: 'JWT_SECRET', description: 'JWT signing secrets', auto_generation: true, default_length: '32 chars' },
      { type: 'WEBHOOK_SECRET', description: 'Webhook signatures', auto_generation: true, default_length: '32 chars' },
      { type: 'OAUTH_TOKEN', description: 'OAuth access tokens', auto_generation: false, default_length: null },
      { type: 'SERVICE_ACCOUNT_KEY', description: 'Service account keys', auto_generation: false, default_length: null },
      { type: 'TLS_CERTIFICATE', description: 'TLS certificates', auto_generation: false, default_length: null },
    ]);
    expect(Object.keys(SECRET_TYPE_CATALOGUE)).toEqual([...SECRET_TYPES]);
    expect(Object.isFrozen(SECRET_TYPE_CATALOGUE)).toBe(true);
    expect(Object.isFrozen(SECRET_TYPE_CATALOGUE.API_KEY)).toBe(true);
  });

  it('agrees with canGenerate and isSecretType', () => {
    for (const type of SECRET_TYPES) {
      expect(canGenerate(type)).toBe(SECRET_TYPE_CATALOGUE[type].auto_generation);
      expect(isSecretType(type)).toBe(true);
    }
    for (const other of ['api_key', 'PASSWORD', '', 'toString', '__proto__', 42, null]) {
      expect(isSecretType(other)).toBe(false);
    }
    expect(canGenerate('toString' as SecretType)).toBe(false);
  });
});

describe('generateValue', () => {
  it.each([
    ['API_KEY', 32],
    ['JWT_SECRET', 32],
    ['WEBHOOK_SECRET', 32],
  ] as const)('%s: %i URL-safe alphanumerics, uniformly distributed', (type, length) => {
    const values = samples(type, 20_000);
    expect(values.every((value) => value.length === length)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
    expect(chiSquare(values.join(''), ALPHANUMERIC)).toBeLessThan(chiSquareBound(ALPHANUMERIC));
  });

  it('DATABASE_PASSWORD: 16 chars of the safe alphabet, always a lower, an upper and a digit', () => {
    const values = samples('DATABASE_PASSWORD', 20_000);
    const rule = /^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])[A-Za-z0-9\-_.~!*]{16}$/;
    expect(values.filter((value) => !rule.test(value))).toEqual([]);
    expect(new Set(values).size).toBe(values.length);
    expect(DATABASE_PASSWORD_ALPHABET).not.toMatch(/['"\\@:/%\s]/);
    const all = values.join('');
    const probability = databasePasswordProbability(16);
    expect(chiSquare(all, DATABASE_PASSWORD_ALPHABET, probability)).toBeLessThan(
      chiSquareBound(DATABASE_PASSWORD_ALPHABET),
    );
    // Against plain uniform the conditioning is visible: the rule's classes gain weight.
    expect(probability('7')).toBeGreaterThan(1 / DATABASE_PASSWORD_ALPHABET.length);
    expect(probability('*')).toBeLessThan(1 / DATABASE_PASSWORD_ALPHABET.length);
  });

  it('ENCRYPTION_KEY: base64 of 32 random bytes', () => {
    const values = samples('ENCRYPTION_KEY', 1_000);
    expect(values.filter((value) => !/^[A-Za-z0-9+/]{43}=$/.test(value))).toEqual([]);
    expect(values.every((value) => validateUserValue('ENCRYPTION_KEY', value) === null)).toBe(true);
    expect(Buffer.from(values[0]!, 'base64')).toHaveLength(32);
    expect(new Set(values).size).toBe(values.length);
  });

  it.each(['OAUTH_TOKEN', 'SERVICE_ACCOUNT_KEY', 'TLS_CERTIFICATE'] as const)('%s cannot be generated', (type) => {
    expect(canGenerate(type)).toBe(false);
    expect(() => generateValue(type)).toThrow(`secret type ${type} has no automatic generation`);
  });

  it('refuses a type that does not exist', () => {
    expect(() => generateValue('NOPE' as SecretType)).toThrow(/has no automatic generation/);
  });
});

describe('validateUserValue', () => {
  it('accepts an ENCRYPTION_KEY of exactly 32 bytes of base64 and explains anything else', () => {
    const key = Buffer.alloc(32, 7);
    expect(validateUserValue('ENCRYPTION_KEY', key.toString('base64'))).toBeNull();
    expect(validateUserValue('ENCRYPTION_KEY', key.toString('base64url'))).toBeNull();
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(validateUserValue('ENCRYPTION_KEY', short)).toBe(
      'ENCRYPTION_KEY value must be base64 of exactly 32 bytes (it decodes to 16 bytes)',
    );
    const junk = 'correct horse battery staple';
    const problem = validateUserValue('ENCRYPTION_KEY', junk);
    expect(problem).toMatch(/not valid base64/);
    expect(problem).not.toContain(junk);
    expect(validateUserValue('ENCRYPTION_KEY', '')).toMatch(/decodes to 0 bytes/);
  });

  it('accepts a PEM TLS_CERTIFICATE and rejects anything else without echoing it', () => {
    expect(validateUserValue('TLS_CERTIFICATE', CERTIFICATE)).toBeNull();
    const broken = CERTIFICATE.replace('MIIBiTCC', 'MIIBiTCD');
    const notPem = Buffer.from(CERTIFICATE.split('\n').slice(1, -2).join(''), 'base64').toString('latin1');
    for (const value of ['hello', broken, notPem, CERTIFICATE.slice(0, 200)]) {
      const problem = validateUserValue('TLS_CERTIFICATE', value);
      expect(problem).toBe('TLS_CERTIFICATE value must be a PEM-encoded X.509 certificate');
    }
  });

  it('has no rule for the other types', () => {
    for (const type of SECRET_TYPES.filter((t) => t !== 'ENCRYPTION_KEY' && t !== 'TLS_CERTIFICATE')) {
      expect(validateUserValue(type, 'anything at all')).toBeNull();
    }
  });
});

describe('certificateNotAfter', () => {
  it('reads the end of validity of a PEM certificate', () => {
    expect(certificateNotAfter(CERTIFICATE).toISOString()).toBe('2036-11-27T01:21:54.000Z');
  });

  it('throws a value-free error for anything else', () => {
    expect(() => certificateNotAfter('secret-ish text')).toThrow(/^not a PEM-encoded X.509 certificate$/);
  });
});
