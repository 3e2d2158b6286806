import { SetMetadata } from '@nestjs/common';
import type { AuditAction } from './audit-catalogue.js';

export const AUDITED_KEY = 'strongroom:audited';

export interface AuditRouteSpec {
  action: AuditAction;
  /** Route parameter holding the secret id, recorded even when the handler fails. */
  secretParam?: string;
  /**
   * Whether the handler runs in one transaction with its audit row (default: every method but
   * GET). Multi-step work that must commit as it goes (staged rotation) opts out and audits
   * each committed step itself.
   */
  transactional?: boolean;
}

/**
 * Every authenticated route carries @Audited: the interceptor writes its success row, the
 * exception filter its failure row (401/403 included). A test walks the OpenAPI document to make
 * sure no route lacks it.
 */
export const Audited = (action: AuditAction, options: Omit<AuditRouteSpec, 'action'> = {}) =>
  SetMetadata(AUDITED_KEY, { action, ...options } satisfies AuditRouteSpec);
