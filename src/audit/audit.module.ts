import { Module } from '@nestjs/common';
import { AuditEvents } from './audit-events.service.js';
import { AuditExporter } from './audit-export.service.js';
import { AuditRetention } from './audit-retention.service.js';
import { AuditReview } from './audit-review.service.js';
import { AuditSecretsAccessJob } from './audit-secrets-access.job.js';
import { AuditVerifier } from './audit-verifier.service.js';
import { AuditValueReads } from './value-reads.service.js';
import { AuditController } from './audit.controller.js';
import { AuditCheckpointer } from './checkpoints/audit-checkpointer.js';
import { AuditCheckpoints } from './checkpoints/audit-checkpoints.js';
import { AuditSigner } from './checkpoints/audit-signer.js';
import { AccessPatternAnalysis } from './findings/access-pattern-analysis.js';
import { SecurityFindings } from './findings/security-findings.service.js';
import { AuditSealer } from './sealer/audit-sealer.js';
import { AlertsModule } from '../alerts/alerts.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { JobsModule } from '../jobs/jobs.module.js';

/** The audit feature: sealer, verification, export, checkpoints, retention, findings. */
@Module({
  imports: [AlertsModule, MetricsModule, JobsModule],
  controllers: [AuditController],
  providers: [
    AuditSealer,
    AuditSigner,
    AuditCheckpoints,
    AuditVerifier,
    AuditCheckpointer,
    AuditRetention,
    AuditEvents,
    AuditExporter,
    SecurityFindings,
    AccessPatternAnalysis,
    AuditReview,
    AuditSecretsAccessJob,
    AuditValueReads,
  ],
  exports: [SecurityFindings, AuditVerifier, AuditCheckpoints, AuditValueReads],
})
export class AuditModule {}
