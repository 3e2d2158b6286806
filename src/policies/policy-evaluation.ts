import { Brackets, type SelectQueryBuilder, type WhereExpressionBuilder } from 'typeorm';
import type { PolicyCapability } from './entities/access-policy.entity.js';

export const CAPABILITIES = ['read_value', 'list'] as const satisfies readonly PolicyCapability[];

/** How a policy's subject names callers; a subject without one of these prefixes is an exact `sub`. */
export const SUBJECT_KINDS = ['sub', 'role', 'group', 'azp'] as const;

/** A policy as the evaluator sees it (the cache holds these; no entity leaves the module). */
export interface Policy {
  id: string;
  name: string;
  /** Normalized: `sub:<v>`, `role:<v>`, `group:<v>` or `azp:<v>`. */
  subjects: string[];
  namePrefix: string | null;
  tags: Record<string, string>;
  secretTypes: string[];
  secretIds: string[];
  capabilities: PolicyCapability[];
}

/** The attributes of a secret that selectors look at. */
export interface SecretAttributes {
  id: string;
  name: string;
  secretType: string;
  tags: Record<string, string>;
}

/** `svc-billing` → `sub:svc-billing`; `role:x`, `group:x`, `azp:x` and `sub:x` stay as they are. */
export function normalizeSubject(subject: string): string {
  const colon = subject.indexOf(':');
  const kind = colon > 0 ? subject.slice(0, colon) : '';
  return (SUBJECT_KINDS as readonly string[]).includes(kind) ? subject : `sub:${subject}`;
}

export const subjectMatches = (policy: Policy, principals: readonly string[]) => policy.subjects.filter((s) => principals.includes(s));

/** Why the policy's selectors do not match the secret; empty when they all match. */
export function selectorMismatches(policy: Policy, secret: SecretAttributes): string[] {
  const out: string[] = [];
  if (policy.namePrefix && !secret.name.startsWith(policy.namePrefix)) out.push(`name does not start with "${policy.namePrefix}"`);
  for (const [k, v] of Object.entries(policy.tags)) {
    if (secret.tags[k] !== v) out.push(`tag ${k}:${v} missing`);
  }
  if (policy.secretTypes.length > 0 && !policy.secretTypes.includes(secret.secretType)) {
    out.push(`secret type ${secret.secretType} not in [${policy.secretTypes.join(', ')}]`);
  }
  if (policy.secretIds.length > 0 && !policy.secretIds.includes(secret.id)) out.push('secret id not listed');
  return out;
}

export interface PolicyVerdict {
  policy: string;
  policy_id: string;
  /** The subjects of the policy that name the caller. */
  matched_subjects: string[];
  /** Why the selectors do not match this secret (empty: they match). */
  selector_mismatches: string[];
  capabilities: PolicyCapability[];
  /** The capabilities this policy grants the caller on this secret. */
  grants: PolicyCapability[];
}

export interface CapabilityVerdict {
  granted: boolean;
  /** Names of the policies that grant it. */
  granted_by: string[];
  reason: string;
}

export interface Explanation {
  capabilities: Record<PolicyCapability, CapabilityVerdict>;
  policies: PolicyVerdict[];
}

/** Every policy's verdict on (caller, secret) and, per capability, who grants it or why nobody does. */
export function explain(policies: readonly Policy[], principals: readonly string[], secret: SecretAttributes): Explanation {
  const verdicts: PolicyVerdict[] = policies.map((p) => {
    const matched = subjectMatches(p, principals);
    const mismatches = selectorMismatches(p, secret);
    return {
      policy: p.name,
      policy_id: p.id,
      matched_subjects: matched,
      selector_mismatches: mismatches,
      capabilities: p.capabilities,
      grants: matched.length > 0 && mismatches.length === 0 ? [...p.capabilities] : [],
    };
  });
  const naming = verdicts.filter((v) => v.matched_subjects.length > 0);
  const capabilities = Object.fromEntries(
    CAPABILITIES.map((cap) => {
      const by = verdicts.filter((v) => v.grants.includes(cap)).map((v) => v.policy);
      let reason: string;
      if (by.length > 0) reason = `granted by ${by.join(', ')}`;
      else if (naming.length === 0) reason = 'no policy names this subject (deny by default)';
      else {
        const withCap = naming.filter((v) => v.capabilities.includes(cap));
        reason =
          withCap.length === 0
            ? `no policy naming this subject has the ${cap} capability (deny by default)`
            : `selectors do not match: ${withCap.map((v) => `${v.policy} (${v.selector_mismatches.join('; ')})`).join(', ')}`;
      }
      return [cap, { granted: by.length > 0, granted_by: by, reason }];
    }),
  ) as Record<PolicyCapability, CapabilityVerdict>;
  return { capabilities, policies: verdicts };
}

/** The first policy granting `capability` on `secret` to the caller, or undefined (deny). */
export function grantingPolicy(
  policies: readonly Policy[],
  principals: readonly string[],
  capability: PolicyCapability,
  secret: SecretAttributes,
): Policy | undefined {
  return policies.find(
    (p) => p.capabilities.includes(capability) && subjectMatches(p, principals).length > 0 && selectorMismatches(p, secret).length === 0,
  );
}

/** The policies that grant the caller `capability` on some secret. */
export const policiesGranting = (policies: readonly Policy[], principals: readonly string[], capability: PolicyCapability) =>
  policies.filter((p) => p.capabilities.includes(capability) && subjectMatches(p, principals).length > 0);

const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Restricts a query over `secrets` (alias `alias`) to what any of `policies` selects: an OR of each
 * policy's ANDed selectors, as bound parameters. No policy: nothing.
 */
export function whereSelectedBy<T extends object>(qb: SelectQueryBuilder<T>, alias: string, policies: readonly Policy[]): SelectQueryBuilder<T> {
  if (policies.length === 0) return qb.andWhere('false');
  return qb.andWhere(
    new Brackets((any) => {
      policies.forEach((p, i) => {
        any.orWhere(new Brackets((all: WhereExpressionBuilder) => {
          all.where('true');
          if (p.namePrefix) all.andWhere(`${alias}.name LIKE :pp${i} ESCAPE '\\'`, { [`pp${i}`]: likePrefix(p.namePrefix) });
          if (Object.keys(p.tags).length > 0) all.andWhere(`${alias}.tags @> :pt${i}::jsonb`, { [`pt${i}`]: JSON.stringify(p.tags) });
          if (p.secretTypes.length > 0) all.andWhere(`${alias}.secret_type = ANY(:py${i})`, { [`py${i}`]: p.secretTypes });
          if (p.secretIds.length > 0) all.andWhere(`${alias}.id = ANY(:pi${i})`, { [`pi${i}`]: p.secretIds });
        }));
      });
    }),
  );
}
