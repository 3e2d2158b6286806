import { Injectable } from '@nestjs/common';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import type { Actor } from '../auth/auth.types.js';
import { addDays, Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { canGenerate, type SecretType } from '../crypto/index.js';
import { type DueSecret, SecretsMaintenance } from '../secrets/secrets-maintenance.service.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { TasksService } from '../tasks/tasks.service.js';
import { BULK_ROTATION_TASK } from './bulk-rotation.task-handler.js';
import { VALUE_PRODUCING_KINDS } from './rotator-settings.js';

export const CHECK_EXPIRED_SECRETS_JOB = 'check_expired_secrets';

/**
 * The rotation-due sweep (run by check_expired_secrets, daily): queues a rotation for every
 * auto-generatable secret (or one whose rotator builds its values: ssh_key, internal_ca) whose
 * next_rotation_at or expires_at has passed (the task runner does the work), flags the rest as
 * rotation_due, and alerts on expired secrets and on those expiring within the warning window.
 */
@Injectable()
export class RotationDueSweep {
  constructor(
    private readonly secrets: SecretsMaintenance,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly alerts: SecurityAlerts,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async sweep(actor: Actor): Promise<Record<string, number | string>> {
    const now = this.clock.now();
    // Secrets already queued in an unfinished bulk rotation are left to it.
    const due = await this.secrets.dueForRotation(now);

    // A rotator that builds its own values (ssh_key, internal_ca) rotates types Strongroom cannot generate.
    const rotatable = (s: DueSecret) => canGenerate(s.secret_type as SecretType) || (s.rotator_kind !== null && VALUE_PRODUCING_KINDS.includes(s.rotator_kind));
    const rotate = this.config.rotation.enabled ? due.filter(rotatable) : [];
    const rotating = new Set(rotate.map((s) => s.id));
    const flag = due.filter((s) => !rotating.has(s.id));
    let taskId = '';
    if (rotate.length > 0) {
      const accepted = await this.tasks.create(BULK_ROTATION_TASK, { reason: 'scheduled: rotation due or expired', job: CHECK_EXPIRED_SECRETS_JOB }, rotate.map((s) => s.id), actor.sub);
      taskId = accepted.task_id;
      this.runner.nudge();
    }
    await this.secrets.flagRotationDue(flag.map((s) => s.id), now);

    const expired = due.filter((s) => s.expired);
    if (expired.length > 0) {
      await this.alerts.raise({
        kind: AlertKind.SecretsExpired,
        severity: 'warning',
        summary: `${expired.length} secret(s) are past their expiry`,
        details: { count: expired.length, secret_ids: expired.slice(0, 100).map((s) => s.id), rotation_task_id: taskId || null },
        dedupeKey: `expired:${now.toISOString().slice(0, 10)}:${CHECK_EXPIRED_SECRETS_JOB}`,
      });
    }
    const expiring = await this.warnExpiring(now);
    return {
      due: due.length,
      rotations_queued: rotate.length,
      flagged_rotation_due: flag.length,
      expired: expired.length,
      expiring_warned: expiring,
      ...(taskId ? { task_id: taskId } : {}),
    };
  }

  /** One warning per secret per day for secrets expiring within ALERT_EXPIRY_WARNING_DAYS. */
  private async warnExpiring(now: Date): Promise<number> {
    const until = addDays(now, this.config.alerts.expiryWarningDays);
    const rows = await this.secrets.expiringBetween(now, until);
    const day = now.toISOString().slice(0, 10);
    for (const s of rows) {
      await this.alerts.raise({
        kind: AlertKind.SecretExpiring,
        severity: 'warning',
        summary: `Secret ${s.name} expires on ${s.expires_at.toISOString().slice(0, 10)}`,
        details: { secret_id: s.id, secret_name: s.name, expires_at: s.expires_at.toISOString() },
        dedupeKey: `expiring:${s.id}:${day}`,
      });
    }
    return rows.length;
  }
}
