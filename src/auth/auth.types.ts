export const ROLES = ['admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, from a verified JWT. */
export interface Actor {
  /** JWT `sub`. */
  sub: string;
  /** Known roles only; unknown role names in the token are ignored. */
  roles: Role[];
  /** True when the token's `amr` (RFC 8176) shows multi-factor authentication. */
  mfa: boolean;
}

/** Background work acts as `system:<job>`, so audit rows always name an actor. */
export const systemActor = (job: string): Actor => ({ sub: `system:${job}`, roles: ['admin'], mfa: true });
