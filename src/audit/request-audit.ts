import type { AppRequest } from '../common/http-request.js';
import type { AuditAnnotations } from './audit-scope.js';
import type { AuditAction, AuditEventInput, AuditOutcome } from './audit-catalogue.js';

/** Builds the audit event of an HTTP request from what the request and the handler tell. */
export function requestAuditEvent(
  req: AppRequest,
  action: AuditAction,
  outcome: AuditOutcome,
  annotations: AuditAnnotations,
  extra: Record<string, string | number | boolean | null> = {},
): AuditEventInput {
  const params = (req.params ?? {}) as Record<string, string>;
  const spec = req.auditRoute;
  return {
    action,
    outcome,
    actor: req.user?.sub ?? 'anonymous',
    roles: req.user?.roles ?? [],
    secretId: annotations.secretId ?? (spec?.secretParam ? params[spec.secretParam] : undefined) ?? null,
    secretName: annotations.secretName ?? null,
    requestId: String(req.id),
    clientIp: req.ip ?? null,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
    details: {
      method: req.method,
      route: req.routeOptions?.url ?? null,
      ...annotations.details,
      ...extra,
    },
  };
}
