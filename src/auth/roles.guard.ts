import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../config/index.js';
import type { Actor, Role } from './auth.types.js';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { ROLES_KEY } from './roles.decorator.js';

/** Routes are admin-only unless @Roles says otherwise; admin access may require MFA. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const allowed = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['admin'];
    const actor = context.switchToHttp().getRequest<{ user?: Actor }>().user;
    const granted = actor?.roles.filter((r) => allowed.includes(r)) ?? [];
    if (granted.length === 0) {
      throw new ForbiddenException(`this action needs the role ${allowed.join(' or ')}`);
    }
    // MFA is demanded of admin access: a caller let in only through the admin role needs `amr`.
    if (this.config.auth.requireMfa && granted.every((r) => r === 'admin') && !actor!.mfa) {
      throw new ForbiddenException('admin access requires multi-factor authentication (amr claim with mfa, otp or hwk)');
    }
    return true;
  }
}
