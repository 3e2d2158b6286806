import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from './verified-token-cache.js';

describe('VerifiedTokenCache', () => {
  let now = 1_000_000_000_000;
  const cache = (o: Partial<ConstructorParameters<typeof VerifiedTokenCache>[0]> = {}) =>
    new VerifiedTokenCache({ clockToleranceSeconds: 5, ...o }, () => now);

  it('hands back verified claims until exp (plus the tolerance), then forgets them', () => {
    const c = cache();
    const exp = now / 1000 + 60;
    c.remember('k', { sub: 'a', exp });
    expect(c.get('k')).toEqual({ sub: 'a', exp });
    now += 64_000;
    expect(c.get('k')).toBeDefined();
    now += 2_000;
    expect(c.get('k')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('never caches a token without exp, and checks nbf, iss and aud on every use', () => {
    const c = cache({ issuer: 'idp', audience: 'strongroom' });
    c.remember('no-exp', { sub: 'a' });
    expect(c.get('no-exp')).toBeUndefined();
    const exp = now / 1000 + 60;
    c.remember('future', { sub: 'a', exp, nbf: now / 1000 + 30, iss: 'idp', aud: 'strongroom' });
    expect(c.get('future')).toBeUndefined();
    c.remember('other-iss', { sub: 'a', exp, iss: 'evil', aud: 'strongroom' });
    expect(c.get('other-iss')).toBeUndefined();
    c.remember('aud-list', { sub: 'a', exp, iss: 'idp', aud: ['x', 'strongroom'] });
    expect(c.get('aud-list')).toBeDefined();
  });

  it('stays bounded, dropping the least recently used', () => {
    const c = cache({ max: 2 });
    const exp = now / 1000 + 60;
    c.remember('a', { exp });
    c.remember('b', { exp });
    c.get('a');
    c.remember('c', { exp });
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
  });
});
