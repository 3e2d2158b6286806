import { X509Certificate, randomBytes, randomInt } from 'node:crypto';
import { decodeBase64 } from './encoding.js';

/** The spec's "Secret Types" table, in its order. */
export const SECRET_TYPES = [
  'API_KEY',
  'DATABASE_PASSWORD',
  'ENCRYPTION_KEY',
  'JWT_SECRET',
  'WEBHOOK_SECRET',
  'OAUTH_TOKEN',
  'SERVICE_ACCOUNT_KEY',
  'TLS_CERTIFICATE',
] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

export interface SecretTypeInfo {
  type: SecretType;
  description: string;
  auto_generation: boolean;
  /** As the spec words it ("32 chars", "32 bytes (base64)"); null where nothing is generated. */
  default_length: string | null;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** URL-safe, no escaping needed anywhere. */
export const ALPHANUMERIC = UPPER + LOWER + DIGITS;
/**
 * Alphanumerics plus symbols that need no escaping in a connection URI's userinfo (RFC 3986
 * unreserved and sub-delims), a libpq keyword/value string or a SQL literal: no quote,
 * backslash, '@', ':', '/', '%', space, '#', '?', '&', '$'.
 */
export const DATABASE_PASSWORD_ALPHABET = ALPHANUMERIC + '-_.~!*';

type Generator =
  | { kind: 'chars'; length: number; alphabet: string; accept?: (value: string) => boolean }
  | { kind: 'bytes'; bytes: number };

const hasLowerUpperDigit = (value: string) =>
  /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value);

/** The one table everything here is derived from (descriptions and lengths as in the spec). */
const SPEC: Record<SecretType, { description: string; generator: Generator | null }> = {
  API_KEY: { description: 'Third-party API keys', generator: { kind: 'chars', length: 32, alphabet: ALPHANUMERIC } },
  DATABASE_PASSWORD: {
    description: 'Database credentials',
    generator: { kind: 'chars', length: 16, alphabet: DATABASE_PASSWORD_ALPHABET, accept: hasLowerUpperDigit },
  },
  ENCRYPTION_KEY: { description: 'Encryption keys', generator: { kind: 'bytes', bytes: 32 } },
  JWT_SECRET: { description: 'JWT signing secrets', generator: { kind: 'chars', length: 32, alphabet: ALPHANUMERIC } },
  WEBHOOK_SECRET: { description: 'Webhook signatures', generator: { kind: 'chars', length: 32, alphabet: ALPHANUMERIC } },
  OAUTH_TOKEN: { description: 'OAuth access tokens', generator: null },
  SERVICE_ACCOUNT_KEY: { description: 'Service account keys', generator: null },
  TLS_CERTIFICATE: { description: 'TLS certificates', generator: null },
};

function describeLength(generator: Generator | null): string | null {
  if (!generator) return null;
  return generator.kind === 'chars' ? `${generator.length} chars` : `${generator.bytes} bytes (base64)`;
}

export const SECRET_TYPE_CATALOGUE: Readonly<Record<SecretType, Readonly<SecretTypeInfo>>> = Object.freeze(
  Object.fromEntries(
    SECRET_TYPES.map((type) => {
      const { description, generator } = SPEC[type];
      const info: SecretTypeInfo = {
        type,
        description,
        auto_generation: generator !== null,
        default_length: describeLength(generator),
      };
      return [type, Object.freeze(info)];
    }),
  ) as Record<SecretType, SecretTypeInfo>,
);

export function isSecretType(value: unknown): value is SecretType {
  return typeof value === 'string' && Object.hasOwn(SPEC, value);
}

export function canGenerate(type: SecretType): boolean {
  return isSecretType(type) && SPEC[type].generator !== null;
}

/** `randomInt` draws without modulo bias, so every character is uniform over the alphabet. */
function randomString(alphabet: string, length: number): string {
  let value = '';
  for (let i = 0; i < length; i++) value += alphabet[randomInt(alphabet.length)];
  return value;
}

/**
 * A fresh random value of the spec's default length. Where a composition rule applies, whole
 * values are drawn until one satisfies it, so the result is uniform over the values that do.
 */
export function generateValue(type: SecretType): string {
  const generator = isSecretType(type) ? SPEC[type].generator : null;
  if (!generator) throw new Error(`secret type ${String(type)} has no automatic generation`);
  if (generator.kind === 'bytes') return randomBytes(generator.bytes).toString('base64');
  for (;;) {
    const value = randomString(generator.alphabet, generator.length);
    if (!generator.accept || generator.accept(value)) return value;
  }
}

/**
 * A human-readable problem with a user-supplied value, or null when it is acceptable. The
 * message describes the expected shape and never repeats the value.
 */
export function validateUserValue(type: SecretType, value: string): string | null {
  switch (type) {
    case 'ENCRYPTION_KEY': {
      const bytes = decodeBase64(value);
      if (!bytes) return 'ENCRYPTION_KEY value must be base64 of exactly 32 bytes (it is not valid base64)';
      if (bytes.length !== 32) {
        return `ENCRYPTION_KEY value must be base64 of exactly 32 bytes (it decodes to ${bytes.length} bytes)`;
      }
      return null;
    }
    case 'TLS_CERTIFICATE':
      return parseCertificate(value) ? null : 'TLS_CERTIFICATE value must be a PEM-encoded X.509 certificate';
    default:
      return null;
  }
}

function parseCertificate(pem: string): X509Certificate | null {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) return null;
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

/** The end of a PEM certificate's validity. Throws (without the value) if it is not one. */
export function certificateNotAfter(pem: string): Date {
  const certificate = parseCertificate(pem);
  if (!certificate) throw new Error('not a PEM-encoded X.509 certificate');
  return new Date(certificate.validTo);
}
