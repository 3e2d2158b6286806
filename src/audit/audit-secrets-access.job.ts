import { Injectable } from '@nestjs/common';
import { JobHandler, type JobContext, ScheduledJob } from '../jobs/job-handler.js';
import { AuditReview } from './audit-review.service.js';

/** audit_secrets_access (every 12 hours, and on demand through POST /api/v1/jobs/{name}/run). */
@Injectable()
@ScheduledJob()
export class AuditSecretsAccessJob extends JobHandler {
  readonly name = 'audit_secrets_access';

  constructor(private readonly review: AuditReview) {
    super();
  }

  run(ctx: JobContext): Promise<Record<string, number | string>> {
    return this.review.run(ctx.actor);
  }
}
