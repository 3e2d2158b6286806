import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditEvents } from './audit-events.service.js';
import { AuditExporter } from './audit-export.service.js';
import { AuditLog } from './audit-log.service.js';
import { AuditRetention } from './audit-retention.service.js';
import { AuditSecretsAccessJob } from './audit-secrets-access.job.js';
import { AuditVerifier } from './audit-verifier.service.js';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditCheckpointer } from './checkpoints/audit-checkpointer.js';
import { AuditCheckpoints } from './checkpoints/audit-checkpoints.js';
import { AuditSigner } from './checkpoints/audit-signer.js';
import { AccessPatternAnalysis } from './findings/access-pattern-analysis.js';
import { SecurityFindings } from './findings/security-findings.service.js';

@Global()
@Module({
  controllers: [AuditController],
  providers: [
    AuditLog,
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    AuditSigner,
    AuditCheckpoints,
    AuditVerifier,
    AuditCheckpointer,
    AuditRetention,
    AuditEvents,
    AuditExporter,
    SecurityFindings,
    AccessPatternAnalysis,
    AuditSecretsAccessJob,
  ],
  exports: [AuditLog, SecurityFindings, AuditVerifier],
})
export class AuditModule {}
