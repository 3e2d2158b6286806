import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/test-clock.js';
import { adminToken, auditorToken, hsToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const readerToken = (sub: string) => hsToken({ sub, roles: ['reader'] });

/** Consumers: who read which version of a secret, through a rotation. */
describe('secret consumers', () => {
  const clock = new TestClock(new Date('2026-12-02T10:00:00.000Z'));
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { CONSUMER_ACTIVE_DAYS: '7' } });
    const policy = await app.call('POST', '/api/v1/policies', {
      body: { name: 'svc-b-reads', subjects: ['svc-b'], name_prefix: 'cons_', capabilities: ['read_value', 'list'] },
    });
    expect(policy.status).toBe(201);
  });
  afterAll(() => app?.stop());

  const consumersOf = async (id: string) => {
    const res = await app.call('GET', `${S}/${id}/consumers`, { token: auditorToken() });
    expect(res.status).toBe(200);
    return res.body as { current_version: number; consumers: Array<Record<string, unknown>> };
  };
  const staleIds = async () => ((await app.call('GET', `${S}?stale_consumers=true`)).body.items as { id: string }[]).map((s) => s.id);
  // Fleet gauges are computed from one snapshot that serves scrapes for a second: wait for a fresh one.
  const gaugeIs = (n: number) =>
    eventually(async () => {
      const text = (await app.call('GET', '/metrics')).text;
      const line = text.split('\n').find((l) => l.startsWith('secret_consumers_on_previous_version '));
      return Number(line?.split(' ')[1]) === n ? true : null;
    }, 10_000);

  it('tracks each consumer and the version it received through a rotation', async () => {
    const created = await app.call('POST', `${S}/`, { body: { name: 'cons_api', secret_type: 'API_KEY' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const other = (await app.call('POST', `${S}/`, { body: { name: 'cons_other', secret_type: 'API_KEY' } })).body.id as string;
    expect((await consumersOf(id)).consumers).toEqual([]);

    const t0 = clock.now().toISOString();
    expect((await app.call('GET', `${S}/${id}/value`, { token: adminToken('svc-a') })).status).toBe(200);
    clock.advance(60_000);
    expect((await app.call('GET', `${S}/${id}/value`, { token: adminToken('svc-a') })).status).toBe(200);
    expect((await app.call('GET', `${S}/${id}/value`, { token: readerToken('svc-b') })).status).toBe(200);
    // A denied read records nothing.
    expect((await app.call('GET', `${S}/${id}/value`, { token: readerToken('svc-c') })).status).toBe(403);

    let list = await consumersOf(id);
    expect(list.current_version).toBe(1);
    expect(list.consumers).toHaveLength(2);
    expect(list.consumers.find((c) => c.sub === 'svc-a')).toMatchObject({
      last_version: 1,
      on_current_version: true,
      active: true,
      first_read_at: t0,
      last_read_at: clock.now().toISOString(),
      read_count: 2,
    });
    expect(await staleIds()).toEqual([]);
    await gaugeIs(0);

    const rotated = await app.call('POST', `${S}/${id}/rotate`);
    expect(rotated.status).toBe(200);
    // Both consumers are now behind: the secret is listed as stale, the gauge counts them.
    expect(await staleIds()).toEqual([id]);
    await gaugeIs(2);
    expect((await app.call('GET', `${S}/${id}`)).body.consumers).toEqual({ active: 2, on_current: 0 });
    // The list filter combines with the others and with a reader's scope.
    expect((await app.call('GET', `${S}?stale_consumers=true&name_prefix=cons_other`)).body.items).toEqual([]);
    expect(((await app.call('GET', `${S}?stale_consumers=true`, { token: readerToken('svc-b') })).body.items as { id: string }[]).map((s) => s.id)).toEqual([id]);

    clock.advance(60_000);
    expect((await app.call('GET', `${S}/${id}/value`, { token: readerToken('svc-b') })).body.version).toBe(2);
    list = await consumersOf(id);
    expect(list.consumers.map((c) => [c.sub, c.last_version, c.on_current_version])).toEqual([
      ['svc-b', 2, true],
      ['svc-a', 1, false],
    ]);
    expect((await app.call('GET', `${S}/${id}`)).body.consumers).toEqual({ active: 2, on_current: 1 });
    await gaugeIs(1);

    // An explicit read of the old version is recorded as what it is.
    expect((await app.call('GET', `${S}/${id}/value?version=1`, { token: adminToken('svc-a') })).body.version).toBe(1);
    expect((await consumersOf(id)).consumers.find((c) => c.sub === 'svc-a')).toMatchObject({ last_version: 1, read_count: 3 });
    expect((await app.call('GET', `${S}/${id}/value`, { token: adminToken('svc-a') })).body.version).toBe(2);
    expect(await staleIds()).toEqual([]);

    // A consumer gone quiet for longer than CONSUMER_ACTIVE_DAYS no longer counts.
    await app.call('POST', `${S}/${id}/rotate`);
    expect(await staleIds()).toEqual([id]);
    clock.advanceDays(8);
    expect(await staleIds()).toEqual([]);
    expect((await consumersOf(id)).consumers.every((c) => c.active === false)).toBe(true);
    expect(other).toBeTruthy();
  });

  it('is for admins and auditors only, rejects bad input, and answers 404 for an unknown secret', async () => {
    const id = (await app.call('POST', `${S}/`, { body: { name: 'cons_authz', secret_type: 'API_KEY' } })).body.id as string;
    expect((await app.call('GET', `${S}/${id}/consumers`, { token: readerToken('svc-b') })).status).toBe(403);
    expect((await app.call('GET', `${S}/sec_AAAAAAAAAAAAAAAA/consumers`)).status).toBe(404);
    expect((await app.call('GET', `${S}?stale_consumers=maybe`)).status).toBe(400);
  });
});
