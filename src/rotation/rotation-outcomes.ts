import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { auditOrigin } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { addDays, Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import type { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { SecretConsumers } from '../secrets/secret-consumers.service.js';
import type { RotationHooks } from './attempt-context.js';
import type { RotationEntity } from './entities/rotation.entity.js';
import { RotationRecords } from './rotation-records.js';
import type { RotationFailure } from './rotation-failure.js';
import type { ValueFacts } from './rotator.port.js';

/**
 * How a rotation ends, for both strategies: `complete` in the transaction that made the new
 * version current, `fail` in its own (pending versions destroyed, the old value stays current).
 * Each writes the secret's rotation columns (through the secrets module), the record, the audit
 * row and the caller's hook together.
 */
@Injectable()
export class RotationOutcomes {
  private readonly logger = new Logger('RotationService');

  constructor(
    private readonly uow: UnitOfWork,
    private readonly records: RotationRecords,
    @Inject(SecretsRepository) private readonly secrets: Pick<SecretsRepository, 'find' | 'markRotated' | 'markRotationFailed'>,
    @Inject(SecretVersions) private readonly versions: Pick<SecretVersions, 'destroy' | 'pendingOf'>,
    private readonly audit: AuditLog,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly consumers: SecretConsumers,
    @Optional() private readonly alerts?: SecurityAlerts,
  ) {}

  /** `row` is already current (appended as current, or promoted) in `tx`. */
  async complete(
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
    const nextRotationAt = facts.renewAt && facts.renewAt < byInterval ? facts.renewAt : byInterval;
    // The new value's own facts (a certificate's notAfter, a public key), in the same transaction.
    await this.secrets.markRotated(tx, secret.id, { at: now, nextRotationAt, expiresAt: facts.expiresAt, tags: facts.tags });
    await this.records.completed(tx, rotation, row.version, attempt);
    await this.audit.record({
      ...origin(actor),
      action: AuditAction.SecretRotated,
      outcome: 'success',
      secretId: secret.id,
      secretName: secret.name,
      details: { rotation_id: rotation.id, trigger: rotation.trigger, from_version: rotation.fromVersion, to_version: row.version, attempts: attempt, emergency: rotation.emergency, ...(facts.tags ?? {}) },
    });
    await hooks.finished?.(tx, rotation);
    this.metrics.rotationSucceeded();
    if (rotation.emergency) await this.alertEmergency(tx, secret, rotation, row.version, now);
    return rotation;
  }

  /**
   * An emergency rotation destroyed the old value at once: whoever still holds it is broken now.
   * The alert names the active consumers that had not read the new version (at most 100).
   */
  private async alertEmergency(tx: EntityManager, secret: SecretEntity, rotation: RotationEntity, version: number, now: Date): Promise<void> {
    const behind = await this.consumers.notOn(tx, secret.id, version, now);
    await this.alerts
      ?.raise({
        kind: AlertKind.EmergencyRotation,
        severity: 'critical',
        summary: `Emergency rotation of secret ${secret.name}: ${behind.length} consumer(s) had not read version ${version}${behind.length ? ` (${behind.join(', ')})` : ''}`,
        details: { secret_id: secret.id, secret_name: secret.name, rotation_id: rotation.id, to_version: version, consumers_not_moved: behind },
        dedupeKey: `emergency_rotation:${rotation.id}`,
      })
      .catch(() => undefined);
  }

  async fail(rotation: RotationEntity, failure: RotationFailure, actor: Actor, hooks: RotationHooks): Promise<RotationEntity> {
    const failed = await this.uow.run(async (tx) => {
      const secret = await this.secrets.find(tx, rotation.secretId);
      if (secret) await this.versions.destroy(tx, secret, await this.versions.pendingOf(tx, secret.id));
      await this.records.failed(tx, rotation, failure);
      await this.secrets.markRotationFailed(tx, rotation.secretId, rotation.updatedAt);
      await this.audit.record({
        ...origin(actor),
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
}

export const origin = (actor: Actor) => auditOrigin() ?? { actor: actor.sub, roles: actor.roles };
