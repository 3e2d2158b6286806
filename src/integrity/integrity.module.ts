import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { IntegrityController } from './integrity.controller.js';
import { IntegrityService, ValidateSecretIntegrityJob } from './integrity.service.js';

@Module({
  imports: [SecretsModule],
  controllers: [IntegrityController],
  providers: [IntegrityService, ValidateSecretIntegrityJob],
  exports: [IntegrityService],
})
export class IntegrityModule {}
