import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { IntegrityController } from './integrity.controller.js';
import { IntegrityCheckTaskHandler } from './integrity-check.task-handler.js';
import { IntegrityService } from './integrity.service.js';
import { ValidateSecretIntegrityJob } from './validate-secret-integrity.job.js';
import { AuditModule } from '../audit/audit.module.js';
import { AlertsModule } from '../alerts/alerts.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { CryptoModule } from '../crypto/crypto.module.js';
import { JobsModule } from '../jobs/jobs.module.js';

@Module({
  imports: [SecretsModule, AuditModule, AlertsModule, TasksModule, MetricsModule, CryptoModule, JobsModule],
  controllers: [IntegrityController],
  providers: [IntegrityService, IntegrityCheckTaskHandler, ValidateSecretIntegrityJob],
  exports: [IntegrityService],
})
export class IntegrityModule {}
