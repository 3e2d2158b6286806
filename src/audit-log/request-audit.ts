import type { AuditedRequest } from './audited-request.js';
import { clientRequestIdOf } from '../common/logging.js';
import type { AuditAnnotations } from './audit-scope.js';
import type { AuditAction, AuditEventInput, AuditOutcome } from './audit-catalogue.js';

/** Who made the request and from where: the part of its audit rows the handler cannot change. */
export function requestOrigin(req: AuditedRequest): NonNullable<AuditAnnotations['origin']> {
  return {
    actor: req.user?.sub ?? 'anonymous',
    roles: req.user?.roles ?? [],
    requestId: String(req.id),
    clientIp: req.ip ?? null,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
  };
}

/** Builds the audit event of an HTTP request from what the request and the handler tell. */
export function requestAuditEvent(
  req: AuditedRequest,
  action: AuditAction,
  outcome: AuditOutcome,
  annotations: AuditAnnotations,
  extra: Record<string, string | number | boolean | null> = {},
): AuditEventInput {
  const params = (req.params ?? {}) as Record<string, string>;
  const spec = req.auditRoute;
  // The caller's own id, when well-formed, beside ours (request_id), never instead of it.
  const clientRequestId = clientRequestIdOf(req);
  return {
    ...(annotations.origin ?? requestOrigin(req)),
    action,
    outcome,
    secretId: annotations.secretId ?? (spec?.secretParam ? params[spec.secretParam] : undefined) ?? null,
    secretName: annotations.secretName ?? null,
    details: {
      method: req.method,
      route: req.routeOptions?.url ?? null,
      ...(clientRequestId === undefined ? {} : { client_request_id: clientRequestId }),
      ...annotations.details,
      ...extra,
    },
  };
}
