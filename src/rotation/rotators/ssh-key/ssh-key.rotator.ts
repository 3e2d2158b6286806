import sshpk from 'sshpk';
import type { SecretEntity, SshKeyRotatorConfig } from '../../../secrets/entities/secret.entity.js';
import { rotatorSettings } from '../shared/settings.js';
import { Rotator, type RotationCheck, type RotationStep, type RotatorContext, type ValueFacts } from '../../rotator.port.js';
import type { HttpRotator } from '../http/http.rotator.js';

/** The secret's tag that carries the current public key (an authorized_keys line; not secret). */
export const SSH_PUBLIC_KEY_TAG = 'ssh_public_key';

/** The Ed25519 private key in an OpenSSH PEM, or an error that never repeats the value. */
export function parseEd25519PrivateKey(pem: string): sshpk.PrivateKey {
  let key: sshpk.PrivateKey;
  try {
    key = sshpk.parsePrivateKey(pem, 'ssh-private');
  } catch {
    throw new Error('the value is not an OpenSSH private key');
  }
  if (key.type !== 'ed25519') throw new Error(`the value is an ${key.type} key, not Ed25519`);
  return key;
}

/** The authorized_keys line; sshpk writes `(unnamed)` for a key without a comment, left out here. */
function publicKeyOf(pem: string): string {
  const pub = parseEd25519PrivateKey(pem).toPublic();
  const line = pub.toString('ssh');
  return pub.comment && pub.comment !== '(unnamed)' ? line : line.split(' ').slice(0, 2).join(' ');
}

/**
 * A new Ed25519 key pair built here (sshpk): the private key in OpenSSH format is the secret's
 * value, the public key (an authorized_keys line) goes to the secret's `ssh_public_key` tag when
 * the value is promoted. Nothing outside Strongroom sees the key before it is staged, so a
 * resumed attempt may build a different one.
 *
 * With `publish_url`, the public key (never the private one) is published through the http
 * rotator's signed calls: `set` (accept the new public key next to the old), `test`, `finish`
 * (drop the old), `revert` with the old public key on failure; same signing, allow-list and TLS
 * checks, with `admin_secret_id` as the signing key.
 */
export class SshKeyRotator extends Rotator {
  readonly kind = 'ssh_key';
  readonly external = true;

  constructor(private readonly http: HttpRotator) {
    super();
  }

  override producesValues(): boolean {
    return true;
  }

  override adminSecretId(secret: SecretEntity): string | null {
    return this.config(secret).admin_secret_id ?? null;
  }

  override async produce(secret: SecretEntity): Promise<string> {
    // sshpk generates ed25519 keys; its type declarations name only ecdsa.
    const key = sshpk.generatePrivateKey('ed25519' as 'ecdsa');
    key.comment = `strongroom:${secret.name}`;
    return key.toString('ssh-private');
  }

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    const target = this.publishTarget(secret);
    if (target) await this.http.apply(target, publicKeyOf(newValue), ctx, step);
  }

  async verify(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    const publicKey = publicKeyOf(newValue);
    const target = this.publishTarget(secret);
    if (target) await this.http.verify(target, publicKey, ctx, step);
  }

  override async finish(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    const target = this.publishTarget(secret);
    if (target) await this.http.finish(target, publicKeyOf(newValue), ctx, step);
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    const target = this.publishTarget(secret);
    if (target) await this.http.revert(target, publicKeyOf(oldValue), ctx, step);
  }

  override describeValue(_secret: SecretEntity, value: string): ValueFacts {
    return { tags: { [SSH_PUBLIC_KEY_TAG]: publicKeyOf(value) } };
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    let current: string | null = null;
    const checks: RotationCheck[] = [];
    try {
      current = publicKeyOf(currentValue);
      checks.push({ check: 'current value is an Ed25519 OpenSSH key', ok: true });
    } catch (e) {
      // Not fatal: the rotation replaces it with one that is.
      checks.push({ check: 'current value is an Ed25519 OpenSSH key', ok: true, detail: (e as Error).message });
    }
    const target = this.publishTarget(secret);
    if (target) checks.push(...(await this.http.check(target, current ?? '', ctx)));
    return checks;
  }

  private config(secret: SecretEntity): SshKeyRotatorConfig {
    return rotatorSettings(secret, 'ssh_key');
  }

  /** The secret as the http rotator sees it when the public key is published; null: no publishing. */
  private publishTarget(secret: SecretEntity): SecretEntity | null {
    const cfg = this.config(secret);
    if (!cfg.publish_url || !cfg.admin_secret_id) return null;
    return { ...secret, rotator: { kind: 'http', url: cfg.publish_url, admin_secret_id: cfg.admin_secret_id, ssl_ca: cfg.ssl_ca ?? null } } as SecretEntity;
  }
}
