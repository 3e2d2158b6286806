import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { auditorToken, hsToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const DAY = 86_400_000;

/** GET /secrets?expiring_within_days=N: live secrets not yet expired whose expires_at is within N days. */
describe('secrets list: expiring_within_days', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
    const mk = async (name: string, secret_type: string, days: number | null, tags: Record<string, string> = {}) => {
      const expires_at = days === null ? undefined : new Date(Date.now() + days * DAY).toISOString();
      const r = await app.call('POST', `${S}/`, { body: { name, secret_type, tags, ...(expires_at ? { expires_at } : {}) } });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    await mk('exp_1d', 'API_KEY', 1, { team: 'a' });
    await mk('exp_6d', 'WEBHOOK_SECRET', 6, { team: 'b' });
    await mk('exp_10d', 'API_KEY', 10, { team: 'a' });
    await mk('exp_400d', 'API_KEY', 400);
    await mk('exp_past', 'API_KEY', -1, { team: 'a' });
    await mk('exp_never', 'API_KEY', null);
    await mk('granted_3d', 'API_KEY', 3);
    await mk('granted_20d', 'API_KEY', 20);
    const deleted = await mk('exp_deleted_2d', 'API_KEY', 2);
    expect((await app.call('DELETE', `${S}/${deleted}`)).status).toBe(204);
    const policy = await app.call('POST', '/api/v1/policies', { body: { name: 'exp-readers', subjects: ['svc-exp'], name_prefix: 'granted_', capabilities: ['list'] } });
    expect(policy.status, policy.text).toBe(201);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const names = async (query: string, token?: string) => {
    const res = await app.call('GET', `${S}/?${query}`, { token });
    expect(res.status, `${query}: ${res.text}`).toBe(200);
    return (res.body.items as { name: string }[]).map((s) => s.name).sort();
  };

  it('selects secrets not expired whose expires_at falls within N days, never deleted ones, and agrees with the stats', async () => {
    expect(await names('expiring_within_days=7', auditorToken())).toEqual(['exp_1d', 'exp_6d', 'granted_3d']);
    expect(await names('expiring_within_days=30')).toEqual(['exp_10d', 'exp_1d', 'exp_6d', 'granted_20d', 'granted_3d']);
    expect(await names('expiring_within_days=365')).not.toContain('exp_400d');
    expect(await names('expiring_within_days=1')).toEqual(['exp_1d']);
    expect(await names('expiring_within_days=5')).toEqual(['exp_1d', 'granted_3d']); // exp_deleted_2d is deleted
    const stats = (await app.call('GET', `${S}/stats`)).body;
    expect((await names('expiring_within_days=7')).length).toBe(stats.expiring_within_7_days);
    expect((await names('expiring_within_days=30')).length).toBe(stats.expiring_within_30_days);
  });

  it('combines with the other filters, paging and expired_only=false', async () => {
    expect(await names('expiring_within_days=30&secret_type=API_KEY&name_prefix=exp_')).toEqual(['exp_10d', 'exp_1d']);
    expect(await names('expiring_within_days=30&tag=team:a')).toEqual(['exp_10d', 'exp_1d']);
    expect(await names('expiring_within_days=7&tag=team:b&expired_only=false')).toEqual(['exp_6d']);
    const first = await app.call('GET', `${S}/?expiring_within_days=7&limit=2`);
    expect(first.body.items).toHaveLength(2);
    const second = await app.call('GET', `${S}/?expiring_within_days=7&limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    const paged = [...first.body.items, ...second.body.items].map((s: { name: string }) => s.name).sort();
    expect(paged).toEqual(['exp_1d', 'exp_6d', 'granted_3d']);
    expect(second.body.next_cursor).toBeNull();
  });

  it("stays within a reader's policy scope", async () => {
    const reader = hsToken({ sub: 'svc-exp', roles: ['reader'] });
    expect(await names('expiring_within_days=7', reader)).toEqual(['granted_3d']);
    expect(await names('expiring_within_days=30', reader)).toEqual(['granted_20d', 'granted_3d']);
  });

  it('refuses a bound out of 1..365, a non-integer, and expired_only=true with it, with 400 naming the field', async () => {
    for (const query of ['expiring_within_days=0', 'expiring_within_days=366', 'expiring_within_days=-3', 'expiring_within_days=1.5', 'expiring_within_days=abc', 'expiring_within_days=', 'expiring_within_days=7&expired_only=true']) {
      const res = await app.call('GET', `${S}/?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.message, query).toContain('expiring_within_days');
    }
  });
});
