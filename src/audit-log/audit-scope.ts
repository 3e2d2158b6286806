import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditEventInput } from './audit-catalogue.js';

/** What a handler learns while it runs and its audit row should say (never a value). */
export interface AuditAnnotations {
  /** Who and where the request came from, for rows a handler writes itself (bulk items). */
  origin?: Omit<AuditEventInput, 'action' | 'outcome' | 'secretId' | 'secretName' | 'details'>;
  secretId?: string;
  secretName?: string;
  details?: Record<string, string | number | boolean | null>;
}

const scope = new AsyncLocalStorage<AuditAnnotations>();

export function runInAuditScope<T>(annotations: AuditAnnotations, fn: () => T): T {
  return scope.run(annotations, fn);
}

/** Services call this to name the secret they acted on; a no-op outside a request. */
export function annotateAudit(more: AuditAnnotations): void {
  const current = scope.getStore();
  if (!current) return;
  if (more.secretId !== undefined) current.secretId = more.secretId;
  if (more.secretName !== undefined) current.secretName = more.secretName;
  if (more.details) current.details = { ...current.details, ...more.details };
}

/** The request's origin, or the given fallback outside a request (background work). */
export function auditOrigin(): AuditAnnotations['origin'] {
  return scope.getStore()?.origin;
}
