import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RuntimeKeys } from '../config/index.js';
import type { ReportDocument } from './render/index.js';
import { reportKeyId, sealReport } from './report-integrity.js';

/** Seals reports with the audit signing key (Ed25519), the key that also signs audit checkpoints. */
@Injectable()
export class ReportSigner {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(keys: RuntimeKeys) {
    this.privateKey = createPrivateKey(keys.auditSigningKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = reportKeyId(this.publicKey);
  }

  seal<T extends ReportDocument>(doc: Omit<T, 'integrity'>): T {
    return sealReport<T>(doc, this.privateKey, this.keyId);
  }
}
