import { Inject, Injectable } from '@nestjs/common';
import { annotateAudit } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { canGenerate, type SecretType, validateUserValue } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { RunAlone } from '../tasks/task-handler.js';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import { secretNotFound } from '../secrets/secrets.errors.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { SecretStores } from '../secrets/store/secret-stores.js';
import { SecretConsumers } from '../secrets/secret-consumers.service.js';
import { Clock } from '../clock/clock.js';
import type { RotateOptions, RotationContext, RotationHooks, RotationRequest } from './attempt-context.js';
import { DryRunResponseDto, RotationResponseDto } from './dto/rotation-response.dto.js';
import type { RotationEntity, RotationTrigger } from './entities/rotation.entity.js';
import { InlineRotation } from './inline-rotation.js';
import { failedRotationCode } from './rotation-failure.js';
import { RotationRecords } from './rotation-records.js';
import { RotationResume } from './rotation-resume.js';
import { RotationRetries } from './rotation-retries.js';
import { cannotGenerate } from './rotation.errors.js';
import type { RotationCheck, Rotator } from './rotator.port.js';
import { RotatorRegistry } from './rotator-registry.js';
import { StagedRotation } from './staged-rotation.js';

export type { RotateOptions, RotationHooks, RotationRequest } from './attempt-context.js';

/**
 * Rotation as a state machine: pending → in_progress → completed | failed. This facade is the
 * API the controller, the bulk task and recovery use; it checks the request, picks the strategy
 * and leaves the work to the pieces (README.md): InlineRotation (no external target, one
 * transaction per attempt), StagedRotation (pending → apply → verify → promote, or revert),
 * RotationResume (what a crash left), RotationRecords (the only writer of `secret_rotations`),
 * RotationOutcomes (completion and failure), RotationRetries (backoff, background retries).
 */
@Injectable()
export class RotationService {
  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SecretsRepository) private readonly secrets: Pick<SecretsRepository, 'findLive'>,
    @Inject(SecretVersions) private readonly versions: Pick<SecretVersions, 'readCurrent'>,
    private readonly stores: SecretStores,
    private readonly registry: RotatorRegistry,
    private readonly records: RotationRecords,
    private readonly inline: InlineRotation,
    private readonly staged: StagedRotation,
    private readonly recovery: RotationResume,
    private readonly retries: RotationRetries,
    private readonly consumers: SecretConsumers,
    private readonly clock: Clock,
  ) {}

  async rotate(
    secretId: string,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    hooks: RotationHooks = {},
    options: RotateOptions = {},
  ): Promise<RotationEntity> {
    const secret = await this.loadLive(secretId);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    // The emergency alert names consumers still on the old version: this replica's noted reads
    // are written first (a no-op inside a batch's transaction).
    if (req.emergency) await this.consumers.flush();
    const rotator = this.registry.of(secret);
    this.checkRotatable(secret, req, rotator);
    if (rotator.external) await this.registry.checkSettings(secret, rotator);
    // A single attempt is asked for inside a batch transaction: staged rotations need their own.
    if (options.singleAttempt && rotator.external) throw new RunAlone();
    const ctx: RotationContext = { secretId, req, actor, trigger, hooks, mode: options.retryInBackground ? 'first-attempt' : 'all' };
    const rotation = rotator.external
      ? await this.staged.start(secret, rotator, ctx)
      : options.singleAttempt
        ? await this.inline.attempt(ctx, null, 1)
        : await this.inline.rotate(ctx);
    annotateAudit({ details: { rotation_id: rotation.id, status: rotation.status, attempts: rotation.attempts } });
    return rotation;
  }

  /**
   * Whether a secret can be rotated without a value from a person (its type is generated, or its
   * rotator builds the value), with the facts a caller lists it by. Undefined: no live secret.
   */
  async rotatability(secretId: string): Promise<{ id: string; name: string; secretType: string; generatable: boolean } | undefined> {
    const secret = await this.secrets.findLive(this.uow.manager(), secretId);
    if (!secret) return undefined;
    const generatable = canGenerate(secret.secretType as SecretType) || this.registry.of(secret).producesValues(secret);
    return { id: secret.id, name: secret.name, secretType: secret.secretType, generatable };
  }

  /** Ends background retries (shutdown): waits for an attempt in flight, not for the backoff. */
  stopBackgroundRetries(): Promise<void> {
    return this.retries.stop();
  }

  /** A rotation that failed for good, as the error a caller of POST …/rotate gets (status by its cause). */
  failureError(rotation: RotationEntity): DomainError {
    return new DomainError(
      failedRotationCode(rotation.failureCause),
      `rotation failed after ${rotation.attempts} attempt(s): ${rotation.lastError ?? 'unknown error'}; the previous value is still current`,
      { rotation: RotationResponseDto.from(rotation) },
    );
  }

  async dryRun(secretId: string, actor: Actor): Promise<DryRunResponseDto> {
    const secret = await this.loadLive(secretId);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    const rotator = this.registry.of(secret);
    const checks: RotationCheck[] = [];
    const produced = rotator.producesValues(secret);
    const generatable = produced || canGenerate(secret.secretType as SecretType);
    checks.push({
      check: 'new value can be produced',
      ok: generatable,
      detail: produced
        ? `the ${rotator.kind} rotator produces the new value`
        : generatable
          ? `${secret.secretType} values are generated`
          : `${secret.secretType} needs the new value in the request body`,
    });
    const active = await this.records.active(secretId);
    checks.push({ check: 'no rotation in progress', ok: !active, ...(active ? { detail: `rotation ${active.id} is ${active.status}` } : {}) });
    const health = await this.stores.for(secret.store).health();
    checks.push({ check: `${secret.store} store reachable`, ok: health.up, ...(health.detail ? { detail: health.detail } : {}) });
    if (rotator.external) {
      let current: string | undefined;
      try {
        current = await this.versions.readCurrent(this.uow.manager(), secret.id);
      } catch (e) {
        checks.push({ check: 'current value readable', ok: false, detail: (e as Error).message });
      }
      if (current !== undefined) checks.push(...(await rotator.check(secret, current, this.registry.contextFor(secret, actor, null))));
    }
    return { secret_id: secret.id, dry_run: true, ready: checks.every((c) => c.ok || c.check === 'new value can be produced'), rotator: rotator.kind, checks };
  }

  async history(secretId: string): Promise<RotationResponseDto[]> {
    const secret = await this.loadLive(secretId);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    const rotations = await this.records.history(secretId);
    const versions = [...new Set(rotations.flatMap((r) => (r.status === 'completed' && r.toVersion !== null ? [r.toVersion] : [])))];
    const moved = await this.consumers.movedTo(this.uow.manager(), secret.id, versions, this.clock.now());
    return rotations.map((r) => {
      const dto = RotationResponseDto.from(r);
      const counts = r.toVersion !== null && r.status === 'completed' ? moved.get(r.toVersion) : undefined;
      if (counts) dto.consumers = counts;
      return dto;
    });
  }

  /** Picks up rotations a crash left unfinished (not touched for ROTATION_RESUME_AFTER_SECONDS). */
  resumeInterrupted(): Promise<number> {
    return this.recovery.resumeInterrupted();
  }

  /**
   * For a task item that started rotation `ref` before a crash: resumes it when it is still
   * staged, or hands the finished one to `hooks.finished` (in a transaction of its own) so the item
   * records how it ended. False when no such rotation was recorded: the item starts afresh.
   */
  async continueStarted(ref: string, hooks: RotationHooks): Promise<boolean> {
    const started = await this.records.find(ref);
    if (!started) return false;
    if (started.status !== 'completed' && started.status !== 'failed') await this.recovery.resume(started, hooks);
    else if (hooks.finished) await this.uow.run((tx) => hooks.finished!(tx, started));
    return true;
  }

  private async loadLive(id: string): Promise<SecretEntity> {
    const secret = await this.secrets.findLive(this.uow.manager(), id);
    if (!secret) throw secretNotFound(id);
    return secret;
  }

  private checkRotatable(secret: SecretEntity, req: RotationRequest, rotator: Rotator): void {
    const type = secret.secretType as SecretType;
    if (req.value === undefined && !canGenerate(type) && !rotator.producesValues(secret)) throw cannotGenerate(type);
    if (req.value !== undefined) {
      const problem = validateUserValue(type, req.value);
      if (problem) throw new DomainError(DomainErrorCode.InvalidInput, problem, { errors: [{ field: 'value', problems: [problem] }] });
    }
  }
}
