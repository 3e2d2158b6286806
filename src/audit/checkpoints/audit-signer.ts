import { createPublicKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RuntimeKeys } from '../../config/index.js';
import {
  type CheckpointFields,
  checkpointSignatureValid,
  keyIdOf,
  privateKeyFromPem,
  publicKeyPem,
  signCheckpoint,
} from '../checkpoint-signature.js';

/** The Ed25519 audit signing key (AUDIT_SIGNING_KEY): signs checkpoints, publishes its public half. */
@Injectable()
export class AuditSigner {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;
  readonly publicKeyPem: string;

  constructor(keys: RuntimeKeys) {
    this.privateKey = privateKeyFromPem(keys.auditSigningKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = keyIdOf(this.publicKey);
    this.publicKeyPem = publicKeyPem(this.publicKey);
  }

  sign(cp: CheckpointFields): string {
    return signCheckpoint(this.privateKey, cp);
  }

  /** True only for a checkpoint of this key with a valid signature. */
  trusts(cp: CheckpointFields & { key_id: string; signature: string }): boolean {
    return cp.key_id === this.keyId && checkpointSignatureValid(this.publicKey, cp);
  }
}
