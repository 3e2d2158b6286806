import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import { addDays, Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { canGenerate, type SecretType } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { JobHandler, type JobContext } from '../jobs/job-handler.js';
import { JobsService } from '../jobs/jobs.service.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { TasksService } from '../tasks/tasks.service.js';
import { BULK_ROTATION_TASK } from './bulk-rotation.handler.js';
import { VALUE_PRODUCING_KINDS } from './rotator-settings.js';

interface DueSecret {
  id: string;
  name: string;
  secret_type: string;
  rotator_kind: string | null;
  rotation_status: string;
  expired: boolean;
}

/**
 * check_expired_secrets (daily): queues a rotation for every auto-generatable secret (or one whose
 * rotator builds its values: ssh_key, internal_ca) whose
 * next_rotation_at or expires_at has passed (the task runner does the work), flags the rest as
 * rotation_due, and alerts on expired secrets and on those expiring within the warning window.
 */
@Injectable()
export class CheckExpiredSecretsJob extends JobHandler implements OnModuleInit {
  readonly name = 'check_expired_secrets';

  constructor(
    private readonly jobs: JobsService,
    private readonly uow: UnitOfWork,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly alerts: SecurityAlerts,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(SecretsRepository) private readonly secrets: Pick<SecretsRepository, 'markRotationDue'>,
  ) {
    super();
  }

  onModuleInit(): void {
    this.jobs.register(this);
  }

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const now = this.clock.now();
    const tx = this.uow.manager();
    // Secrets already queued in an unfinished bulk rotation are left to it.
    const due = (await tx.query(
      `SELECT s.id, s.name, s.secret_type, s.rotator->>'kind' AS rotator_kind, s.rotation_status, (s.expires_at IS NOT NULL AND s.expires_at <= $1) AS expired
       FROM secrets s
       WHERE s.deleted_at IS NULL AND (s.next_rotation_at <= $1 OR s.expires_at <= $1)
         AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.target = s.id AND i.status = 'pending')
       ORDER BY s.next_rotation_at NULLS LAST, s.id`,
      [now],
    )) as DueSecret[];

    // A rotator that builds its own values (ssh_key, internal_ca) rotates types Strongroom cannot generate.
    const rotatable = (s: DueSecret) => canGenerate(s.secret_type as SecretType) || (s.rotator_kind !== null && VALUE_PRODUCING_KINDS.includes(s.rotator_kind));
    const rotate = this.config.rotation.enabled ? due.filter(rotatable) : [];
    const rotating = new Set(rotate.map((s) => s.id));
    const flag = due.filter((s) => !rotating.has(s.id));
    let taskId = '';
    if (rotate.length > 0) {
      const accepted = await this.tasks.create(BULK_ROTATION_TASK, { reason: 'scheduled: rotation due or expired', job: this.name }, rotate.map((s) => s.id), ctx.actor.sub);
      taskId = accepted.task_id;
      this.runner.nudge();
    }
    if (flag.length > 0) {
      await this.secrets.markRotationDue(tx, flag.map((s) => s.id), now);
    }

    const expired = due.filter((s) => s.expired);
    if (expired.length > 0) {
      await this.alerts.raise({
        kind: AlertKind.SecretsExpired,
        severity: 'warning',
        summary: `${expired.length} secret(s) are past their expiry`,
        details: { count: expired.length, secret_ids: expired.slice(0, 100).map((s) => s.id), rotation_task_id: taskId || null },
        dedupeKey: `expired:${now.toISOString().slice(0, 10)}:${this.name}`,
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
    const rows = (await this.uow.manager().query(
      'SELECT id, name, expires_at FROM secrets WHERE deleted_at IS NULL AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at',
      [now, until],
    )) as { id: string; name: string; expires_at: Date }[];
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
