import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { BulkRotationHandler } from './bulk-rotation.handler.js';
import { BulkRotationService } from './bulk-rotation.service.js';
import { CheckExpiredSecretsJob } from './check-expired-secrets.job.js';
import { RotationController } from './rotation.controller.js';
import { RotationRecovery } from './rotation-recovery.js';
import { RotationService } from './rotation.service.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { AlertsModule } from '../alerts/alerts.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { JobsModule } from '../jobs/jobs.module.js';

@Module({
  imports: [SecretsModule, TasksModule, AlertsModule, MetricsModule, JobsModule],
  controllers: [RotationController],
  providers: [RotationService, BulkRotationService, BulkRotationHandler, CheckExpiredSecretsJob, RotationRecovery],
  exports: [RotationService],
})
export class RotationModule {}
