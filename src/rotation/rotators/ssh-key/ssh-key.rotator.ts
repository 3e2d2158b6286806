import sshpk from 'sshpk';
import type { SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { Rotator, type RotationCheck, type ValueFacts } from '../../rotator.port.js';

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

/**
 * A new Ed25519 key pair built here (sshpk): the private key in OpenSSH format is the secret's
 * value, the public key (an authorized_keys line) goes to the secret's `ssh_public_key` tag when
 * the value is promoted. Nothing outside Strongroom sees the key before it is staged, so a
 * resumed attempt may build a different one. Staged like every external rotator: `verify` parses
 * the staged key back before it is promoted.
 */
export class SshKeyRotator extends Rotator {
  readonly kind = 'ssh_key';
  readonly external = true;

  override producesValues(): boolean {
    return true;
  }

  override async produce(secret: SecretEntity): Promise<string> {
    // sshpk generates ed25519 keys; its type declarations name only ecdsa.
    const key = sshpk.generatePrivateKey('ed25519' as 'ecdsa');
    key.comment = `strongroom:${secret.name}`;
    return key.toString('ssh-private');
  }

  async apply(): Promise<void> {}

  async verify(_secret: SecretEntity, newValue: string): Promise<void> {
    parseEd25519PrivateKey(newValue);
  }

  async revert(): Promise<void> {}

  override describeValue(_secret: SecretEntity, value: string): ValueFacts {
    return { tags: { [SSH_PUBLIC_KEY_TAG]: parseEd25519PrivateKey(value).toPublic().toString('ssh') } };
  }

  async check(_secret: SecretEntity, currentValue: string): Promise<RotationCheck[]> {
    try {
      parseEd25519PrivateKey(currentValue);
      return [{ check: 'current value is an Ed25519 OpenSSH key', ok: true }];
    } catch (e) {
      // Not fatal: the rotation replaces it with one that is.
      return [{ check: 'current value is an Ed25519 OpenSSH key', ok: true, detail: (e as Error).message }];
    }
  }
}
