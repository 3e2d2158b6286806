import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Actor, Role } from '../auth/auth.types.js';
import { ROLES_KEY } from '../auth/roles.decorator.js';
import type { AppRequest } from '../auth/app-request.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { PolicyCapability } from './entities/access-policy.entity.js';
import { secretAttributes } from './policies.queries.js';
import { PolicyCache } from './policy-cache.js';
import { grantingPolicy, type Policy, policiesGranting } from './policy-evaluation.js';

const GATE_KEY = 'strongroom:policy-gate';

interface GateSpec {
  capability: PolicyCapability;
  /** Route parameter holding the secret id, for per-secret capabilities. */
  secretParam?: string;
}

/**
 * What a policy-scoped caller may see: on a list route the policies granting it `list` (the
 * handler turns them into a SQL filter); on a per-secret route the one policy that granted it.
 * Undefined: the caller is not policy-scoped (admin, auditor).
 */
export interface PolicyScope {
  sub: string;
  policies: readonly Policy[];
}

type GatedRequest = AppRequest & { policyScope?: PolicyScope };

/**
 * Puts a route that `reader` may call under access policies. Runs after the global guards
 * (authentication, roles), so it only sees callers @Roles let in. A caller let in only through
 * `reader` needs a policy granting `capability`: on the secret named by `secretParam` (403 when
 * no policy grants it, or when the secret does not exist, so a reader cannot probe names it may
 * not see), or, on a list route, on some secret (the handler then filters by @CurrentPolicyScope).
 * Admins and auditors pass without a database read.
 */
export const PolicyGate = (capability: PolicyCapability, options: { secretParam?: string } = {}) =>
  applyDecorators(SetMetadata(GATE_KEY, { capability, ...options } satisfies GateSpec), UseGuards(PolicyGuard));

/** The list scope the gate computed; undefined for callers who see everything. */
export const CurrentPolicyScope = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): PolicyScope | undefined => ctx.switchToHttp().getRequest<GatedRequest>().policyScope,
);

/**
 * True when the caller reaches this route only through the reader role. Admin counts only with
 * MFA when REQUIRE_MFA is on: otherwise an admin+reader token without `amr` (which RolesGuard lets
 * in through `reader`) would read every value unscoped.
 */
export function policyScoped(actor: Actor | undefined, allowed: readonly Role[], requireMfa: boolean): boolean {
  const through = actor?.roles.filter((r) => allowed.includes(r) && !(r === 'admin' && requireMfa && !actor.mfa)) ?? [];
  return through.length > 0 && through.every((r) => r === 'reader');
}

@Injectable()
export class PolicyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: PolicyCache,
    private readonly uow: UnitOfWork,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const spec = this.reflector.get<GateSpec | undefined>(GATE_KEY, context.getHandler());
    if (!spec) return true;
    const req = context.switchToHttp().getRequest<GatedRequest>();
    const allowed = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? ['admin'];
    const actor = req.user;
    if (!actor || !policyScoped(actor, allowed, this.config.auth.requireMfa)) return true;
    const principals = actor.principals ?? [`sub:${actor.sub}`];
    const policies = await this.cache.current();
    if (!spec.secretParam) {
      const granting = policiesGranting(policies, principals, spec.capability);
      if (granting.length === 0) throw new ForbiddenException(`no access policy grants ${actor.sub} ${spec.capability}`);
      req.policyScope = { sub: actor.sub, policies: granting };
      return true;
    }
    const id = (req.params as Record<string, string>)[spec.secretParam];
    const secret = typeof id === 'string' ? await secretAttributes(this.uow.manager(), id) : undefined;
    const policy = secret ? grantingPolicy(policies, principals, spec.capability, secret) : undefined;
    // The same answer for a missing secret and a secret not granted: no existence leak.
    if (!secret || !policy) throw new ForbiddenException(`no access policy grants ${actor.sub} ${spec.capability} on this secret`);
    // The handler names the granting policy in its audit row (and, later, in consumer records).
    req.policyScope = { sub: actor.sub, policies: [policy] };
    return true;
  }
}
