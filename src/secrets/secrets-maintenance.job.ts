import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { JobHandler, type JobContext } from '../jobs/job-handler.js';
import { JobsService } from '../jobs/jobs.service.js';
import { SecretVersionEntity } from './entities/secret-version.entity.js';
import { SecretsService } from './secrets.service.js';
import { lockSecretRow } from './secrets.repository.js';
import { SecretVersions } from './secret-versions.service.js';

/**
 * cleanup_old_secret_versions (weekly): keeps SECRET_VERSIONS_RETAINED readable versions per
 * secret, destroying older deprecated ones (never current, previous or pending), and purges
 * soft-deleted secrets whose retention has passed. Each secret is its own transaction; a failure
 * is counted and the run goes on.
 */
@Injectable()
export class CleanupOldSecretVersionsJob extends JobHandler implements OnModuleInit {
  readonly name = 'cleanup_old_secret_versions';
  private readonly logger = new Logger(CleanupOldSecretVersionsJob.name);

  constructor(
    private readonly jobs: JobsService,
    private readonly uow: UnitOfWork,
    private readonly versions: SecretVersions,
    private readonly secrets: SecretsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    this.jobs.register(this);
  }

  async run(_ctx: JobContext): Promise<Record<string, number | string>> {
    const keep = this.config.secrets.versionsRetained;
    const surplus = (await this.uow.manager().query(
      `SELECT secret_id, array_agg(version ORDER BY version) AS versions FROM (
         SELECT secret_id, version, state, row_number() OVER (PARTITION BY secret_id ORDER BY version DESC) AS rn
         FROM secret_versions WHERE state IN ('current', 'previous', 'deprecated')) v
       WHERE rn > $1 AND state = 'deprecated'
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
            .where("v.secret_id = :id AND v.version = ANY(:versions) AND v.state = 'deprecated'", { id: secretId, versions })
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
