import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { BackupsController } from './backups.controller.js';
import { BackupSecretsJob } from './backup-secrets.job.js';
import { BackupsService } from './backups.service.js';
import { AuditModule } from '../audit/audit.module.js';
import { CryptoModule } from '../crypto/crypto.module.js';

@Module({
  imports: [SecretsModule, AuditModule, CryptoModule],
  controllers: [BackupsController],
  providers: [BackupsService, BackupSecretsJob],
})
export class BackupsModule {}
