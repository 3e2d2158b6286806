import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { SecretVersionEntity } from './entities/secret-version.entity.js';
import { SecretsService } from './secrets.service.js';
import { lockSecretRow, SecretsRepository } from './secrets.repository.js';
import { SecretVersions } from './secret-versions.service.js';
import { SecretConsumers } from './secret-consumers.service.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { systemActor } from '../auth/auth.types.js';

export interface DueSecret {
  id: string;
  name: string;
  secret_type: string;
  rotator_kind: string | null;
  rotation_status: string;
  expired: boolean;
}

/**
 * Housekeeping of the secrets tables (cleanupOldVersions, run by the cleanup_old_secret_versions job): keeps
 * SECRET_VERSIONS_RETAINED readable versions per secret, destroying older deprecated ones (never
 * current, previous or pending), and purges soft-deleted secrets whose retention has passed. Each
 * secret is its own transaction; a failure is counted and the run goes on. Also the queries on
 * `secrets` that the rotation-due sweep (check_expired_secrets) needs.
 */
@Injectable()
export class SecretsMaintenance {
  private readonly logger = new Logger(SecretsMaintenance.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly versions: SecretVersions,
    private readonly secrets: SecretsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly repository: SecretsRepository,
    private readonly consumers: SecretConsumers,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Live secrets whose next_rotation_at or expires_at has passed, with what the rotation sweep
   * decides on. Secrets already queued in an unfinished task (a pending item) are left to it.
   */
  async dueForRotation(now: Date): Promise<DueSecret[]> {
    return (await this.uow.manager().query(
      `SELECT s.id, s.name, s.secret_type, s.rotator->>'kind' AS rotator_kind, s.rotation_status, (s.expires_at IS NOT NULL AND s.expires_at <= $1) AS expired
       FROM secrets s
       WHERE s.deleted_at IS NULL AND (s.next_rotation_at <= $1 OR s.expires_at <= $1)
         AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.target = s.id AND i.status = 'pending')
       ORDER BY s.next_rotation_at NULLS LAST, s.id`,
      [now],
    )) as DueSecret[];
  }

  /** Marks secrets that are due but cannot be rotated automatically as rotation_due. */
  async flagRotationDue(ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.repository.markRotationDue(this.uow.manager(), ids, now);
  }

  /** Live secrets expiring in (now, until], soonest first. */
  async expiringBetween(now: Date, until: Date): Promise<{ id: string; name: string; expires_at: Date }[]> {
    return (await this.uow.manager().query(
      'SELECT id, name, expires_at FROM secrets WHERE deleted_at IS NULL AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at',
      [now, until],
    )) as { id: string; name: string; expires_at: Date }[];
  }

  /**
   * Retires `previous` versions (the `previous_version_retirement` loop): when the grace period
   * ended (secrets.previous_retire_at), or when every consumer seen within CONSUMER_ACTIVE_DAYS
   * read the current version (at least one did: with no consumer seen, only the grace period
   * ends it). Candidates come from one query; each is retired under its secret's row lock, so a
   * rotation in between (which moves previous on itself) wins. Returns how many were retired.
   */
  async retirePreviousVersions(now: Date): Promise<number> {
    await this.consumers.flush();
    const activeSince = this.consumers.activeSince(now);
    const candidates = (await this.uow.manager().query(
      `SELECT v.secret_id, v.version, (s.previous_retire_at IS NOT NULL AND s.previous_retire_at <= $1) AS grace_ended
       FROM secret_versions v JOIN secrets s ON s.id = v.secret_id
       WHERE v.state = 'previous' AND s.deleted_at IS NULL AND (
         s.previous_retire_at <= $1
         OR (EXISTS (SELECT 1 FROM secret_consumers c WHERE c.secret_id = s.id AND c.last_read_at >= $2 AND c.last_version >= s.current_version)
             AND NOT EXISTS (SELECT 1 FROM secret_consumers c WHERE c.secret_id = s.id AND c.last_read_at >= $2 AND c.last_version < s.current_version)))
       ORDER BY v.secret_id LIMIT 500`,
      [now, activeSince],
    )) as { secret_id: string; version: number; grace_ended: boolean }[];
    let retired = 0;
    for (const c of candidates) {
      try {
        retired += await this.uow.run(async (tx) => {
          const secret = await lockSecretRow(tx, c.secret_id);
          if (!secret) return 0;
          const done = (await tx.query("UPDATE secret_versions SET state = 'retired' WHERE secret_id = $1 AND version = $2 AND state = 'previous' RETURNING version", [
            c.secret_id,
            c.version,
          ])) as unknown[];
          if (done.length === 0) return 0;
          const actor = systemActor('previous_version_retirement');
          await this.audit.record({
            actor: actor.sub,
            roles: actor.roles,
            action: AuditAction.SecretVersionRetired,
            outcome: 'success',
            secretId: secret.id,
            secretName: secret.name,
            details: { version: c.version, current_version: secret.currentVersion, reason: c.grace_ended ? 'grace_period_ended' : 'consumers_moved' },
          });
          return 1;
        });
      } catch (e) {
        this.logger.error(`retiring version ${c.version} of ${c.secret_id} failed: ${(e as Error).message}`);
      }
    }
    return retired;
  }

  async cleanupOldVersions(): Promise<Record<string, number | string>> {
    const keep = this.config.secrets.versionsRetained;
    const surplus = (await this.uow.manager().query(
      `SELECT secret_id, array_agg(version ORDER BY version) AS versions FROM (
         SELECT secret_id, version, state, row_number() OVER (PARTITION BY secret_id ORDER BY version DESC) AS rn
         FROM secret_versions WHERE state IN ('current', 'previous', 'retired', 'deprecated')) v
       WHERE rn > $1 AND state IN ('retired', 'deprecated')
       GROUP BY secret_id`,
      [keep],
    )) as { secret_id: string; versions: number[] }[];
    let destroyed = 0;
    let errors = 0;
    for (const { secret_id: secretId, versions } of surplus) {
      try {
        destroyed += await this.uow.run(async (tx) => {
          const secret = await lockSecretRow(tx, secretId, { deleted: 'any' });
          if (!secret) return 0;
          const rows = await tx
            .getRepository(SecretVersionEntity)
            .createQueryBuilder('v')
            .where("v.secret_id = :id AND v.version = ANY(:versions) AND v.state IN ('retired', 'deprecated')", { id: secretId, versions })
            .getMany();
          await this.versions.destroy(tx, secret, rows);
          return rows.length;
        });
      } catch (e) {
        errors += 1;
        this.logger.error(`cleanup of ${secretId} failed: ${(e as Error).message}`);
      }
    }

    const expired = (await this.uow.manager().query(
      'SELECT id FROM secrets WHERE deleted_at IS NOT NULL AND purge_after <= $1 ORDER BY purge_after',
      [this.clock.now()],
    )) as { id: string }[];
    let purged = 0;
    for (const { id } of expired) {
      try {
        await this.uow.run(async (tx) => {
          const secret = await lockSecretRow(tx, id, { deleted: 'any' });
          if (secret) await this.secrets.purgeLocked(tx, secret);
        });
        purged += 1;
      } catch (e) {
        errors += 1;
        this.logger.error(`purge of ${id} failed: ${(e as Error).message}`);
      }
    }
    return { secrets_trimmed: surplus.length, versions_destroyed: destroyed, secrets_purged: purged, errors };
  }
}
