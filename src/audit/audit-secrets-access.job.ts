import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobHandler, type JobContext } from '../jobs/job-handler.js';
import { JobsService } from '../jobs/jobs.service.js';
import { AuditRetention } from './audit-retention.service.js';
import { AccessPatternAnalysis } from './findings/access-pattern-analysis.js';

/**
 * audit_secrets_access (every 12 hours, and on demand through POST /api/v1/jobs/{name}/run):
 * the access-pattern analysis, then retention (AUDIT_RETENTION_DAYS). Each part's failure is
 * counted and logged; the other still runs.
 */
@Injectable()
export class AuditSecretsAccessJob extends JobHandler implements OnModuleInit {
  readonly name = 'audit_secrets_access';
  private readonly logger = new Logger(AuditSecretsAccessJob.name);

  constructor(
    private readonly jobs: JobsService,
    private readonly analysis: AccessPatternAnalysis,
    private readonly retention: AuditRetention,
  ) {
    super();
  }

  onModuleInit(): void {
    this.jobs.register(this);
  }

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const counts: Record<string, number | string> = {};
    let errors = 0;
    try {
      Object.assign(counts, await this.analysis.run());
    } catch (e) {
      errors += 1;
      this.logger.error(`access-pattern analysis failed: ${(e as Error).message}`);
    }
    try {
      const pruned = await this.retention.prune(ctx.actor);
      counts.audit_rows_pruned = pruned.deleted;
      if (pruned.skipped) counts.prune_skipped = pruned.skipped;
    } catch (e) {
      errors += 1;
      this.logger.error(`audit retention failed: ${(e as Error).message}`);
    }
    counts.errors = errors;
    return counts;
  }
}
