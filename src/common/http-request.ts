import type { FastifyRequest } from 'fastify';
import type { Actor } from '../auth/auth.types.js';
import type { AuditRouteSpec } from '../audit-log/audited.decorator.js';

/** The request as our guards, interceptors and filters see it. */
export type AppRequest = FastifyRequest & {
  user?: Actor;
  /** Set by AuditRouteGuard before authentication, so denials are audited with their route. */
  auditRoute?: AuditRouteSpec;
  /** Set by JwtAuthGuard when this denial is counted in an aggregated audit row, not one of its own. */
  auditAggregated?: boolean;
};
