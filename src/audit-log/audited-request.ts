import type { FastifyRequest } from 'fastify';
import type { AuditRouteSpec } from './audited.decorator.js';

/**
 * The request as the audit writer sees it. Authentication (src/auth) narrows `user` to its
 * Actor (AppRequest); the audit writer needs only who it was, so it does not import auth.
 */
export type AuditedRequest = FastifyRequest & {
  user?: { sub: string; roles: string[] };
  /** Set by AuditRouteGuard before authentication, so denials are audited with their route. */
  auditRoute?: AuditRouteSpec;
  /** Set by JwtAuthGuard when this denial is counted in an aggregated audit row, not one of its own. */
  auditAggregated?: boolean;
};
