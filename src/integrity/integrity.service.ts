import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { SecurityFindingEntity } from '../audit/findings/security-finding.entity.js';
import type { Actor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { SecretCipher } from '../crypto/secret-cipher.service.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { JobHandler, type JobContext } from '../jobs/job-handler.js';
import { JobsService } from '../jobs/jobs.service.js';
import { Metrics } from '../metrics/metrics.service.js';
import { SecretEntity } from '../secrets/entities/secret.entity.js';
import { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { SecretStores } from '../secrets/store/secret-stores.js';
import type { TaskAcceptedDto } from '../tasks/dto/task-status.dto.js';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import { type ItemContext, TaskHandler } from '../tasks/task-handler.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { TasksService } from '../tasks/tasks.service.js';
import { IntegrityCheckEntity } from './entities/integrity-check.entity.js';
import { IntegrityFailureEntity, type IntegrityProblem } from './entities/integrity-failure.entity.js';
import { checkVersion, type VersionCheckPorts } from './version-check.js';

export const INTEGRITY_TASK = 'integrity_check';

/**
 * Integrity validation: every version of every secret (soft-deleted ones too) is read from its
 * store, decrypted and matched against its fingerprint; for Vault, the store's current version
 * must be the one PostgreSQL records. Runs as a background task, one secret per item; results go
 * to integrity_checks / integrity_failures, a finding and an alert when anything failed.
 */
@Injectable()
export class IntegrityService extends TaskHandler implements OnModuleInit {
  readonly kind = INTEGRITY_TASK;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly stores: SecretStores,
    private readonly versions: SecretVersions,
    private readonly cipher: SecretCipher,
    private readonly alerts: SecurityAlerts,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {
    super();
  }

  onModuleInit(): void {
    this.runner.register(this);
  }

  /** Starts a check over every secret; returns the task to follow. */
  async start(actor: Actor): Promise<TaskAcceptedDto & { check_id: string }> {
    return this.uow.run(async (tx) => {
      const ids = ((await tx.query('SELECT id FROM secrets ORDER BY created_at, id')) as { id: string }[]).map((r) => r.id);
      const checkId = `chk_${randomBytes(12).toString('base64url')}`;
      const accepted = await this.tasks.create(INTEGRITY_TASK, { check_id: checkId }, ids, actor.sub);
      await tx.getRepository(IntegrityCheckEntity).insert({
        id: checkId,
        taskId: accepted.task_id,
        status: ids.length > 0 ? 'running' : 'completed',
        triggeredBy: actor.sub,
        startedAt: this.clock.now(),
        finishedAt: ids.length > 0 ? null : this.clock.now(),
        secretsChecked: 0,
        versionsChecked: 0,
        failures: 0,
      });
      annotateAudit({ details: { check_id: checkId, task_id: accepted.task_id, secrets: ids.length } });
      this.runner.nudge();
      return { ...accepted, check_id: checkId };
    });
  }

  async processItem(ctx: ItemContext): Promise<void> {
    const checkId = String(ctx.task.params.check_id);
    const manager = this.uow.manager();
    const secret = await manager.getRepository(SecretEntity).findOneBy({ id: ctx.item.target });
    if (!secret) return; // purged since the check started: nothing to check
    const rows = await manager
      .getRepository(SecretVersionEntity)
      .createQueryBuilder('v')
      .where("v.secret_id = :id AND v.state NOT IN ('destroyed', 'pending')", { id: secret.id })
      .orderBy('v.version')
      .getMany();
    const ports: VersionCheckPorts = {
      readPayload: (s, row) => this.stores.for(s.store).get(manager, s.id, row.storeVersion),
      keyKnown: (keyId) => this.cipher.ring.has(keyId),
      decode: (s, row, payload) => {
        if (!this.versions.encrypts(s)) return payload;
        return this.cipher.open(payload, { secretId: s.id, version: row.version });
      },
      fingerprintMatches: (row, plaintext) =>
        this.cipher.verifyFingerprint(row.fingerprintKeyId, plaintext, { secretId: row.secretId, version: row.version }, row.fingerprint),
    };
    const failures: { version: number | null; problem: IntegrityProblem; detail: string }[] = [];
    for (const row of rows) {
      const verdict = await checkVersion(secret, row, ports);
      if (verdict.problem) failures.push({ version: verdict.version, problem: verdict.problem, detail: verdict.detail });
    }
    if (secret.store === 'vault' && secret.currentVersion > 0) {
      try {
        const described = await this.stores.for('vault').describe(manager, secret.id);
        if (!described) failures.push({ version: null, problem: 'payload_missing', detail: 'Vault holds nothing for this secret' });
        else if (described.currentStoreVersion !== secret.currentStoreVersion) {
          failures.push({
            version: secret.currentVersion,
            problem: 'store_version_mismatch',
            detail: `Vault's current version is ${described.currentStoreVersion}, PostgreSQL records ${secret.currentStoreVersion}`,
          });
        }
      } catch (e) {
        failures.push({ version: null, problem: 'store_unreachable', detail: ((e as Error).message ?? 'unreachable').slice(0, 300) });
      }
    }
    await this.uow.run(async (tx) => {
      if (failures.length > 0) {
        await tx.getRepository(IntegrityFailureEntity).insert(
          failures.map((f) => ({ checkId, secretId: secret.id, secretName: secret.name, version: f.version, problem: f.problem, detail: f.detail })),
        );
      }
      await tx.query(
        'UPDATE integrity_checks SET secrets_checked = secrets_checked + 1, versions_checked = versions_checked + $2, failures = failures + $3 WHERE id = $1',
        [checkId, rows.length, failures.length],
      );
      await ctx.markDone(tx);
    });
  }

  override async complete(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown>> {
    const checkId = String(task.params.check_id);
    const now = this.clock.now();
    await tx.query("UPDATE integrity_checks SET status = 'completed', finished_at = $2 WHERE id = $1", [checkId, now]);
    const check = await tx.getRepository(IntegrityCheckEntity).findOneByOrFail({ id: checkId });
    const failed = await tx.getRepository(IntegrityFailureEntity).find({ where: { checkId }, order: { id: 'ASC' }, take: 100 });
    this.metrics.integrityCheckCompleted();
    if (check.failures > 0) {
      await tx
        .createQueryBuilder()
        .insert()
        .into(SecurityFindingEntity)
        .values({
          id: `fnd_${randomBytes(12).toString('base64url')}`,
          kind: 'integrity_failure',
          severity: 'critical',
          summary: `Integrity check ${checkId} found ${check.failures} problem(s)`,
          actor: null,
          clientIp: null,
          secretId: failed[0]?.secretId ?? null,
          details: { check_id: checkId, failures: check.failures, secret_ids: [...new Set(failed.map((f) => f.secretId))].slice(0, 50) },
          detectedAt: now,
          status: 'open',
          dedupeKey: `integrity:${checkId}`,
        })
        .orIgnore()
        .execute();
      await this.alerts.raise({
        kind: AlertKind.IntegrityFailure,
        severity: 'critical',
        summary: `Integrity check found ${check.failures} problem(s) in ${new Set(failed.map((f) => f.secretId)).size} secret(s)`,
        details: {
          check_id: checkId,
          failures: check.failures,
          problems: [...new Set(failed.map((f) => f.problem))],
          secret_ids: [...new Set(failed.map((f) => f.secretId))].slice(0, 50),
        },
        dedupeKey: `integrity:${checkId}`,
      });
    }
    return {
      check_id: checkId,
      secrets_checked: check.secretsChecked,
      versions_checked: check.versionsChecked,
      failures: check.failures,
      problems: failed.map((f) => ({ secret_id: f.secretId, secret_name: f.secretName, version: f.version, problem: f.problem, detail: f.detail })),
    };
  }
}

/** validate_secret_integrity (weekly): starts a check; the task runner does the work. */
@Injectable()
export class ValidateSecretIntegrityJob extends JobHandler implements OnModuleInit {
  readonly name = 'validate_secret_integrity';

  constructor(
    private readonly jobs: JobsService,
    private readonly integrity: IntegrityService,
  ) {
    super();
  }

  onModuleInit(): void {
    this.jobs.register(this);
  }

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const started = await this.integrity.start(ctx.actor);
    return { check_id: started.check_id, task_id: started.task_id, secrets: started.total };
  }
}
