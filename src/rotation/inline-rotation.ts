import { Inject, Injectable } from '@nestjs/common';
import { generateValue, type SecretType } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { secretNotFound } from '../secrets/secrets.errors.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import type { RotationContext } from './attempt-context.js';
import type { RotationEntity } from './entities/rotation.entity.js';
import { failure, failureOf, RotationFailureCause } from './rotation-failure.js';
import { RotationOutcomes } from './rotation-outcomes.js';
import { RotationRecords } from './rotation-records.js';
import { RotationRetries } from './rotation-retries.js';
import { rotationInProgress } from './rotation.errors.js';

/**
 * A secret with no external target (the `generated` rotator): each attempt is one transaction
 * (new current version, rotation record, audit row), so a crash leaves the old value current or
 * the new one. A failed attempt leaves an in_progress record (attempts, last error) that the next
 * attempt, the background retry or RotationRecovery continues.
 */
@Injectable()
export class InlineRotation {
  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SecretsRepository) private readonly secrets: Pick<SecretsRepository, 'lock' | 'findLive' | 'markRotationStarted'>,
    @Inject(SecretVersions) private readonly versions: Pick<SecretVersions, 'append'>,
    private readonly records: RotationRecords,
    private readonly outcomes: RotationOutcomes,
    private readonly retries: RotationRetries,
  ) {}

  /** The first attempt and, when it fails for a reason that may pass, the rest (here or in the background). */
  async rotate(ctx: RotationContext): Promise<RotationEntity> {
    try {
      return await this.attempt(ctx, null, 1);
    } catch (e) {
      if (!this.retries.retryable(e)) throw e;
      const rotation = await this.recordFirstFailure(ctx, e);
      if (ctx.mode === 'first-attempt' && rotation.attempts < this.retries.maxAttempts) {
        return this.retries.inBackground(rotation, () => this.retry(rotation, { ...ctx, hooks: {}, mode: 'background' }));
      }
      return this.retry(rotation, ctx);
    }
  }

  /** The attempts after `rotation.attempts`, each after its backoff; fails the rotation after the last. */
  async retry(rotation: RotationEntity, ctx: RotationContext): Promise<RotationEntity> {
    for (let attempt = rotation.attempts + 1; attempt <= this.retries.maxAttempts; attempt++) {
      await this.retries.backoff(attempt, ctx.mode === 'background');
      try {
        return await this.attempt(ctx, rotation, attempt);
      } catch (e) {
        if (!this.retries.retryable(e)) return this.outcomes.fail(rotation, failureOf(e), ctx.actor, ctx.hooks);
        rotation = await this.uow.run((tx) => this.records.attemptFailed(rotation, failureOf(e), attempt, tx));
      }
    }
    return this.outcomes.fail(rotation, failure(rotation.failureCause ?? RotationFailureCause.Internal, rotation.lastError ?? 'failed'), ctx.actor, ctx.hooks);
  }

  /** One attempt in one transaction (in the caller's, for a bulk item in a batch). */
  attempt(ctx: RotationContext, existing: RotationEntity | null, attempt: number): Promise<RotationEntity> {
    return this.uow.run(async (tx) => {
      // NOWAIT: a concurrent rotation or write answers 409 at once instead of queueing.
      const secret = await this.secrets.lock(tx, ctx.secretId, { nowait: true, busy: () => rotationInProgress(ctx.secretId) });
      if (!secret) throw secretNotFound(ctx.secretId);
      // A staged rotation (or a retrying one) marks the secret in_progress while it runs.
      if (secret.rotationStatus === 'in_progress' && !existing) throw rotationInProgress(ctx.secretId);
      const value = ctx.req.value ?? generateValue(secret.secretType as SecretType);
      const rotation = existing ?? this.records.draft(secret, 'generated', ctx);
      rotation.fromVersion = rotation.fromVersion ?? secret.currentVersion;
      const row = await this.versions.append(tx, secret, value, ctx.actor.sub, 'current', { revokePrevious: ctx.req.emergency ?? rotation.emergency });
      return this.outcomes.complete(tx, secret, rotation, row, attempt, ctx.actor, ctx.hooks);
    });
  }

  /** The first attempt rolled back with its record: write the record now, in_progress with its error. */
  private recordFirstFailure(ctx: RotationContext, e: unknown): Promise<RotationEntity> {
    return this.uow.run(async (tx) => {
      const secret = await this.secrets.findLive(tx, ctx.secretId);
      if (!secret) throw secretNotFound(ctx.secretId);
      const rotation = await this.records.start(tx, this.records.draft(secret, 'generated', ctx));
      await this.secrets.markRotationStarted(tx, ctx.secretId);
      return this.records.attemptFailed(rotation, failureOf(e), 1, tx);
    });
  }
}
