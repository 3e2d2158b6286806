import { type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { IS_PUBLIC } from './public.decorator.js';

type Req = { ip?: string; headers: Record<string, unknown> };

/** 401 for a missing or invalid token; 429 once a client has failed too often. No database work. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: AuthFailureLimiter,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const req = context.switchToHttp().getRequest<Req>();
    const wait = this.limiter.retryAfter(req.ip ?? 'unknown');
    if (wait > 0) {
      throw new DomainError(DomainErrorCode.RateLimited, 'too many failed authentication attempts; try again later', {
        retry_after_seconds: wait,
      });
    }
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown, context: ExecutionContext): T {
    if (err || !user) {
      const req = context.switchToHttp().getRequest<Req>();
      this.limiter.recordFailure(req.ip ?? 'unknown');
      throw new UnauthorizedException(describeFailure(req, info));
    }
    return user;
  }
}

function describeFailure(req: Req, info: unknown): string {
  if (!req.headers.authorization) return 'authentication required: send Authorization: Bearer <JWT>';
  const reason = info instanceof Error ? info.message : 'malformed token';
  // jsonwebtoken's messages name the failed check (jwt expired, invalid signature, ...); no token content.
  return `invalid token: ${reason.replace(/\. expected: .*/, '')}`;
}
