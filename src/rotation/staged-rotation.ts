import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { canGenerate, generateValue, type SecretType, validateUserValue } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import { secretNotFound } from '../secrets/secrets.errors.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import type { RotationContext, StagedContext } from './attempt-context.js';
import type { RotationEntity } from './entities/rotation.entity.js';
import { failure, failureOf, isFinal, type RotationFailure, RotationFailureCause, UnusableValue } from './rotation-failure.js';
import { RotationOutcomes } from './rotation-outcomes.js';
import { RotationRecords } from './rotation-records.js';
import { RotationRetries } from './rotation-retries.js';
import { rotationInProgress } from './rotation.errors.js';
import type { RotationStep, Rotator, ValueFacts } from './rotator.port.js';
import { RotatorRegistry } from './rotator-registry.js';

/**
 * A secret whose value also lives at an external target: each attempt commits the new value as
 * a pending version, then `apply` → `verify` → `finish` at the target, then promotes it. Any
 * failure reverts the target to the old value and destroys the pending version. Every step
 * commits on its own, so a crash can be resumed from the database alone (`continue`).
 */
@Injectable()
export class StagedRotation {
  private readonly logger = new Logger('RotationService');

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SecretsRepository) private readonly secrets: Pick<SecretsRepository, 'lock' | 'find' | 'markRotationStarted'>,
    @Inject(SecretVersions)
    private readonly versions: Pick<SecretVersions, 'append' | 'promote' | 'destroy' | 'pendingOf' | 'find' | 'valueOf' | 'readCurrent'>,
    private readonly records: RotationRecords,
    private readonly outcomes: RotationOutcomes,
    private readonly retries: RotationRetries,
    private readonly registry: RotatorRegistry,
  ) {}

  /** Creates the in_progress record (409 when another rotation or write holds the secret), then runs the attempts. */
  async start(secret: SecretEntity, rotator: Rotator, ctx: RotationContext): Promise<RotationEntity> {
    const rotation = await this.uow.run(async (tx) => {
      const locked = await this.lock(tx, secret.id, true);
      const record = await this.records.start(tx, this.records.draft(locked, rotator.kind, ctx));
      await this.secrets.markRotationStarted(tx, secret.id);
      await ctx.hooks.begun?.(tx, record.id);
      return record;
    });
    return this.continue({ ...ctx, rotation, secret, rotator });
  }

  /** Runs the remaining attempts of a started rotation; first finishes or undoes a staged value a crash left. */
  async continue(sc: StagedContext): Promise<RotationEntity> {
    const { secret, rotator, actor, hooks } = sc;
    let rotation = sc.rotation;
    const ctx = this.registry.contextFor(secret, actor, rotation.id);
    const oldValue = await this.versions.readCurrent(this.uow.manager(), secret.id);

    // A crash after staging: if the pending value already works at the target, finish and promote it.
    const [staged] = await this.versions.pendingOf(this.uow.manager(), secret.id);
    if (staged) {
      const step = stepOf(rotation, rotation.attempts);
      const pendingValue = await this.versions.valueOf(this.uow.manager(), secret, staged);
      try {
        await rotator.verify(secret, pendingValue, ctx, step);
        await rotator.finish(secret, pendingValue, ctx, step);
        return await this.promote(sc, staged.version, rotation.attempts, rotator.describeValue(secret, pendingValue));
      } catch {
        await rotator.revert(secret, oldValue, ctx, step).catch(() => undefined);
        rotation = await this.discardPending(rotation, secret.id, failure(RotationFailureCause.Interrupted, 'interrupted before the new value was verified'));
      }
    }

    for (let attempt = rotation.attempts + 1; attempt <= this.retries.maxAttempts; attempt++) {
      if (attempt > 1 && sc.mode === 'first-attempt') {
        return this.retries.inBackground(rotation, () => this.continue({ ...sc, rotation, hooks: {}, mode: 'background' }));
      }
      if (attempt > 1) await this.retries.backoff(attempt, sc.mode === 'background');
      const step = stepOf(rotation, attempt);
      let produced: string | null = null;
      if (sc.req.value === undefined) {
        try {
          // Before staging: a crash here resumes with the same step, and the target answers again.
          produced = await rotator.produce(secret, ctx, step, oldValue);
          const problem = produced === null ? cannotGenerateProblem(secret) : validateUserValue(secret.secretType as SecretType, produced);
          if (problem) throw new UnusableValue(`the new value is not usable: ${problem}`);
        } catch (e) {
          const failed = failureOf(e, true);
          rotation = await this.records.attemptFailed(rotation, failed, attempt);
          if (isFinal(failed)) break;
          continue;
        }
      }
      const { row, value } = await this.uow.run(async (tx) => {
        const locked = await this.lock(tx, secret.id, false);
        const newValue = sc.req.value ?? produced ?? generateValue(locked.secretType as SecretType);
        const pending = await this.versions.append(tx, locked, newValue, actor.sub, 'pending');
        await this.records.staged(tx, rotation, attempt, pending.version);
        return { row: pending, value: newValue };
      });
      let facts: ValueFacts;
      try {
        await rotator.apply(secret, value, ctx, step);
        await rotator.verify(secret, value, ctx, step);
        await rotator.finish(secret, value, ctx, step);
        facts = rotator.describeValue(secret, value);
      } catch (e) {
        // Put the old value back so whatever uses it keeps working, then drop the staged value.
        await rotator.revert(secret, oldValue, ctx, step).catch((re: Error) => this.logger.error(`revert of ${secret.id} failed: ${re.message}`));
        const failed = failureOf(e, true);
        rotation = await this.discardPending(rotation, secret.id, failed);
        // A refused target or admin credential stays refused: no further attempts.
        if (isFinal(failed)) break;
        continue;
      }
      return this.promote({ ...sc, rotation }, row.version, attempt, facts);
    }
    return this.outcomes.fail(rotation, failure(rotation.failureCause ?? RotationFailureCause.Internal, rotation.lastError ?? 'failed'), actor, hooks);
  }

  private promote(sc: StagedContext, version: number, attempt: number, facts: ValueFacts): Promise<RotationEntity> {
    return this.uow.run(async (tx) => {
      const secret = await this.lock(tx, sc.secret.id, false);
      const row = await this.versions.find(tx, secret.id, version);
      await this.versions.promote(tx, secret, row, { revokePrevious: sc.rotation.emergency });
      return this.outcomes.complete(tx, secret, sc.rotation, row, attempt, sc.actor, sc.hooks, facts);
    });
  }

  private discardPending(rotation: RotationEntity, secretId: string, failed: RotationFailure): Promise<RotationEntity> {
    return this.uow.run(async (tx) => {
      const secret = await this.secrets.find(tx, secretId);
      if (!secret) throw secretNotFound(secretId);
      await this.versions.destroy(tx, secret, await this.versions.pendingOf(tx, secretId));
      return this.records.attemptFailed(rotation, failed, undefined, tx);
    });
  }

  /** The secret's row lock; `nowait` when starting, so a concurrent rotation or write is 409 at once. */
  private async lock(tx: EntityManager, id: string, nowait: boolean): Promise<SecretEntity> {
    const secret = await this.secrets.lock(tx, id, { nowait, busy: () => rotationInProgress(id) });
    if (!secret) throw secretNotFound(id);
    return secret;
  }
}

const stepOf = (rotation: RotationEntity, attempt: number): RotationStep => ({ rotationId: rotation.id, versionId: `${rotation.id}.${attempt}` });

function cannotGenerateProblem(secret: SecretEntity): string | null {
  return canGenerate(secret.secretType as SecretType) ? null : `the rotator returned no value and ${secret.secretType} values cannot be generated`;
}
