import { describe, expect, it } from 'vitest';
import { actorFromClaims, claimAt } from './claims.js';

describe('claims', () => {
  it('reads dotted paths and flat names', () => {
    expect(claimAt({ realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['admin']);
    expect(claimAt({ 'https://x/roles': ['auditor'] }, 'https://x/roles')).toEqual(['auditor']);
    expect(claimAt({}, 'a.b.c')).toBeUndefined();
  });

  it('keeps only known roles and detects MFA from amr', () => {
    const actor = actorFromClaims({ sub: 'u1', roles: ['admin', 'superuser'], amr: ['pwd', 'otp'] }, 'roles');
    expect(actor).toEqual({ sub: 'u1', roles: ['admin'], mfa: true, principals: ['sub:u1', 'role:admin', 'role:superuser'] });
    expect(actorFromClaims({ sub: 'u2', scope: 'auditor other' }, 'scope').roles).toEqual(['auditor']);
    expect(actorFromClaims({ sub: 'u3', roles: 'admin', amr: ['pwd'] }, 'roles').mfa).toBe(false);
  });

  it('names the caller for access policies by sub, every role value, groups and azp', () => {
    const actor = actorFromClaims({ sub: 'system:serviceaccount:ns:app', roles: ['reader'], groups: 'ops dev', azp: 'billing-client' }, 'roles');
    expect(actor.principals).toEqual(['sub:system:serviceaccount:ns:app', 'role:reader', 'group:ops', 'group:dev', 'azp:billing-client']);
  });

  it('makes a token without a known role a reader only when implicitReader is on', () => {
    expect(actorFromClaims({ sub: 'system:serviceaccount:ns:app' }, 'roles').roles).toEqual([]);
    expect(actorFromClaims({ sub: 'system:serviceaccount:ns:app' }, 'roles', true).roles).toEqual(['reader']);
    expect(actorFromClaims({ sub: 'u', roles: ['auditor'] }, 'roles', true).roles).toEqual(['auditor']);
  });
});
