import { Injectable } from '@nestjs/common';
import { JobHandler, type JobContext, ScheduledJob } from '../jobs/job-handler.js';
import type { ReportKind } from './reports.types.js';
import { ScheduledReports } from './scheduled-reports.service.js';

/** The four scheduled reports (schedules in jobs/job-schedules.ts); crons only trigger. */
// Decorated so the subclasses inherit its constructor's parameter types for injection.
@Injectable()
abstract class ReportJob extends JobHandler {
  protected abstract readonly kind: ReportKind;

  constructor(private readonly scheduled: ScheduledReports) {
    super();
  }

  run(ctx: JobContext): Promise<Record<string, number | string>> {
    return this.scheduled.generate(this.kind, ctx.slot, ctx.actor);
  }
}

@Injectable()
@ScheduledJob()
export class SecurityReportJob extends ReportJob {
  readonly name = 'generate_security_report';
  protected readonly kind = 'security';
}

@Injectable()
@ScheduledJob()
export class ComplianceReportJob extends ReportJob {
  readonly name = 'generate_compliance_report';
  protected readonly kind = 'compliance';
}

@Injectable()
@ScheduledJob()
export class AccessReviewJob extends ReportJob {
  readonly name = 'generate_access_review';
  protected readonly kind = 'access_review';
}

@Injectable()
@ScheduledJob()
export class AnnualAssessmentJob extends ReportJob {
  readonly name = 'generate_annual_assessment';
  protected readonly kind = 'annual';
}

export const REPORT_JOBS = [SecurityReportJob, ComplianceReportJob, AccessReviewJob, AnnualAssessmentJob];
