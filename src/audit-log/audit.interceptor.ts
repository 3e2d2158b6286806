import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuditedRequest } from './audited-request.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AuditLog } from './audit-log.service.js';
import { type AuditAnnotations, runInAuditScope } from './audit-scope.js';
import { requestAuditEvent, requestOrigin } from './request-audit.js';

/**
 * Writes the success row of every @Audited route. A request that changes state runs in one unit
 * of work with its audit row: if the row cannot be written the change rolls back and the client
 * gets 503. A read is answered only after its row is written. Failures are audited by the
 * exception filter (the transaction has rolled back by then).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditLog,
    private readonly uow: UnitOfWork,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuditedRequest>();
    const spec = req.auditRoute;
    if (!spec) return next.handle();
    const annotations: AuditAnnotations = { origin: requestOrigin(req) };
    (req as AuditedRequest & { auditAnnotations?: AuditAnnotations }).auditAnnotations = annotations;
    const changesState = spec.transactional ?? (req.method !== 'GET' && req.method !== 'HEAD');

    const handleAndAudit = async () => {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.audit.record(requestAuditEvent(req, spec.action, 'success', annotations));
      return result;
    };
    // next.handle() must be called inside both scopes: Nest binds the handler's async context there.
    return from(runInAuditScope(annotations, () => (changesState ? this.uow.run(handleAndAudit) : handleAndAudit())));
  }
}
