import { Injectable } from '@nestjs/common';
import { JobHandler, ScheduledJob } from '../jobs/job-handler.js';
import { SecretsMaintenance } from './secrets-maintenance.service.js';

/** cleanup_old_secret_versions (weekly): see SecretsMaintenance.cleanupOldVersions. */
@Injectable()
@ScheduledJob()
export class CleanupOldSecretVersionsJob extends JobHandler {
  readonly name = 'cleanup_old_secret_versions';

  constructor(private readonly maintenance: SecretsMaintenance) {
    super();
  }

  run(): Promise<Record<string, number | string>> {
    return this.maintenance.cleanupOldVersions();
  }
}
