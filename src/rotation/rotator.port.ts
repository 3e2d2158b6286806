import type { SecretEntity } from '../secrets/entities/secret.entity.js';

/** One check of a dry run: what was checked and whether it holds. Never a value. */
export interface RotationCheck {
  check: string;
  ok: boolean;
  detail?: string;
}

/**
 * What may be known about a promoted value without being secret, saved with the secret in the
 * transaction that promotes it: a public key (as tags), a certificate's end of validity.
 */
export interface ValueFacts {
  /** Merged into the secret's tags (shown in its metadata; never a secret). */
  tags?: Record<string, string>;
  /** The secret's `expires_at` (a certificate's notAfter). */
  expiresAt?: Date;
  /** When the next rotation is due, if sooner than the rotation interval (renewal of a certificate). */
  renewAt?: Date;
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
 * Names one attempt of a rotation at the target: `versionId` (`<rotation id>.<attempt>`) is the
 * same when a crashed attempt is resumed, so a target can treat repeated calls as one.
 */
export interface RotationStep {
  rotationId: string;
  versionId: string;
}

/**
 * Applies a new value where the secret is used. `external` rotators change something outside
 * Strongroom, so the new value is staged as a pending version (committed) before `apply`, and
 * promoted only after `verify` passes; on failure `revert` puts the old value back.
 */
export abstract class Rotator {
  abstract readonly kind: string;
  abstract readonly external: boolean;
  abstract apply(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void>;
  abstract verify(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void>;
  /** Makes `oldValue` the one that works at the target again (and drops the attempt's new value). */
  abstract revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext, step: RotationStep): Promise<void>;
  /**
   * The new value, when the target issues it or the rotator builds it (a key pair, a
   * certificate); null: Strongroom generates one. Runs before the value is staged, so it must
   * return the same value when called again for the same step (a resumed attempt).
   */
  async produce(_secret: SecretEntity, _ctx: RotatorContext, _step: RotationStep, _currentValue?: string): Promise<string | null> {
    return null;
  }
  /** Non-secret facts about a value about to be promoted (throws without the value if unusable). */
  describeValue(_secret: SecretEntity, _value: string): ValueFacts {
    return {};
  }
  /** Whether `produce` supplies values, also for types Strongroom cannot generate. */
  producesValues(_secret: SecretEntity): boolean {
    return false;
  }
  /**
   * After `verify`, before the new value is promoted: retire the old value at the target (the
   * old key stops working). Idempotent: a resumed rotation calls it again.
   */
  async finish(_secret: SecretEntity, _newValue: string, _ctx: RotatorContext, _step: RotationStep): Promise<void> {}
  /** The admin credential secret the settings name, if the rotator uses one. */
  adminSecretId(_secret: SecretEntity): string | null {
    return null;
  }
  /** Everything `apply` and `verify` need, checked without changing anything. */
  abstract check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]>;
}
