export type { SecretAad } from './aad.js';
export { EnvelopeError, UnknownKeyError, type EnvelopeErrorReason } from './crypto.errors.js';
export { envelopeKeyId, isEnvelope, open, rewrap, seal } from './envelope.js';
export { fingerprint, verifyFingerprint } from './fingerprint.js';
export {
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
  type SecretTypeInfo,
} from './generators.js';
export { KEY_BYTES, KeyRing, type KeyRingKeys } from './key-ring.js';
