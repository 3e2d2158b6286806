import { Injectable } from '@nestjs/common';
import { JobHandler, type JobContext, ScheduledJob } from '../jobs/job-handler.js';
import { IntegrityService } from './integrity.service.js';

/** validate_secret_integrity (weekly): starts a check; the task runner does the work. */
@Injectable()
@ScheduledJob()
export class ValidateSecretIntegrityJob extends JobHandler {
  readonly name = 'validate_secret_integrity';

  constructor(private readonly integrity: IntegrityService) {
    super();
  }

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const started = await this.integrity.start(ctx.actor);
    return { check_id: started.check_id, task_id: started.task_id, secrets: started.total };
  }
}
