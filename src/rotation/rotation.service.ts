import { randomBytes } from 'node:crypto';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { annotateAudit, auditOrigin } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { addDays, Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import { canGenerate, generateValue, type SecretType, validateUserValue } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { RunAlone } from '../tasks/task-handler.js';
import { Metrics } from '../metrics/metrics.service.js';
import { SecretEntity } from '../secrets/entities/secret.entity.js';
import { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import { secretNotFound } from '../secrets/secrets.errors.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { SecretStores } from '../secrets/store/secret-stores.js';
import { DryRunResponseDto, RotationResponseDto } from './dto/rotation-response.dto.js';
import { RotationEntity, type RotationTrigger } from './entities/rotation.entity.js';
import { backoffDelayMs } from './retry-policy.js';
import { adminCredentialProblem } from './admin-credential.js';
import { cannotGenerate, rotationInProgress } from './rotation.errors.js';
import type { RotationCheck, RotationStep, Rotator, RotatorContext, ValueFacts } from './rotator.port.js';
import { RotatorTargetPolicy, RotatorTargetRefused } from './rotator-target.js';
import { rotatorSettingsProblems } from './rotator-settings.js';
import { HttpRotator } from './rotators/http/http.rotator.js';
import { MysqlUserRotator } from './rotators/mysql-user/mysql-user.rotator.js';
import { RedisAclRotator } from './rotators/redis-acl/redis-acl.rotator.js';
import { SshKeyRotator } from './rotators/ssh-key/ssh-key.rotator.js';
import { OAuthClientCredentialsRotator, OAuthRefreshTokenRotator } from './rotators/oauth/oauth.rotator.js';
import { InternalCaRotator } from './rotators/internal-ca/internal-ca.rotator.js';
import { GeneratedRotator } from './rotators/generated/generated.rotator.js';
import { PostgresRoleRotator } from './rotators/postgres-role/postgres-role.rotator.js';

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

const LOCK_NOT_AVAILABLE = '55P03';
const UNIQUE_VIOLATION = '23505';
const driverCode = (e: unknown) => (e as { driverError?: { code?: string } }).driverError?.code;
const NOT_RETRYABLE = new Set<string>([
  DomainErrorCode.NotFound,
  DomainErrorCode.InvalidInput,
  DomainErrorCode.RotationInProgress,
  DomainErrorCode.Gone,
  DomainErrorCode.AuditUnavailable,
]);
const newRotationId = () => `rot_${randomBytes(12).toString('base64url')}`;

/** Background retries end at shutdown; the rotation stays unfinished and RotationRecovery resumes it. */
class RetriesStopped extends Error {}

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
 * Rotation as a state machine: pending → in_progress → completed | failed.
 *
 * A secret with no external target rotates in one transaction (new version, promotion, rotation
 * record, audit row): a crash leaves the old or the new value current, never neither. A secret
 * with an external rotator (a PostgreSQL role) is staged: the new value is committed as a pending
 * version before it is applied at the target, promoted only after a login with it succeeds, and
 * the old value is put back at the target when anything fails. Failures retry with exponential
 * backoff and jitter, each attempt with a fresh value; unfinished rotations left by a crash are
 * resumed (`resumeInterrupted`).
 */
@Injectable()
export class RotationService {
  private readonly logger = new Logger(RotationService.name);
  private readonly rotators = new Map<string, Rotator>();
  /** Retries running in the background (after an HTTP request answered with the unfinished rotation). */
  private readonly retrying = new Set<Promise<void>>();
  private stopping = false;
  private wakeSleepers = new AbortController();
  private readonly targets: RotatorTargetPolicy;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly versions: SecretVersions,
    private readonly stores: SecretStores,
    private readonly audit: AuditLog,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Optional() private readonly alerts?: SecurityAlerts,
  ) {
    const { allowedHosts, connectTimeoutMs, statementTimeoutMs } = config.rotators;
    const targets = (this.targets = new RotatorTargetPolicy(allowedHosts, connectTimeoutMs));
    for (const r of [
      new GeneratedRotator(),
      new PostgresRoleRotator(targets, { connectTimeoutMs, statementTimeoutMs }),
      new HttpRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs }),
      new MysqlUserRotator(targets, { connectTimeoutMs, statementTimeoutMs }),
      new RedisAclRotator(targets, { connectTimeoutMs, statementTimeoutMs }),
      new SshKeyRotator(new HttpRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs })),
      new InternalCaRotator(),
      new OAuthClientCredentialsRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs }),
      new OAuthRefreshTokenRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs }),
    ])
      this.rotators.set(r.kind, r);
  }

  async rotate(
    secretId: string,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    hooks: RotationHooks = {},
    options: RotateOptions = {},
  ): Promise<RotationEntity> {
    const secret = await this.loadLive(this.uow.manager(), secretId);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    const rotator = this.rotatorOf(secret);
    this.checkRotatable(secret, req, rotator);
    if (rotator.external) await this.checkRotatorSettings(secret, rotator);
    // A single attempt is asked for inside a batch transaction: staged rotations need their own.
    if (options.singleAttempt && rotator.external) throw new RunAlone();
    const background = options.retryInBackground ?? false;
    const rotation = rotator.external
      ? await this.rotateStaged(secret, rotator, req, actor, trigger, hooks, background)
      : options.singleAttempt
        ? await this.inlineAttempt(secretId, req, actor, trigger, null, 1, hooks)
        : await this.rotateInline(secretId, req, actor, trigger, hooks, background);
    annotateAudit({ details: { rotation_id: rotation.id, status: rotation.status, attempts: rotation.attempts } });
    return rotation;
  }

  /** Ends background retries (shutdown): waits for an attempt in flight, not for the backoff. */
  async stopBackgroundRetries(): Promise<void> {
    this.stopping = true;
    this.wakeSleepers.abort();
    await Promise.all([...this.retrying]);
  }

  /** Runs the remaining attempts of `rotation` after the request that started it has answered. */
  private retryLater(rotation: RotationEntity, work: () => Promise<RotationEntity>): RotationEntity {
    const done: Promise<void> = work()
      .then((r) => void this.logger.log(`rotation ${r.id} of ${r.secretId} ${r.status} after ${r.attempts} attempt(s)`))
      .catch((e: unknown) => {
        if (e instanceof RetriesStopped) this.logger.log(`rotation ${rotation.id} left for recovery at shutdown`);
        else this.logger.error(`background retry of rotation ${rotation.id} failed: ${(e as Error).message}`);
      })
      .finally(() => this.retrying.delete(done));
    this.retrying.add(done);
    return rotation;
  }

  /** The backoff before `attempt`; a background retry is cut short (and ended) by shutdown. */
  private async backoff(attempt: number, interruptible: boolean): Promise<void> {
    // Each attempt refreshes the rotation's heartbeat; waiting at most half the resume threshold keeps
    // a rotation that is still retrying from looking abandoned to RotationRecovery on another replica.
    const ms = Math.min(
      backoffDelayMs(attempt - 1, this.config.rotation.retryBaseDelayMs),
      (this.config.rotation.resumeAfterSeconds * 1000) / 2,
    );
    if (!interruptible) return this.clock.sleep(ms);
    if (this.stopping) throw new RetriesStopped();
    const signal = this.wakeSleepers.signal;
    await Promise.race([this.clock.sleep(ms), new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
    if (this.stopping) throw new RetriesStopped();
  }

  /** A rotation that failed for good, as the HTTP error a caller of POST …/rotate gets. */
  failureError(rotation: RotationEntity): DomainError {
    return new DomainError(
      rotation.lastError?.includes('Vault') ? DomainErrorCode.StoreUnavailable : DomainErrorCode.UpstreamFailed,
      `rotation failed after ${rotation.attempts} attempt(s): ${rotation.lastError ?? 'unknown error'}; the previous value is still current`,
      { rotation: RotationResponseDto.from(rotation) },
    );
  }

  async dryRun(secretId: string, actor: Actor): Promise<DryRunResponseDto> {
    const tx = this.uow.manager();
    const secret = await this.loadLive(tx, secretId);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    const rotator = this.rotatorOf(secret);
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
    const active = await tx.getRepository(RotationEntity).findOneBy({ secretId, status: In(['pending', 'in_progress']) });
    checks.push({ check: 'no rotation in progress', ok: !active, ...(active ? { detail: `rotation ${active.id} is ${active.status}` } : {}) });
    const health = await this.stores.for(secret.store).health();
    checks.push({ check: `${secret.store} store reachable`, ok: health.up, ...(health.detail ? { detail: health.detail } : {}) });
    if (rotator.external) {
      let current: string | undefined;
      try {
        current = await this.readValue(secret.id);
      } catch (e) {
        checks.push({ check: 'current value readable', ok: false, detail: (e as Error).message });
      }
      if (current !== undefined) checks.push(...(await rotator.check(secret, current, this.rotatorContext(secret, actor, null))));
    }
    return { secret_id: secret.id, dry_run: true, ready: checks.every((c) => c.ok || c.check === 'new value can be produced'), rotator: rotator.kind, checks };
  }

  async history(secretId: string): Promise<RotationResponseDto[]> {
    const tx = this.uow.manager();
    const secret = await this.loadLive(tx, secretId);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    const rows = await tx.getRepository(RotationEntity).find({ where: { secretId }, order: { createdAt: 'DESC' }, take: 500 });
    return rows.map((r) => RotationResponseDto.from(r));
  }

  /** Picks up rotations a crash left unfinished (not touched for ROTATION_RESUME_AFTER_SECONDS). */
  async resumeInterrupted(): Promise<number> {
    const staleBefore = new Date(this.clock.now().getTime() - this.config.rotation.resumeAfterSeconds * 1000);
    const candidates = await this.uow
      .manager()
      .getRepository(RotationEntity)
      .createQueryBuilder('r')
      .where("r.status IN ('pending', 'in_progress') AND r.updated_at < :staleBefore", { staleBefore })
      .getMany();
    let resumed = 0;
    for (const rotation of candidates) {
      // Claim it: only the replica whose update matches the old heartbeat resumes it.
      const claimed = (await this.uow
        .manager()
        .query('UPDATE secret_rotations SET updated_at = $3 WHERE id = $1 AND updated_at = $2', [rotation.id, rotation.updatedAt, this.clock.now()])) as [unknown, number];
      if (claimed[1] !== 1) continue;
      resumed += 1;
      try {
        await this.resume(rotation);
      } catch (e) {
        this.logger.error(`resuming rotation ${rotation.id} failed: ${(e as Error).message}`);
      }
    }
    return resumed;
  }

  /** Continues one unfinished rotation (also used by task items that started it). */
  async resume(rotation: RotationEntity, hooks: RotationHooks = {}): Promise<RotationEntity> {
    if (rotation.status === 'completed' || rotation.status === 'failed') return rotation;
    const secret = await this.uow.manager().getRepository(SecretEntity).findOneBy({ id: rotation.secretId });
    const actor = { sub: rotation.triggeredBy, roles: [], mfa: false } as unknown as Actor;
    if (!secret || secret.deletedAt) return this.fail(rotation, 'the secret was deleted during the rotation', actor, hooks);
    const rotator = this.rotators.get(rotation.rotator) ?? this.rotatorOf(secret);
    if (rotator.external) return this.continueStaged(rotation, secret, rotator, {}, actor, hooks);
    return this.retryInline(rotation, {}, actor, rotation.trigger, hooks);
  }

  rotatorOf(secret: SecretEntity): Rotator {
    return this.rotators.get(secret.rotator?.kind ?? 'generated')!;
  }

  // --- inline (no external target) ---------------------------------------------------------

  private async rotateInline(
    secretId: string,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    hooks: RotationHooks,
    background = false,
  ): Promise<RotationEntity> {
    try {
      return await this.inlineAttempt(secretId, req, actor, trigger, null, 1, hooks);
    } catch (e) {
      if (!this.retryable(e)) throw e;
      const rotation = await this.recordFailedAttempt(null, secretId, 'generated', req, actor, trigger, 1, e);
      if (background && rotation.attempts < this.config.rotation.maxAttempts) {
        const snapshot = Object.assign(new RotationEntity(), rotation);
        return this.retryLater(snapshot, () => this.retryInline(rotation, req, actor, trigger, {}, true));
      }
      return this.retryInline(rotation, req, actor, trigger, hooks);
    }
  }

  private async retryInline(
    rotation: RotationEntity,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    hooks: RotationHooks,
    background = false,
  ): Promise<RotationEntity> {
    for (let attempt = rotation.attempts + 1; attempt <= this.config.rotation.maxAttempts; attempt++) {
      await this.backoff(attempt, background);
      try {
        return await this.inlineAttempt(rotation.secretId, req, actor, trigger, rotation, attempt, hooks);
      } catch (e) {
        if (!this.retryable(e)) return this.fail(rotation, (e as Error).message, actor, hooks);
        rotation = await this.recordFailedAttempt(rotation, rotation.secretId, 'generated', req, actor, trigger, attempt, e);
      }
    }
    return this.fail(rotation, rotation.lastError ?? 'failed', actor, hooks);
  }

  private inlineAttempt(
    secretId: string,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    existing: RotationEntity | null,
    attempt: number,
    hooks: RotationHooks,
  ): Promise<RotationEntity> {
    return this.uow.run(async (tx) => {
      const secret = await this.lockLive(tx, secretId);
      // A staged rotation (or a retrying one) marks the secret in_progress while it runs.
      if (secret.rotationStatus === 'in_progress' && !existing) throw rotationInProgress(secretId);
      const value = req.value ?? generateValue(secret.secretType as SecretType);
      const now = this.clock.now();
      const rotation = existing ?? this.newRecord(secret, 'generated', req, actor, trigger, now);
      rotation.fromVersion = rotation.fromVersion ?? secret.currentVersion;
      // Straight to current: the one UPDATE of the secret row happens in complete().
      const row = await this.versions.append(tx, secret, value, actor.sub, 'current', {
        revokePrevious: req.emergency ?? rotation.emergency,
        touchSecret: false,
      });
      return this.complete(tx, secret, rotation, row, attempt, actor, hooks);
    });
  }

  // --- staged (external target) --------------------------------------------------------------

  private async rotateStaged(
    secret: SecretEntity,
    rotator: Rotator,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    hooks: RotationHooks,
    background = false,
  ): Promise<RotationEntity> {
    const rotation = await this.uow.run(async (tx) => {
      const locked = await this.lockLive(tx, secret.id);
      const now = this.clock.now();
      const record = this.newRecord(locked, rotator.kind, req, actor, trigger, now);
      record.status = 'in_progress';
      record.startedAt = now;
      await this.insertRecord(tx, record);
      await tx.query("UPDATE secrets SET rotation_status = 'in_progress' WHERE id = $1", [secret.id]);
      await hooks.begun?.(tx, record.id);
      return record;
    });
    return this.continueStaged(rotation, secret, rotator, req, actor, hooks, background ? 'first-attempt' : 'all');
  }

  /**
   * `attempts`: 'all' runs every attempt here; 'first-attempt' (an HTTP request) hands the rest to
   * the background and returns the unfinished rotation; 'background' is that continuation.
   */
  private async continueStaged(
    rotation: RotationEntity,
    secret: SecretEntity,
    rotator: Rotator,
    req: RotationRequest,
    actor: Actor,
    hooks: RotationHooks,
    attempts: 'all' | 'first-attempt' | 'background' = 'all',
  ): Promise<RotationEntity> {
    const ctx = this.rotatorContext(secret, actor, rotation.id);
    const oldValue = await this.readValue(secret.id);

    // A crash after staging: if the pending value already works at the target, finish and promote it.
    const staged = await this.pendingVersion(secret.id);
    if (staged) {
      const step = this.step(rotation, rotation.attempts);
      const pendingValue = await this.readVersionValue(secret, staged);
      try {
        await rotator.verify(secret, pendingValue, ctx, step);
        await rotator.finish(secret, pendingValue, ctx, step);
        return await this.promoteStaged(rotation, secret.id, staged.version, rotation.attempts, actor, hooks, rotator.describeValue(secret, pendingValue));
      } catch {
        await rotator.revert(secret, oldValue, ctx, step).catch(() => undefined);
        await this.discardPending(rotation, secret.id, 'interrupted before the new value was verified');
      }
    }

    for (let attempt = rotation.attempts + 1; attempt <= this.config.rotation.maxAttempts; attempt++) {
      if (attempt > 1 && attempts === 'first-attempt') {
        const snapshot = Object.assign(new RotationEntity(), rotation);
        return this.retryLater(snapshot, () => this.continueStaged(rotation, secret, rotator, req, actor, {}, 'background'));
      }
      if (attempt > 1) await this.backoff(attempt, attempts === 'background');
      const step = this.step(rotation, attempt);
      let produced: string | null = null;
      if (req.value === undefined) {
        try {
          // Before staging: a crash here resumes with the same step, and the target answers again.
          produced = await rotator.produce(secret, ctx, step, oldValue);
          const problem = produced === null ? this.cannotGenerateProblem(secret) : validateUserValue(secret.secretType as SecretType, produced);
          if (problem) throw new Error(`the new value is not usable: ${problem}`);
        } catch (e) {
          rotation = await this.recordStepError(rotation, attempt, e);
          if (e instanceof DomainError && e.code === DomainErrorCode.InvalidInput) break;
          continue;
        }
      }
      const { row, value } = await this.uow.run(async (tx) => {
        const locked = await this.lockLive(tx, secret.id, false);
        const newValue = req.value ?? produced ?? generateValue(locked.secretType as SecretType);
        const pending = await this.versions.append(tx, locked, newValue, actor.sub, 'pending');
        await tx.query('UPDATE secret_rotations SET attempts = $2, to_version = $3, updated_at = $4 WHERE id = $1', [
          rotation.id,
          attempt,
          pending.version,
          this.clock.now(),
        ]);
        return { row: pending, value: newValue };
      });
      rotation.attempts = attempt;
      let facts: ValueFacts;
      try {
        await rotator.apply(secret, value, ctx, step);
        await rotator.verify(secret, value, ctx, step);
        await rotator.finish(secret, value, ctx, step);
        facts = rotator.describeValue(secret, value);
      } catch (e) {
        // Put the old value back so whatever uses it keeps working, then drop the staged value.
        await rotator.revert(secret, oldValue, ctx, step).catch((re: Error) => this.logger.error(`revert of ${secret.id} failed: ${re.message}`));
        rotation = await this.discardPending(rotation, secret.id, (e as Error).message);
        // A refused target or admin credential stays refused: no further attempts.
        if (e instanceof DomainError && e.code === DomainErrorCode.InvalidInput) break;
        continue;
      }
      return this.promoteStaged(rotation, secret.id, row.version, attempt, actor, hooks, facts);
    }
    return this.fail(rotation, rotation.lastError ?? 'failed', actor, hooks);
  }

  private step(rotation: RotationEntity, attempt: number): RotationStep {
    return { rotationId: rotation.id, versionId: `${rotation.id}.${attempt}` };
  }

  private cannotGenerateProblem(secret: SecretEntity): string | null {
    return canGenerate(secret.secretType as SecretType) ? null : `the rotator returned no value and ${secret.secretType} values cannot be generated`;
  }

  /** An attempt that failed before anything was staged (the target did not issue a value). */
  private async recordStepError(rotation: RotationEntity, attempt: number, e: unknown): Promise<RotationEntity> {
    const now = this.clock.now();
    Object.assign(rotation, { attempts: attempt, lastError: ((e as Error).message ?? 'failed').slice(0, 1000), updatedAt: now });
    await this.uow.manager().getRepository(RotationEntity).update({ id: rotation.id }, { attempts: attempt, lastError: rotation.lastError, updatedAt: now });
    return rotation;
  }

  private promoteStaged(rotation: RotationEntity, secretId: string, version: number, attempt: number, actor: Actor, hooks: RotationHooks, facts: ValueFacts) {
    return this.uow.run(async (tx) => {
      const secret = await this.lockLive(tx, secretId, false);
      const row = await tx.getRepository(SecretVersionEntity).findOneByOrFail({ secretId, version });
      await this.versions.promote(tx, secret, row, { revokePrevious: rotation.emergency });
      return this.complete(tx, secret, rotation, row, attempt, actor, hooks, facts);
    });
  }

  private async discardPending(rotation: RotationEntity, secretId: string, error: string): Promise<RotationEntity> {
    return this.uow.run(async (tx) => {
      const secret = await tx.getRepository(SecretEntity).findOneByOrFail({ id: secretId });
      const pending = await tx.getRepository(SecretVersionEntity).findBy({ secretId, state: 'pending' });
      await this.versions.destroy(tx, secret, pending);
      rotation.lastError = error.slice(0, 1000);
      rotation.updatedAt = this.clock.now();
      await tx.getRepository(RotationEntity).update({ id: rotation.id }, { lastError: rotation.lastError, updatedAt: rotation.updatedAt });
      return rotation;
    });
  }

  // --- shared steps ---------------------------------------------------------------------------

  private async complete(
    tx: EntityManager,
    secret: SecretEntity,
    rotation: RotationEntity,
    row: SecretVersionEntity,
    attempt: number,
    actor: Actor,
    hooks: RotationHooks,
    facts: ValueFacts = {},
  ): Promise<RotationEntity> {
    const now = this.clock.now();
    const interval = secret.rotationIntervalDays ?? this.config.secrets.defaultRotationIntervalDays;
    const byInterval = addDays(now, interval);
    const nextRotation = facts.renewAt && facts.renewAt < byInterval ? facts.renewAt : byInterval;
    await tx.query(
      // A secret rotated because it expired gets the new value's lifetime: valid until the next rotation.
      `UPDATE secrets SET last_rotated_at = $2, next_rotation_at = $3, rotation_status = 'completed', updated_at = $2,
         expires_at = CASE WHEN expires_at <= $2 THEN $3 ELSE expires_at END,
         current_version = $4, current_store_version = $5
       WHERE id = $1`,
      [secret.id, now, nextRotation, row.version, row.storeVersion],
    );
    // The new value's own facts (a certificate's notAfter, a public key), in the same transaction.
    if (facts.expiresAt) await tx.query('UPDATE secrets SET expires_at = $2 WHERE id = $1', [secret.id, facts.expiresAt]);
    if (facts.tags) await tx.query('UPDATE secrets SET tags = tags || $2::jsonb WHERE id = $1', [secret.id, JSON.stringify(facts.tags)]);
    Object.assign(rotation, {
      status: 'completed',
      attempts: attempt,
      toVersion: row.version,
      startedAt: rotation.startedAt ?? now,
      finishedAt: now,
      updatedAt: now,
    });
    await tx.getRepository(RotationEntity).upsert(rotation, ['id']);
    await this.audit.record({
      ...this.origin(actor),
      action: AuditAction.SecretRotated,
      outcome: 'success',
      secretId: secret.id,
      secretName: secret.name,
      details: { rotation_id: rotation.id, trigger: rotation.trigger, from_version: rotation.fromVersion, to_version: row.version, attempts: attempt, emergency: rotation.emergency, ...(facts.tags ?? {}) },
    });
    await hooks.finished?.(tx, rotation);
    this.metrics.rotationSucceeded();
    return rotation;
  }

  private async fail(rotation: RotationEntity, error: string, actor: Actor, hooks: RotationHooks): Promise<RotationEntity> {
    const failed = await this.uow.run(async (tx) => {
      const now = this.clock.now();
      const secret = await tx.getRepository(SecretEntity).findOneBy({ id: rotation.secretId });
      const pending = await tx.getRepository(SecretVersionEntity).findBy({ secretId: rotation.secretId, state: 'pending' });
      if (secret) await this.versions.destroy(tx, secret, pending);
      Object.assign(rotation, { status: 'failed', lastError: error.slice(0, 1000), finishedAt: now, updatedAt: now });
      await tx.getRepository(RotationEntity).save(rotation);
      await tx.query("UPDATE secrets SET rotation_status = 'failed', updated_at = $2 WHERE id = $1", [rotation.secretId, now]);
      await this.audit.record({
        ...this.origin(actor),
        action: AuditAction.SecretRotationFailed,
        outcome: 'error',
        secretId: rotation.secretId,
        secretName: secret?.name ?? null,
        details: { rotation_id: rotation.id, trigger: rotation.trigger, attempts: rotation.attempts, reason: rotation.lastError },
      });
      await hooks.finished?.(tx, rotation);
      return rotation;
    });
    this.metrics.rotationFailed('rotate');
    await this.alerts
      ?.raise({
        kind: AlertKind.RotationFailed,
        severity: 'critical',
        summary: `Rotation of secret ${failed.secretId} failed after ${failed.attempts} attempt(s)`,
        details: { secret_id: failed.secretId, rotation_id: failed.id, attempts: failed.attempts, reason: failed.lastError, trigger: failed.trigger },
      })
      .catch(() => undefined);
    this.logger.warn(`rotation ${failed.id} of ${failed.secretId} failed for good: ${failed.lastError}`);
    return failed;
  }

  private async recordFailedAttempt(
    existing: RotationEntity | null,
    secretId: string,
    rotator: string,
    req: RotationRequest,
    actor: Actor,
    trigger: RotationTrigger,
    attempt: number,
    error: unknown,
  ): Promise<RotationEntity> {
    const message = ((error as Error).message ?? 'failed').slice(0, 1000);
    return this.uow.run(async (tx) => {
      const now = this.clock.now();
      let rotation = existing;
      if (!rotation) {
        const secret = await this.loadLive(tx, secretId);
        rotation = this.newRecord(secret, rotator, req, actor, trigger, now);
        Object.assign(rotation, { status: 'in_progress', startedAt: now });
        await this.insertRecord(tx, rotation);
        await tx.query("UPDATE secrets SET rotation_status = 'in_progress' WHERE id = $1", [secretId]);
      }
      Object.assign(rotation, { attempts: attempt, lastError: message, updatedAt: now });
      await tx.getRepository(RotationEntity).update({ id: rotation.id }, { attempts: attempt, lastError: message, updatedAt: now });
      return rotation;
    });
  }

  private newRecord(secret: SecretEntity, rotator: string, req: RotationRequest, actor: Actor, trigger: RotationTrigger, now: Date): RotationEntity {
    return Object.assign(new RotationEntity(), {
      id: newRotationId(),
      secretId: secret.id,
      status: 'pending',
      trigger: req.emergency ? 'emergency' : trigger,
      triggeredBy: actor.sub,
      rotator,
      emergency: req.emergency ?? false,
      reason: req.reason ?? null,
      attempts: 0,
      lastError: null,
      fromVersion: secret.currentVersion,
      toVersion: null,
      createdAt: now,
      startedAt: now,
      updatedAt: now,
      finishedAt: null,
    } satisfies Partial<RotationEntity>);
  }

  private async insertRecord(tx: EntityManager, record: RotationEntity): Promise<void> {
    try {
      await tx.getRepository(RotationEntity).insert(record);
    } catch (e) {
      if (driverCode(e) === UNIQUE_VIOLATION) throw rotationInProgress(record.secretId);
      throw e;
    }
  }

  private checkRotatable(secret: SecretEntity, req: RotationRequest, rotator: Rotator): void {
    const type = secret.secretType as SecretType;
    if (req.value === undefined && !canGenerate(type) && !rotator.producesValues(secret)) throw cannotGenerate(type);
    if (req.value !== undefined) {
      const problem = validateUserValue(type, req.value);
      if (problem) throw new DomainError(DomainErrorCode.InvalidInput, problem, { errors: [{ field: 'value', problems: [problem] }] });
    }
  }

  private retryable(e: unknown): boolean {
    if (e instanceof DomainError) return !NOT_RETRYABLE.has(e.code);
    return !(driverCode(e) === LOCK_NOT_AVAILABLE);
  }

  private async loadLive(tx: EntityManager, id: string): Promise<SecretEntity> {
    const secret = await tx.getRepository(SecretEntity).findOneBy({ id });
    if (!secret || secret.deletedAt) throw secretNotFound(id);
    return secret;
  }

  /** Locks the secret row; with `nowait` a concurrent rotation or write answers 409 at once. */
  private async lockLive(tx: EntityManager, id: string, nowait = true): Promise<SecretEntity> {
    try {
      const qb = tx.getRepository(SecretEntity).createQueryBuilder('s').where('s.id = :id AND s.deleted_at IS NULL', { id });
      qb.setLock('pessimistic_write');
      if (nowait) qb.setOnLocked('nowait');
      const secret = await qb.getOne();
      if (!secret) throw secretNotFound(id);
      return secret;
    } catch (e) {
      if (driverCode(e) === LOCK_NOT_AVAILABLE) throw rotationInProgress(id);
      throw e;
    }
  }

  private async pendingVersion(secretId: string): Promise<SecretVersionEntity | null> {
    return this.uow.manager().getRepository(SecretVersionEntity).findOneBy({ secretId, state: 'pending' });
  }

  private async readValue(secretId: string): Promise<string> {
    const tx = this.uow.manager();
    const found = await this.versions.locate(tx, secretId);
    if (!found) throw secretNotFound(secretId);
    return this.versions.serve(tx, found);
  }

  private async readVersionValue(secret: SecretEntity, row: SecretVersionEntity): Promise<string> {
    const payload = await this.stores.for(secret.store).get(this.uow.manager(), secret.id, row.storeVersion);
    return this.versions.decode(secret, row.version, payload);
  }

  /**
   * Refuses, before any record or connection, a rotator whose stored settings are no longer
   * allowed (the allow-list changed, settings saved before these checks existed). A missing
   * admin secret is not refused here: that rotation fails visibly, with an alert.
   */
  private async checkRotatorSettings(secret: SecretEntity, rotator: Rotator): Promise<void> {
    const problems = secret.rotator ? rotatorSettingsProblems(this.targets, secret.secretType as SecretType, secret.rotator) : [];
    const adminId = rotator.adminSecretId(secret);
    if (adminId) {
      const admin = await this.uow.manager().getRepository(SecretEntity).findOneBy({ id: adminId });
      if (admin && !admin.deletedAt) {
        const problem = adminCredentialProblem(rotator.kind, adminId, admin);
        if (problem) problems.push(problem);
      }
    }
    if (problems.length > 0) throw new RotatorTargetRefused(`rotator refused: ${problems.join('; ')}; change the rotator settings (PATCH) or ROTATOR_ALLOWED_HOSTS`);
  }

  /** The rotator's view of Strongroom: the admin credential, type-checked and audited per read. */
  private rotatorContext(secret: SecretEntity, actor: Actor, rotationId: string | null): RotatorContext {
    const kind = secret.rotator?.kind ?? 'generated';
    return {
      readAdminCredential: async (adminId, use) => {
        const tx = this.uow.manager();
        const found = await this.versions.locate(tx, adminId);
        if (!found) throw secretNotFound(adminId);
        const problem = adminCredentialProblem(kind, adminId, { secretType: found.secret_type });
        if (problem) throw new RotatorTargetRefused(problem);
        const value = await this.versions.serve(tx, found);
        // Durable before the value leaves this function (joins the transaction when there is one).
        await this.audit.record({
          ...this.origin(actor),
          action: AuditAction.SecretValueRead,
          outcome: 'success',
          secretId: found.id,
          secretName: found.name,
          details: {
            purpose: 'rotator_admin_credential',
            use,
            rotator: kind,
            rotated_secret_id: secret.id,
            rotation_id: rotationId,
            version: found.current_version,
          },
        });
        return value;
      },
    };
  }

  private origin(actor: Actor) {
    return auditOrigin() ?? { actor: actor.sub, roles: actor.roles };
  }
}
