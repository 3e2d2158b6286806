/** `reader`: a service identity that sees only what an access policy grants (src/policies). */
export const ROLES = ['admin', 'auditor', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, from a verified JWT. */
export interface Actor {
  /** JWT `sub`. */
  sub: string;
  /** Known roles only; unknown role names in the token are ignored. */
  roles: Role[];
  /** True when the token's `amr` (RFC 8176) shows multi-factor authentication. */
  mfa: boolean;
  /**
   * What access policies can name this caller by (src/policies/README.md): `sub:<sub>`, and
   * `role:<v>`, `group:<v>`, `azp:<v>` for every value of the roles claim, the `groups` claim and
   * `azp`. Absent for system actors.
   */
  principals?: string[];
}

/** Background work acts as `system:<job>`, so audit rows always name an actor. */
export const systemActor = (job: string): Actor => ({ sub: `system:${job}`, roles: ['admin'], mfa: true });
