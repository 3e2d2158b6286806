import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/auth.types.js';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import type { RotationEntity, RotationTrigger } from './entities/rotation.entity.js';
import type { Rotator } from './rotator.port.js';

export interface RotationRequest {
  value?: string;
  reason?: string;
  emergency?: boolean;
}

/** Hooks for callers that must commit their own state with the rotation (task items). */
export interface RotationHooks {
  /** Runs in the transaction that creates the rotation record of a staged rotation. */
  begun?(tx: EntityManager, rotationId: string): Promise<void>;
  /** Runs in the transaction that completes or fails the rotation. */
  finished?(tx: EntityManager, rotation: RotationEntity): Promise<void>;
}

export interface RotateOptions {
  /** One attempt, inside the caller's batch transaction (bulk task items). */
  singleAttempt?: boolean;
  /**
   * The caller is an HTTP request: make the first attempt now and, if it fails for a reason that
   * may pass (a store outage), answer with the unfinished rotation and retry in the background.
   */
  retryInBackground?: boolean;
}

/**
 * Where the attempts of a rotation run: `all` here (tasks, recovery); `first-attempt` here and the
 * rest in the background (an HTTP request); `background` is that continuation (ends at shutdown).
 */
export type AttemptMode = 'all' | 'first-attempt' | 'background';

/** Who asked for a rotation and how: passed whole through the attempts instead of long parameter lists. */
export interface RotationContext {
  secretId: string;
  req: RotationRequest;
  actor: Actor;
  trigger: RotationTrigger;
  hooks: RotationHooks;
  mode: AttemptMode;
}

/** A staged rotation under way: its record, the secret and the rotator at work. */
export interface StagedContext extends RotationContext {
  rotation: RotationEntity;
  secret: SecretEntity;
  rotator: Rotator;
}
