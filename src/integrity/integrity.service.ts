import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { SecurityFindings } from '../audit/findings/security-findings.service.js';
import type { Actor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { SecretCipher } from '../crypto/secret-cipher.service.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { SecretStores } from '../secrets/store/secret-stores.js';
import type { TaskAcceptedDto } from '../tasks/dto/task-status.dto.js';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import type { ItemContext } from '../tasks/task-handler.js';
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
export class IntegrityService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly stores: SecretStores,
    private readonly versions: SecretVersions,
    private readonly cipher: SecretCipher,
    private readonly alerts: SecurityAlerts,
    private readonly findings: SecurityFindings,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {}

  /** Starts a check over every secret; returns the task to follow. */
  async start(actor: Actor): Promise<TaskAcceptedDto & { check_id: string }> {
    return this.uow.run(async (tx) => {
      const ids = ((await tx.query('SELECT id FROM secrets ORDER BY created_at, id')) as { id: string }[]).map((r) => r.id);
      const checkId = `chk_${randomBytes(12).toString('base64url')}`;
      // Wall-clock start (Vault's clock, not ours, dates its keys): keys Vault created after it may
      // belong to creates still in flight and are not called orphans.
      const accepted = await this.tasks.create(INTEGRITY_TASK, { check_id: checkId, started_ms: Date.now() }, ids, actor.sub);
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

  /** One task item: checks one secret's versions (IntegrityCheckTaskHandler). */
  async checkItem(ctx: ItemContext): Promise<void> {
    const checkId = String(ctx.task.params.check_id);
    const manager = this.uow.manager();
    const found = await this.versions.withReadableVersions(manager, ctx.item.target);
    if (!found) return; // purged since the check started: nothing to check
    const { secret, versions: rows } = found;
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
        // Under a share lock of the row: a write in flight (Vault written, PostgreSQL not yet
        // committed, or rolled back and being undone) finishes first and is not taken for an orphan.
        const { described, known } = await this.uow.run(async (tx) => {
          await tx.query('SELECT 1 FROM secrets WHERE id = $1 FOR SHARE', [secret.id]);
          const found = await this.stores.for('vault').describe(tx, secret.id);
          const rows = (await tx.query('SELECT store_version FROM secret_versions WHERE secret_id = $1', [secret.id])) as { store_version: number }[];
          return { described: found, known: new Set(rows.map((r) => r.store_version)) };
        });
        // Live Vault versions no version row points to: left by writes that rolled back.
        const orphans = (described?.versions ?? []).filter((v) => !v.destroyed && !known.has(v.storeVersion));
        for (const o of orphans) {
          failures.push({
            version: null,
            problem: 'store_orphan',
            detail: `Vault holds version ${o.storeVersion} of ${this.vaultPath(secret.id)}, which PostgreSQL has no record of (a write whose transaction rolled back)`,
          });
        }
        if (!described) failures.push({ version: null, problem: 'payload_missing', detail: 'Vault holds nothing for this secret' });
        else if (described.currentStoreVersion !== secret.currentStoreVersion && known.has(described.currentStoreVersion)) {
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
      // The item row carries its own count (summed at the end): no shared counter row that every
      // item would update and serialise on.
      await ctx.remember(tx, String(rows.length));
      await ctx.markDone(tx);
    });
  }

  /** After the last item: closes the check, with a finding and an alert when anything failed. */
  async completeCheck(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown>> {
    const checkId = String(task.params.check_id);
    await this.findOrphanKeys(tx, checkId, Number(task.params.started_ms) || Date.now());
    const now = this.clock.now();
    // Items that could not be checked (database or store errors after every retry) are reported as
    // such, never as problems of the secret.
    await tx.query(
      `UPDATE integrity_checks c SET status = 'completed', finished_at = $2,
         secrets_checked = i.secrets, versions_checked = i.versions,
         failures = (SELECT count(*)::int FROM integrity_failures f WHERE f.check_id = c.id)
       FROM (SELECT count(n)::int AS secrets, coalesce(sum(n), 0)::int AS versions
             FROM (SELECT CASE WHEN status = 'done' AND ref ~ '^[0-9]+$' THEN ref::int END AS n
                   FROM task_items WHERE task_id = $3) per_item) i
       WHERE c.id = $1`,
      [checkId, now, task.id],
    );
    const [unchecked] = (await tx.query("SELECT count(*)::int AS n FROM task_items WHERE task_id = $1 AND status = 'failed'", [
      task.id,
    ])) as { n: number }[];
    const check = await tx.getRepository(IntegrityCheckEntity).findOneByOrFail({ id: checkId });
    const failed = await tx.getRepository(IntegrityFailureEntity).find({ where: { checkId }, order: { id: 'ASC' }, take: 100 });
    this.metrics.integrityCheckCompleted();
    if (check.failures > 0) {
      // The finding commits with the check's result; the alert below is this check's own (with
      // its problems), so the finding raises none.
      await this.findings.record(
        {
          kind: 'integrity_failure',
          severity: 'critical',
          summary: `Integrity check ${checkId} found ${check.failures} problem(s)`,
          secretId: failed[0]?.secretId ?? null,
          details: { check_id: checkId, failures: check.failures, secret_ids: [...new Set(failed.map((f) => f.secretId))].slice(0, 50) },
          dedupeKey: `integrity:${checkId}`,
        },
        undefined,
        tx,
      );
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
      could_not_check: unchecked?.n ?? 0,
      problems: failed.map((f) => ({ secret_id: f.secretId, secret_name: f.secretName, version: f.version, problem: f.problem, detail: f.detail })),
    };
  }

  /**
   * Keys under the Vault prefix that no secret row (live, soft-deleted) names: plaintext or
   * envelopes left by creates whose transaction rolled back. Each is a `store_orphan` failure
   * named by its Vault path. Keys Vault created after the check started are skipped (a create may
   * still be in flight).
   */
  private async findOrphanKeys(tx: EntityManager, checkId: string, startedMs: number): Promise<void> {
    if (this.stores.defaultKind !== 'vault') return;
    const store = this.stores.for('vault');
    const failures: { secretId: string; problem: IntegrityProblem; detail: string }[] = [];
    try {
      const ids = (await store.listIds()) ?? [];
      const rows = ids.length === 0 ? [] : ((await tx.query('SELECT id FROM secrets WHERE id = ANY($1::varchar[])', [ids])) as { id: string }[]);
      const known = new Set(rows.map((r) => r.id));
      for (const id of ids.filter((k) => !known.has(k))) {
        const created = /^[A-Za-z0-9_-]+$/.test(id) ? await store.keyCreatedAt(id) : null;
        if (created && created.getTime() >= startedMs) continue;
        failures.push({
          secretId: id.slice(0, 40),
          problem: 'store_orphan',
          detail: `Vault holds ${store.displayPath(id)}, but PostgreSQL has no secret ${id} (a create whose transaction rolled back); remove it with \`vault kv metadata delete\``.slice(0, 500),
        });
      }
    } catch (e) {
      failures.push({ secretId: '-', problem: 'store_unreachable', detail: `could not list Vault keys for orphans: ${(e as Error).message}`.slice(0, 500) });
    }
    if (failures.length === 0) return;
    await tx.getRepository(IntegrityFailureEntity).insert(failures.map((f) => ({ checkId, secretName: null, version: null, ...f })));
    await tx.query('UPDATE integrity_checks SET failures = failures + $2 WHERE id = $1', [checkId, failures.length]);
  }

  private vaultPath(secretId: string): string {
    return this.stores.for('vault').displayPath(secretId);
  }
}
