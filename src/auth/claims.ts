import { ROLES, type Actor, type Role } from './auth.types.js';

/** Reads a claim by dotted path (`realm_access.roles`), as Keycloak and others nest roles. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  return path.split('.').reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
    payload,
  );
}

const MFA_METHODS = new Set(['mfa', 'otp', 'hwk']);

/** A claim's string values (an array, or a space/comma separated string), bounded. */
function claimValues(raw: unknown): string[] {
  const names = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  return names.filter((v): v is string => typeof v === 'string' && v !== '' && v.length <= 256).slice(0, 64);
}

/**
 * `implicitReader`: a token with no known role is a `reader`, which may do only what an access
 * policy grants (deny by default), so identities that cannot carry a roles claim (Kubernetes
 * service-account tokens) can still be granted their own secrets.
 */
export function actorFromClaims(payload: Record<string, unknown>, rolesClaim: string, implicitReader = false): Actor {
  const names = claimValues(claimAt(payload, rolesClaim));
  const known = [...new Set(names.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r)))];
  const roles: Role[] = known.length === 0 && implicitReader ? ['reader'] : known;
  const amr = Array.isArray(payload.amr) ? payload.amr : [];
  const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub.slice(0, 256) : 'unknown';
  const principals = [
    `sub:${sub}`,
    ...names.map((v) => `role:${v}`),
    ...claimValues(payload.groups).map((v) => `group:${v}`),
    ...claimValues(payload.azp).map((v) => `azp:${v}`),
  ];
  return { sub, roles, mfa: amr.some((m) => typeof m === 'string' && MFA_METHODS.has(m)), principals: [...new Set(principals)] };
}
