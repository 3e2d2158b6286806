import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { BulkRotationHandler } from './bulk-rotation.task-handler.js';
import { BulkRotationService } from './bulk-rotation.service.js';
import { CheckExpiredSecretsJob } from './check-expired-secrets.job.js';
import { RotationController } from './rotation.controller.js';
import { RotationDueSweep } from './rotation-due-sweep.js';
import { RotationRecovery } from './rotation-recovery.js';
import { RotationService } from './rotation.service.js';

@Module({
  imports: [SecretsModule],
  controllers: [RotationController],
  providers: [RotationService, BulkRotationService, BulkRotationHandler, RotationDueSweep, CheckExpiredSecretsJob, RotationRecovery],
  exports: [RotationService],
})
export class RotationModule {}
