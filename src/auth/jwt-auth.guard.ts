import { type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import type { AppRequest } from './app-request.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { TokenRejected } from './jwt.strategy.js';
import { SubjectLockouts } from './subject-lockouts.js';
import { IS_PUBLIC } from '../common/public.decorator.js';

/**
 * 401 for a missing or invalid token; 429 once a client has failed too often; 403
 * `subject_locked_out` for a valid token whose subject an incident locked out. The token is judged
 * first, so a valid token never waits for others' failures, and a valid token costs no database
 * work; each failure is counted fleet-wide (one statement).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: AuthFailureLimiter,
    private readonly lockouts: SubjectLockouts,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) {
      return true;
    }
    let verified: boolean;
    try {
      verified = (await super.canActivate(context)) as boolean;
    } catch (e) {
      if (!(e instanceof UnauthorizedException)) throw e;
      const req = context.switchToHttp().getRequest<AppRequest>();
      const verdict = await this.limiter.recordFailure(req.ip ?? 'unknown');
      if (verdict.retryAfterSeconds > 0) {
        if (verdict.aggregated) req.auditAggregated = true;
        throw new DomainError(DomainErrorCode.RateLimited, 'too many failed authentication attempts; try again later', {
          retry_after_seconds: verdict.retryAfterSeconds,
        });
      }
      throw e;
    }
    // A valid token of a locked-out subject (an incident): 403, audited as a denial like any other.
    // An in-memory set lookup; the set is kept current by SubjectLockouts. Not a failed
    // authentication, so the failure limiter does not count it.
    const actor = context.switchToHttp().getRequest<AppRequest>().user;
    if (verified && actor) this.lockouts.assertAllowed(actor.sub);
    return verified;
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown, context: ExecutionContext): T {
    if (err || !user) {
      const req = context.switchToHttp().getRequest<AppRequest>();
      throw new UnauthorizedException(describeFailure(req, err, info));
    }
    return user;
  }
}

function describeFailure(req: AppRequest, err: unknown, info: unknown): string {
  if (!req.headers.authorization) return 'authentication required: send Authorization: Bearer <JWT>';
  const cause = err instanceof TokenRejected ? err : info;
  const reason = cause instanceof Error ? cause.message : 'malformed token';
  // jsonwebtoken's messages and ours name the failed check (jwt expired, invalid signature, ...); no token content.
  return `invalid token: ${reason.replace(/\. expected: .*/, '')}`;
}
