import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobHandler, type JobContext } from '../jobs/job-handler.js';
import { JobsService } from '../jobs/jobs.service.js';
import { defaultPeriod } from './report-period.js';
import { COMPLIANCE_STANDARDS, type ComplianceStandard, type ReportKind } from './reports.types.js';
import { reportDedupKey } from './report-dedup.js';
import { BACKGROUND_WAIT_MS, ReportsService } from './reports.service.js';

/**
 * The four scheduled reports (schedules in jobs/job-schedules.ts). Crons only trigger; each job
 * asks ReportsService for the kind's scheduled period ending at the run's slot and stores the
 * result with its own report.generated audit row.
 */
@Injectable()
abstract class ReportJob extends JobHandler implements OnModuleInit {
  protected readonly logger = new Logger(this.constructor.name);

  constructor(
    private readonly jobs: JobsService,
    protected readonly reports: ReportsService,
  ) {
    super();
  }

  onModuleInit(): void {
    this.jobs.register(this);
  }

  protected async one(kind: ReportKind, ctx: JobContext, standard?: ComplianceStandard): Promise<{ id: string; score: unknown }> {
    const spec = { kind, standard, period: defaultPeriod(kind, ctx.slot) };
    // A slot's period is fixed, so it is its own key: a rerun of the slot finds the stored report.
    const key = reportDedupKey(spec, new Date(spec.period.to.getTime() + 1));
    const { doc } = await this.reports.obtain(spec, key, ctx.actor, { waitMs: BACKGROUND_WAIT_MS });
    return { id: doc.id, score: doc.metrics.security_score };
  }
}

@Injectable()
export class SecurityReportJob extends ReportJob {
  readonly name = 'generate_security_report';

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const { id, score } = await this.one('security', ctx);
    return { reports: 1, report_id: id, security_score: Number(score) };
  }
}

@Injectable()
export class ComplianceReportJob extends ReportJob {
  readonly name = 'generate_compliance_report';

  /** One summary per standard; a failing standard is counted and the others still run. */
  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    let reports = 0;
    let errors = 0;
    for (const standard of COMPLIANCE_STANDARDS) {
      try {
        await this.one('compliance', ctx, standard);
        reports += 1;
      } catch (e) {
        errors += 1;
        this.logger.error(`compliance summary ${standard} failed: ${(e as Error).message}`);
      }
    }
    if (reports === 0) throw new Error('no compliance summary could be generated');
    return { reports, errors };
  }
}

@Injectable()
export class AccessReviewJob extends ReportJob {
  readonly name = 'generate_access_review';

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const { id } = await this.one('access_review', ctx);
    return { reports: 1, report_id: id };
  }
}

@Injectable()
export class AnnualAssessmentJob extends ReportJob {
  readonly name = 'generate_annual_assessment';

  async run(ctx: JobContext): Promise<Record<string, number | string>> {
    const { id } = await this.one('annual', ctx);
    return { reports: 1, report_id: id };
  }
}

export const REPORT_JOBS = [SecurityReportJob, ComplianceReportJob, AccessReviewJob, AnnualAssessmentJob];
