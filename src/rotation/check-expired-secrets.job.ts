import { Injectable } from '@nestjs/common';
import { JobHandler, type JobContext, ScheduledJob } from '../jobs/job-handler.js';
import { CHECK_EXPIRED_SECRETS_JOB, RotationDueSweep } from './rotation-due-sweep.js';

/** check_expired_secrets (daily): see RotationDueSweep. */
@Injectable()
@ScheduledJob()
export class CheckExpiredSecretsJob extends JobHandler {
  readonly name = CHECK_EXPIRED_SECRETS_JOB;

  constructor(private readonly sweep: RotationDueSweep) {
    super();
  }

  run(ctx: JobContext): Promise<Record<string, number | string>> {
    return this.sweep.sweep(ctx.actor);
  }
}
