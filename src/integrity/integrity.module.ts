import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { IntegrityController } from './integrity.controller.js';
import { IntegrityService, ValidateSecretIntegrityJob } from './integrity.service.js';
import { AuditModule } from '../audit/audit.module.js';
import { AlertsModule } from '../alerts/alerts.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { CryptoModule } from '../crypto/crypto.module.js';
import { JobsModule } from '../jobs/jobs.module.js';

@Module({
  imports: [SecretsModule, AuditModule, AlertsModule, TasksModule, MetricsModule, CryptoModule, JobsModule],
  controllers: [IntegrityController],
  providers: [IntegrityService, ValidateSecretIntegrityJob],
  exports: [IntegrityService],
})
export class IntegrityModule {}
