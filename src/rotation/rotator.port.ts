import type { SecretEntity } from '../secrets/entities/secret.entity.js';

/** One check of a dry run: what was checked and whether it holds. Never a value. */
export interface RotationCheck {
  check: string;
  ok: boolean;
  detail?: string;
}

/** What a rotator may ask of Strongroom while it works. */
export interface RotatorContext {
  /**
   * The current value of the admin credential of the target. Refused unless that secret is of a
   * credential type for this rotator (admin-credential.ts); every read is audited as a value read
   * (`secret.value_read`, naming the rotation, the actor and `use`) before the value is returned.
   * Call it only after the target passed its check, right before connecting.
   */
  readAdminCredential(secretId: string, use: 'check' | 'apply' | 'revert'): Promise<string>;
}

/**
 * Applies a new value where the secret is used. `external` rotators change something outside
 * Strongroom, so the new value is staged as a pending version (committed) before `apply`, and
 * promoted only after `verify` passes; on failure `revert` puts the old value back.
 */
export abstract class Rotator {
  abstract readonly kind: string;
  abstract readonly external: boolean;
  abstract apply(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void>;
  abstract verify(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void>;
  abstract revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext): Promise<void>;
  /** Refusals of the secret's settings that need no connection (target allow-list, TLS settings). */
  configProblems(_secret: SecretEntity): string[] {
    return [];
  }
  /** The admin credential secret the settings name, if the rotator uses one. */
  adminSecretId(_secret: SecretEntity): string | null {
    return null;
  }
  /** Everything `apply` and `verify` need, checked without changing anything. */
  abstract check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]>;
}
