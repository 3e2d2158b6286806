import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { BackupsController } from './backups.controller.js';
import { BackupSecretsJob } from './backup-secrets.job.js';
import { BackupsService } from './backups.service.js';

@Module({
  imports: [SecretsModule],
  controllers: [BackupsController],
  providers: [BackupsService, BackupSecretsJob],
})
export class BackupsModule {}
