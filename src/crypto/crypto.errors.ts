/**
 * Errors of the crypto layer. Messages name what is wrong (a reason, a key id, a part of the
 * envelope) and never carry a value, a data key or a key-encryption key.
 */
export type EnvelopeErrorReason = 'malformed' | 'unknown_key' | 'authentication_failed';

export class EnvelopeError extends Error {
  constructor(
    readonly reason: EnvelopeErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** The key id is not in the key ring (a key id is derived from a key and reveals nothing of it). */
export class UnknownKeyError extends EnvelopeError {
  constructor(readonly keyId: string) {
    super('unknown_key', `unknown key id ${keyId}`);
    this.name = 'UnknownKeyError';
  }
}
