import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { StoreConflictError, StoreUnavailableError } from '../secrets/store/secret-store.port.js';
import { RotatorTargetRefused } from './rotator-target.js';

/**
 * Why an attempt (and, for the last one, the rotation) failed. Saved with the rotation record
 * next to `last_error`, so what a caller is told does not depend on the wording of a message.
 */
export const RotationFailureCause = {
  /** The secret store (Vault) is sealed, unreachable or not configured. */
  StoreUnavailable: 'store_unavailable',
  /** The store's version changed concurrently (check-and-set failed). */
  StoreConflict: 'store_conflict',
  /** The target or the admin credential was refused by policy (allow-list, type): never retried. */
  TargetRefused: 'target_refused',
  /** The target failed a step (produce, apply, verify, finish) or was unreachable. */
  TargetFailed: 'target_failed',
  /** The value produced for the rotation is not a valid value of the secret's type. */
  UnusableValue: 'unusable_value',
  /** A crash interrupted the attempt before the staged value was verified. */
  Interrupted: 'interrupted',
  /** The secret was deleted (or is otherwise gone) during the rotation. */
  SecretGone: 'secret_gone',
  /** Another write or rotation holds the secret. */
  Conflict: 'conflict',
  /** Anything else (a database error, a bug). */
  Internal: 'internal',
} as const;
export type RotationFailureCause = (typeof RotationFailureCause)[keyof typeof RotationFailureCause];

export interface RotationFailure {
  cause: RotationFailureCause;
  /** Value-free, at most 1000 characters (the column's size). */
  message: string;
}

/** A rotator produced a value the secret's type does not accept. */
export class UnusableValue extends Error {}

/** Classifies what an attempt threw; `atTarget`: it was thrown by a step at an external target. */
export function failureOf(e: unknown, atTarget = false): RotationFailure {
  return { cause: causeOf(e, atTarget), message: messageOf(e) };
}

export const failure = (cause: RotationFailureCause, message: string): RotationFailure => ({ cause, message: message.slice(0, 1000) });

function messageOf(e: unknown): string {
  return ((e as Error | undefined)?.message || 'failed').slice(0, 1000);
}

function causeOf(e: unknown, atTarget: boolean): RotationFailureCause {
  if (e instanceof StoreUnavailableError) return RotationFailureCause.StoreUnavailable;
  if (e instanceof StoreConflictError) return RotationFailureCause.StoreConflict;
  if (e instanceof RotatorTargetRefused) return RotationFailureCause.TargetRefused;
  if (e instanceof UnusableValue) return RotationFailureCause.UnusableValue;
  if (e instanceof DomainError) {
    switch (e.code) {
      case DomainErrorCode.StoreUnavailable:
        return RotationFailureCause.StoreUnavailable;
      case DomainErrorCode.Conflict:
        return RotationFailureCause.StoreConflict;
      case DomainErrorCode.InvalidInput:
        // The rotators' refusals (an admin credential of the wrong type, a CA that cannot sign).
        return atTarget ? RotationFailureCause.TargetRefused : RotationFailureCause.UnusableValue;
      case DomainErrorCode.NotFound:
      case DomainErrorCode.Gone:
        return atTarget ? RotationFailureCause.TargetFailed : RotationFailureCause.SecretGone;
      case DomainErrorCode.RotationInProgress:
      case DomainErrorCode.VersionMismatch:
        return RotationFailureCause.Conflict;
      default:
        return atTarget ? RotationFailureCause.TargetFailed : RotationFailureCause.Internal;
    }
  }
  return atTarget ? RotationFailureCause.TargetFailed : RotationFailureCause.Internal;
}

/** A staged attempt that ends the rotation at once: a refused target stays refused. */
export const isFinal = (f: RotationFailure) => f.cause === RotationFailureCause.TargetRefused;

/**
 * The error a caller of POST …/rotate gets for a rotation that failed for good: the one place a
 * cause becomes a status (a new cause does not compile until it is mapped). The store being down
 * is the caller's 503 (try again later); everything else is the target's failure, 502.
 */
const FAILED_ROTATION_CODE: Record<RotationFailureCause, DomainErrorCode> = {
  store_unavailable: DomainErrorCode.StoreUnavailable,
  store_conflict: DomainErrorCode.StoreUnavailable,
  target_refused: DomainErrorCode.UpstreamFailed,
  target_failed: DomainErrorCode.UpstreamFailed,
  unusable_value: DomainErrorCode.UpstreamFailed,
  interrupted: DomainErrorCode.UpstreamFailed,
  secret_gone: DomainErrorCode.UpstreamFailed,
  conflict: DomainErrorCode.UpstreamFailed,
  internal: DomainErrorCode.UpstreamFailed,
};

export function failedRotationCode(cause: RotationFailureCause | null): DomainErrorCode {
  return FAILED_ROTATION_CODE[cause ?? RotationFailureCause.Internal];
}
