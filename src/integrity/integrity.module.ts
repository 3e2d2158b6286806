import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { IntegrityController } from './integrity.controller.js';
import { IntegrityCheckTaskHandler } from './integrity-check.task-handler.js';
import { IntegrityService } from './integrity.service.js';
import { ValidateSecretIntegrityJob } from './validate-secret-integrity.job.js';

@Module({
  imports: [SecretsModule],
  controllers: [IntegrityController],
  providers: [IntegrityService, IntegrityCheckTaskHandler, ValidateSecretIntegrityJob],
  exports: [IntegrityService],
})
export class IntegrityModule {}
