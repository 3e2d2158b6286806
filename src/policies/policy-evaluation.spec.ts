import { describe, expect, it } from 'vitest';
import { explain, grantingPolicy, normalizeSubject, type Policy, policiesGranting, type SecretAttributes } from './policy-evaluation.js';

const policy = (over: Partial<Policy>): Policy => ({
  id: 'pol_1',
  name: 'p',
  subjects: ['sub:svc-billing'],
  namePrefix: null,
  tags: {},
  secretTypes: [],
  secretIds: [],
  capabilities: ['read_value', 'list'],
  ...over,
});
const secret: SecretAttributes = { id: 'sec_AAAAAAAAAAAAAAAA', name: 'billing_db', secretType: 'DATABASE_PASSWORD', tags: { service: 'billing', env: 'prod' } };

describe('access policy evaluation', () => {
  it('normalizes subjects: a bare value is an exact sub, typed prefixes stay', () => {
    expect(normalizeSubject('svc-billing')).toBe('sub:svc-billing');
    expect(normalizeSubject('system:serviceaccount:ns:app')).toBe('sub:system:serviceaccount:ns:app');
    expect(normalizeSubject('role:billing')).toBe('role:billing');
    expect(normalizeSubject('group:ops')).toBe('group:ops');
    expect(normalizeSubject('azp:client')).toBe('azp:client');
    expect(normalizeSubject('sub:role:odd')).toBe('sub:role:odd');
  });

  it('combines selectors with AND; empty selectors match any secret', () => {
    const me = ['sub:svc-billing'];
    expect(grantingPolicy([policy({})], me, 'read_value', secret)?.name).toBe('p');
    const all = policy({ namePrefix: 'billing_', tags: { service: 'billing' }, secretTypes: ['DATABASE_PASSWORD'], secretIds: [secret.id] });
    expect(grantingPolicy([all], me, 'read_value', secret)).toBeDefined();
    for (const miss of [{ namePrefix: 'orders_' }, { tags: { service: 'orders' } }, { secretTypes: ['API_KEY'] }, { secretIds: ['sec_BBBBBBBBBBBBBBBB'] }]) {
      expect(grantingPolicy([{ ...all, ...miss }], me, 'read_value', secret)).toBeUndefined();
    }
  });

  it('denies by default: another subject, or a capability the policy lacks', () => {
    expect(grantingPolicy([policy({})], ['sub:svc-orders'], 'read_value', secret)).toBeUndefined();
    expect(grantingPolicy([policy({ capabilities: ['list'] })], ['sub:svc-billing'], 'read_value', secret)).toBeUndefined();
    expect(grantingPolicy([], ['sub:svc-billing'], 'list', secret)).toBeUndefined();
    expect(policiesGranting([policy({ capabilities: ['read_value'] })], ['sub:svc-billing'], 'list')).toEqual([]);
  });

  it('matches role, group and azp subjects against the caller principals', () => {
    const p = policy({ subjects: ['group:payments', 'azp:billing-client'] });
    expect(grantingPolicy([p], ['sub:x', 'group:payments'], 'list', secret)).toBeDefined();
    expect(grantingPolicy([p], ['sub:x', 'azp:billing-client'], 'list', secret)).toBeDefined();
    expect(grantingPolicy([p], ['sub:payments', 'role:payments'], 'list', secret)).toBeUndefined();
  });

  it('explains which policy grants each capability, or why none does', () => {
    const policies = [
      policy({ id: 'pol_a', name: 'reads-own', namePrefix: 'billing_', capabilities: ['read_value'] }),
      policy({ id: 'pol_b', name: 'lists-orders', namePrefix: 'orders_', capabilities: ['list'] }),
      policy({ id: 'pol_c', name: 'other-team', subjects: ['sub:svc-orders'] }),
    ];
    const e = explain(policies, ['sub:svc-billing'], secret);
    expect(e.capabilities.read_value).toEqual({ granted: true, granted_by: ['reads-own'], reason: 'granted by reads-own' });
    expect(e.capabilities.list.granted).toBe(false);
    expect(e.capabilities.list.reason).toBe('selectors do not match: lists-orders (name does not start with "orders_")');
    expect(e.policies.find((p) => p.policy === 'other-team')).toMatchObject({ matched_subjects: [], grants: [] });
    expect(explain(policies, ['sub:nobody'], secret).capabilities.read_value.reason).toBe('no policy names this subject (deny by default)');
    expect(explain([policy({ capabilities: ['list'] })], ['sub:svc-billing'], secret).capabilities.read_value.reason).toMatch(/no policy naming this subject has the read_value capability/);
  });
});
