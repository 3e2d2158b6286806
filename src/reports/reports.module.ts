import { Module } from '@nestjs/common';
import { AccessReviewSignoffs } from './access-review-signoffs.service.js';
import { REPORT_JOBS } from './scheduled-reports.job.js';
import { ScheduledReports } from './scheduled-reports.service.js';
import { ReportGenerationTask } from './report-generation.task-handler.js';
import { ReportSigner } from './report-signer.js';
import { ReportsController } from './reports.controller.js';
import { ReportsRepository } from './reports.repository.js';
import { ReportsService } from './reports.service.js';
import { SecretsReportsController } from './secrets-reports.controller.js';
import { SecretStatsService } from './stats/secret-stats.service.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { IncidentsModule } from '../incidents/incidents.module.js';

/**
 * Statistics, the four report kinds (security, compliance, access review, annual), their
 * downloads (JSON, CSV, PDF, ZIP, XLSX), signing, background generation, the scheduled report jobs,
 * and the review decisions recorded on access reviews (sign-offs).
 */
@Module({
  imports: [TasksModule, AuditModule, JobsModule, IncidentsModule],
  controllers: [SecretsReportsController, ReportsController],
  providers: [
    ReportsRepository,
    ReportSigner,
    ReportsService,
    AccessReviewSignoffs,
    SecretStatsService,
    ReportGenerationTask,
    ScheduledReports,
    ...REPORT_JOBS,
  ],
  exports: [ReportsService],
})
export class ReportsModule {}
