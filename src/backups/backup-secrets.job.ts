import { Injectable } from '@nestjs/common';
import { JobHandler, ScheduledJob } from '../jobs/job-handler.js';
import { BackupsService } from './backups.service.js';

/**
 * backup_secrets (BACKUP_SCHEDULE, daily by default; scheduled only when BACKUP_RECIPIENTS is
 * set): writes a bundle as POST /api/v1/backups does. The run's counts name the bundle; the
 * job.run audit row and scheduled_job_last_success_timestamp_seconds come with every job.
 */
@Injectable()
@ScheduledJob()
export class BackupSecretsJob extends JobHandler {
  readonly name = 'backup_secrets';

  constructor(private readonly backups: BackupsService) {
    super();
  }

  async run(): Promise<Record<string, number | string>> {
    const b = await this.backups.create();
    return { backup_id: b.id, secrets: b.counts.secrets, versions: b.counts.versions, values: b.counts.values, bytes: b.size };
  }
}
