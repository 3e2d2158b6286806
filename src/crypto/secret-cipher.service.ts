import { Injectable } from '@nestjs/common';
import { RuntimeKeys } from '../config/index.js';
import { open, rewrap, seal, envelopeKeyId, isEnvelope } from './envelope.js';
import { fingerprint, verifyFingerprint } from './fingerprint.js';
import { KeyRing } from './key-ring.js';

export interface VersionAad {
  secretId: string;
  version: number;
}

/** The key ring of this process and the operations the secrets and rotation modules need. */
@Injectable()
export class SecretCipher {
  readonly ring: KeyRing;

  constructor(keys: RuntimeKeys) {
    this.ring = new KeyRing({ current: keys.encryptionKey, previous: keys.previousEncryptionKeys });
  }

  get currentKeyId(): string {
    return this.ring.currentKeyId;
  }

  seal(plaintext: string, aad: VersionAad): string {
    return seal(this.ring, plaintext, aad);
  }

  open(envelope: string, aad: VersionAad): string {
    return open(this.ring, envelope, aad);
  }

  rewrap(envelope: string): string {
    return rewrap(this.ring, envelope);
  }

  keyIdOf(payload: string): string | null {
    return envelopeKeyId(payload);
  }

  isEnvelope(payload: string): boolean {
    return isEnvelope(payload);
  }

  fingerprint(plaintext: string, aad: VersionAad): { fingerprint: string; keyId: string } {
    const keyId = this.ring.currentKeyId;
    return { fingerprint: fingerprint(this.ring, keyId, plaintext, aad), keyId };
  }

  verifyFingerprint(keyId: string, plaintext: string, aad: VersionAad, expected: string): boolean {
    return this.ring.has(keyId) && verifyFingerprint(this.ring, keyId, plaintext, aad, expected);
  }
}
