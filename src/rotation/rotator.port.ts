import type { SecretEntity } from '../secrets/entities/secret.entity.js';

/** One check of a dry run: what was checked and whether it holds. Never a value. */
export interface RotationCheck {
  check: string;
  ok: boolean;
  detail?: string;
}

/** What a rotator may ask of Strongroom while it works. */
export interface RotatorContext {
  /** The current value of another secret (the admin credential of a target). */
  readSecretValue(secretId: string): Promise<string>;
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
  /** Everything `apply` and `verify` need, checked without changing anything. */
  abstract check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]>;
}
