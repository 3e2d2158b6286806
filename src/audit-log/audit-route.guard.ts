import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuditedRequest } from './audited-request.js';
import { AUDITED_KEY, type AuditRouteSpec } from './audited.decorator.js';

/** Runs first: remembers the route's audit action on the request so a denial can be audited. */
@Injectable()
export class AuditRouteGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const spec = this.reflector.get<AuditRouteSpec | undefined>(AUDITED_KEY, context.getHandler());
    if (spec) context.switchToHttp().getRequest<AuditedRequest>().auditRoute = spec;
    return true;
  }
}
