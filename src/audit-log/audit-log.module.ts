import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditLog } from './audit-log.service.js';
import { AuditInterceptor } from './audit.interceptor.js';

/**
 * The audit writer every module uses (infrastructure: imports no feature). The audit feature
 * (src/audit) seals, verifies and exports what this writes.
 */
@Global()
@Module({
  providers: [AuditLog, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [AuditLog],
})
export class AuditLogModule {}
