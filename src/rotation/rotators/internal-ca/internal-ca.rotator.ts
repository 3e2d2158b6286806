import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { InternalCaRotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { rotatorSettings } from '../shared/settings.js';
import { Rotator, type RotationCheck, type RotatorContext, type ValueFacts } from '../../rotator.port.js';
import { RotatorTargetRefused } from '../../rotator-target.js';

export const DEFAULT_VALIDITY_DAYS = 90;
export const DEFAULT_RENEW_AT_FRACTION = 0.66;
const DAY_MS = 86_400_000;
/** Issued certificates start a little in the past, for clocks that lag. */
const BACKDATE_MS = 5 * 60_000;

x509.cryptoProvider.set(webcrypto as never);

type SigningAlgorithm = { name: string; hash: string };
type X509Key = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends { signingKey: infer K } ? K : never;

const CERT_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/;

/** A certificate and its private key from one PEM text; errors never repeat the text. */
export function parseCertAndKey(pem: string, what: string): { cert: x509.X509Certificate; key: KeyObject } {
  const certPem = CERT_PEM.exec(pem)?.[0];
  const keyPem = KEY_PEM.exec(pem)?.[0];
  if (!certPem) throw new Error(`${what} holds no PEM certificate`);
  if (!keyPem) throw new Error(`${what} holds no PEM private key`);
  let cert: x509.X509Certificate;
  let key: KeyObject;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    throw new Error(`${what}: the certificate does not parse`);
  }
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new Error(`${what}: the private key does not parse`);
  }
  const spki = Buffer.from(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  if (!spki.equals(Buffer.from(cert.publicKey.rawData))) throw new Error(`${what}: the private key does not belong to the certificate`);
  return { cert, key };
}

/** The first certificate of a PEM text (the value of a TLS_CERTIFICATE secret). */
function firstCertificate(pem: string, what: string): x509.X509Certificate {
  const certPem = CERT_PEM.exec(pem)?.[0];
  if (!certPem) throw new Error(`${what} holds no PEM certificate`);
  try {
    return new x509.X509Certificate(certPem);
  } catch {
    throw new Error(`${what}: the certificate does not parse`);
  }
}

/** When a certificate is due for renewal: `fraction` of the way from notBefore to notAfter. */
export function certificateRenewAt(pem: string, fraction: number): Date {
  const cert = firstCertificate(pem, 'the certificate');
  const from = cert.notBefore.getTime();
  return new Date(from + (cert.notAfter.getTime() - from) * fraction);
}

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
  secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' },
};

/** The CA key as a WebCrypto signing key, with the signature algorithm to use. */
async function signingKeyOf(key: KeyObject): Promise<{ signingKey: X509Key; signingAlgorithm: SigningAlgorithm }> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new RotatorTargetRefused(`internal_ca: the CA key's curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'} is not supported (P-256, P-384, P-521)`);
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve.namedCurve }, false, ['sign']);
    return { signingKey: signingKey as unknown as X509Key, signingAlgorithm: { name: 'ECDSA', hash: curve.hash } };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    return { signingKey: signingKey as unknown as X509Key, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
  }
  throw new RotatorTargetRefused(`internal_ca: CA keys of type ${key.asymmetricKeyType ?? '?'} are not supported (EC, RSA)`);
}

/** Why this certificate cannot issue certificates, or null. */
function notACaProblem(cert: x509.X509Certificate, now: Date): string | null {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc || !bc.ca) return 'the CA secret\'s certificate is not a CA (basicConstraints CA:TRUE missing)';
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) return 'the CA secret\'s certificate may not sign certificates (keyUsage keyCertSign missing)';
  if (cert.notAfter <= now || cert.notBefore > now) return 'the CA secret\'s certificate is not valid now';
  return null;
}

/**
 * Issues a new key pair and certificate from a CA kept as a secret (`admin_secret_id`, a
 * TLS_CERTIFICATE whose value is the CA certificate and its private key in PEM) with
 * @peculiar/x509: same subject and subjectAltName as the current certificate, a fresh ECDSA P-256
 * key, `validity_days` long (never past the CA's own notAfter). The value is the certificate PEM
 * followed by the PKCS#8 private key PEM. `verify` checks the staged certificate against the CA
 * and its key; on promotion `expires_at` follows notAfter and the next rotation is due at
 * `renew_at_fraction` of the lifetime. Nothing outside sees the value before it is staged, so a
 * resumed attempt may issue a new certificate.
 */
export class InternalCaRotator extends Rotator {
  readonly kind = 'internal_ca';
  readonly external = true;

  override adminSecretId(secret: SecretEntity): string | null {
    return this.config(secret).admin_secret_id;
  }

  override producesValues(): boolean {
    return true;
  }

  override async produce(secret: SecretEntity, ctx: RotatorContext, _step: unknown, currentValue?: string): Promise<string> {
    const cfg = this.config(secret);
    if (currentValue === undefined) throw new Error('internal_ca: the current certificate is needed for its subject and SANs');
    const current = firstCertificate(currentValue, 'the current value');
    const ca = await this.readCa(cfg, ctx, 'apply');
    const now = new Date();
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    const wanted = new Date(now.getTime() + (cfg.validity_days ?? DEFAULT_VALIDITY_DAYS) * DAY_MS);
    const notAfter = wanted < ca.cert.notAfter ? wanted : ca.cert.notAfter;
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const publicKey = keys.publicKey as unknown as X509Key;
    const { signingKey, signingAlgorithm } = await signingKeyOf(ca.key);
    const san = current.getExtension(x509.SubjectAlternativeNameExtension);
    const caSki = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      subject: current.subjectName,
      issuer: ca.cert.subjectName,
      notBefore,
      notAfter,
      publicKey,
      signingKey,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        ...(caSki ? [new x509.AuthorityKeyIdentifierExtension(caSki.keyId)] : []),
        ...(san ? [new x509.SubjectAlternativeNameExtension(san.names.toJSON(), san.critical)] : []),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
    return `${cert.toString('pem')}\n${keyPem}`;
  }

  async apply(): Promise<void> {}

  /** The staged certificate is signed by the CA, valid now, and matches the staged key. */
  async verify(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    const issued = parseCertAndKey(newValue, 'the new value');
    const ca = await this.readCa(this.config(secret), ctx, 'apply');
    const ok = await issued.cert.verify({ publicKey: ca.cert.publicKey, date: new Date() });
    if (!ok) throw new Error('internal_ca: the new certificate does not verify against the CA');
  }

  async revert(): Promise<void> {}

  override describeValue(secret: SecretEntity, value: string): ValueFacts {
    const cert = firstCertificate(value, 'the new value');
    return { expiresAt: cert.notAfter, renewAt: certificateRenewAt(value, this.config(secret).renew_at_fraction ?? DEFAULT_RENEW_AT_FRACTION) };
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const checks: RotationCheck[] = [];
    try {
      firstCertificate(currentValue, 'the current value');
      checks.push({ check: 'current value is a certificate', ok: true });
    } catch (e) {
      checks.push({ check: 'current value is a certificate', ok: false, detail: (e as Error).message });
    }
    try {
      const ca = await this.readCa(this.config(secret), ctx, 'check');
      checks.push({ check: 'CA certificate and key usable', ok: true, detail: ca.cert.subject });
    } catch (e) {
      checks.push({ check: 'CA certificate and key usable', ok: false, detail: (e as Error).message });
    }
    return checks;
  }

  private config(secret: SecretEntity): InternalCaRotatorConfig {
    return rotatorSettings(secret, 'internal_ca');
  }

  /** The CA's certificate and key (an audited read); refused for good when it cannot issue. */
  private async readCa(cfg: InternalCaRotatorConfig, ctx: RotatorContext, use: 'check' | 'apply') {
    const pem = await ctx.readAdminCredential(cfg.admin_secret_id, use);
    let ca: { cert: x509.X509Certificate; key: KeyObject };
    try {
      ca = parseCertAndKey(pem, 'the CA secret');
    } catch (e) {
      throw new RotatorTargetRefused(`internal_ca: ${(e as Error).message}`);
    }
    const problem = notACaProblem(ca.cert, new Date());
    if (problem) throw new RotatorTargetRefused(`internal_ca: ${problem}`);
    return ca;
  }
}
