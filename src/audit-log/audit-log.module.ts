import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log.service.js';
import { MetricsModule } from '../metrics/metrics.module.js';

/**
 * The audit writer every module uses (infrastructure: imports no feature). The audit feature
 * (src/audit) seals, verifies and exports what this writes.
 */
@Global()
@Module({
  imports: [MetricsModule],
  // Its interceptor and route guard are registered with the request pipeline (src/app.pipeline.ts).
  providers: [AuditLog],
  exports: [AuditLog],
})
export class AuditLogModule {}
