import type { AuditedRequest } from '../audit-log/audited-request.js';
import type { Actor } from './auth.types.js';

/** The request as our guards, interceptors and filters see it: the audit fields plus the verified actor. */
export type AppRequest = AuditedRequest & { user?: Actor };
