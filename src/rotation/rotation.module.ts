import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { BulkRotationHandler } from './bulk-rotation.task-handler.js';
import { BulkRotationService } from './bulk-rotation.service.js';
import { CheckExpiredSecretsJob } from './check-expired-secrets.job.js';
import { RotationController } from './rotation.controller.js';
import { RotationDueSweep } from './rotation-due-sweep.js';
import { RotationRecovery } from './rotation-recovery.js';
import { RotationService } from './rotation.service.js';
import { InlineRotation } from './inline-rotation.js';
import { RotationOutcomes } from './rotation-outcomes.js';
import { RotationRecords } from './rotation-records.js';
import { RotationResume } from './rotation-resume.js';
import { RotationRetries } from './rotation-retries.js';
import { RotatorRegistry } from './rotator-registry.js';
import { RotationRotatorRules } from './rotator-rules.provider.js';
import { StagedRotation } from './staged-rotation.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { AlertsModule } from '../alerts/alerts.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { JobsModule } from '../jobs/jobs.module.js';

@Module({
  imports: [SecretsModule, TasksModule, AlertsModule, MetricsModule, JobsModule],
  controllers: [RotationController],
  providers: [
    // The facade and the pieces it coordinates (README.md).
    RotationService,
    RotationRecords,
    RotationOutcomes,
    RotationRetries,
    RotatorRegistry,
    RotationRotatorRules,
    InlineRotation,
    StagedRotation,
    RotationResume,
    BulkRotationService,
    BulkRotationHandler,
    RotationDueSweep,
    CheckExpiredSecretsJob,
    RotationRecovery,
  ],
  exports: [RotationService],
})
export class RotationModule {}
