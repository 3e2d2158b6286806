import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { RotationModule } from '../rotation/rotation.module.js';
import { SecretsModule } from '../secrets/secrets.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { IncidentResponseHandler } from './incident-response.task-handler.js';
import { IncidentsController } from './incidents.controller.js';
import { IncidentsService } from './incidents.service.js';

/**
 * Compromise response (README.md): owns `incidents` and `incident_secrets`. Reads value reads
 * through the audit module, rotates through the rotation facade, flags through the secrets
 * module, locks out through auth's SubjectLockouts. Exports the service for the security report.
 */
@Module({
  imports: [AuditModule, AuthModule, RotationModule, SecretsModule, TasksModule],
  controllers: [IncidentsController],
  providers: [IncidentsService, IncidentResponseHandler],
  exports: [IncidentsService],
})
export class IncidentsModule {}
