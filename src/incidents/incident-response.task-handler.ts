import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import type { Actor } from '../auth/auth.types.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { RotationEntity } from '../rotation/entities/rotation.entity.js';
import { type RotationHooks, RotationService } from '../rotation/rotation.service.js';
import { SecretsMaintenance } from '../secrets/secrets-maintenance.service.js';
import { Clock } from '../clock/clock.js';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import { BackgroundTaskHandler, type ItemContext, PermanentItemError, TaskHandler } from '../tasks/task-handler.js';
import { INCIDENT_RESPONSE_TASK, IncidentsService } from './incidents.service.js';

/**
 * One item = one secret the incident's subject read in the window. A generatable secret (its type
 * is generated, or its rotator builds the value) gets an emergency rotation: the new version is
 * current and the old one destroyed at once, so the leaked value is never served again. Any other
 * secret is flagged `rotation_due` for a person to rotate. Either way the item's outcome is
 * written on the incident in the transaction that marks the item done (or failed), and a staged
 * rotation's id is saved with its item when it starts, so a crash never rotates a secret twice
 * (the same scheme as bulk rotation).
 */
@Injectable()
@BackgroundTaskHandler()
export class IncidentResponseHandler extends TaskHandler {
  readonly kind = INCIDENT_RESPONSE_TASK;

  constructor(
    private readonly incidents: IncidentsService,
    private readonly rotation: RotationService,
    private readonly maintenance: SecretsMaintenance,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    super();
  }

  async processItem(ctx: ItemContext): Promise<void> {
    const { task, item } = ctx;
    const incidentId = String(task.params.incident_id);
    const secretId = item.target;
    const actor: Actor = { sub: task.createdBy, roles: ['admin'], mfa: true };
    let described: { secretName?: string; secretType?: string } = {};
    const finished = async (tx: EntityManager, r: RotationEntity) => {
      const ok = r.status === 'completed';
      await this.incidents.recordOutcome(tx, incidentId, secretId, {
        ...described,
        outcome: ok ? 'rotated' : 'rotation_failed',
        rotationId: r.id,
        fromVersion: r.fromVersion,
        toVersion: r.toVersion,
        error: ok ? null : (r.lastError ?? 'rotation failed'),
      });
      await (ok ? ctx.markDone(tx) : ctx.markFailed(tx, r.lastError ?? 'rotation failed'));
    };
    const hooks: RotationHooks = { begun: (tx, rotationId) => ctx.remember(tx, rotationId), finished };

    // A staged rotation this item started before a crash: resume it, or record how it ended.
    if (item.ref && (await this.rotation.continueStarted(item.ref, hooks))) return;

    const secret = await this.rotation.rotatability(secretId);
    if (!secret) {
      await this.uow.run(async (tx) => {
        await this.incidents.recordOutcome(tx, incidentId, secretId, { outcome: 'secret_gone' });
        await ctx.markDone(tx);
      });
      return;
    }
    if (!secret.generatable) {
      await this.flagManual(ctx, incidentId, secret, actor, `${secret.secretType} values cannot be generated`);
      return;
    }
    const incident = await this.incidents.find(incidentId);
    if (!incident) throw new PermanentItemError(`incident ${incidentId} not found`);
    described = { secretName: secret.name, secretType: secret.secretType };
    try {
      await this.rotation.rotate(secretId, { emergency: true, reason: `incident ${incidentId}: ${incident.reason}`.slice(0, 500) }, actor, 'emergency', hooks);
    } catch (e) {
      if (e instanceof DomainError && e.code === DomainErrorCode.NotFound) {
        await this.uow.run(async (tx) => {
          await this.incidents.recordOutcome(tx, incidentId, secretId, { outcome: 'secret_gone' });
          await ctx.markDone(tx);
        });
        return;
      }
      // The secret's type or rotator changed since it was looked at: a person rotates it.
      if (e instanceof DomainError && e.code === DomainErrorCode.InvalidInput) {
        await this.flagManual(ctx, incidentId, secret, actor, `it cannot be rotated automatically (${e.message})`);
        return;
      }
      throw e;
    }
  }

  override complete(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown>> {
    return this.incidents.complete(tx, String(task.params.incident_id), task.id);
  }

  /** A person must rotate it: flag the secret rotation_due (audited) and record it on the incident. */
  private async flagManual(ctx: ItemContext, incidentId: string, secret: { id: string; name: string; secretType: string }, actor: Actor, why: string): Promise<void> {
    await this.uow.run(async (tx) => {
      await this.maintenance.flagRotationDue([secret.id], this.clock.now());
      await this.incidents.recordOutcome(tx, incidentId, secret.id, {
        outcome: 'manual_rotation_required',
        secretName: secret.name,
        secretType: secret.secretType,
        error: `${why}: rotate it by hand (PUT /api/v1/secrets/${secret.id}/value)`.slice(0, 500),
      });
      await this.audit.record({
        action: AuditAction.IncidentSecretFlagged,
        outcome: 'success',
        actor: actor.sub,
        roles: actor.roles,
        secretId: secret.id,
        secretName: secret.name,
        details: { incident_id: incidentId, task_id: ctx.task.id, rotation_status: 'rotation_due' },
      });
      await ctx.markDone(tx);
    });
  }
}
