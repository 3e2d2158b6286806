import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopScheduler } from '../../src/jobs/loop-scheduler.js';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
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

  it('writes noted reads within the flush interval on its own, with no reader of the table asking', async () => {
    const id = (await app.call('POST', `${S}/`, { body: { name: 'cons_timer', secret_type: 'API_KEY' } })).body.id as string;
    expect((await app.call('GET', `${S}/${id}/value`, { token: readerToken('svc-b') })).status).toBe(200);
    // Straight from the table: the API's readers would flush first and hide a timer that never fires.
    const db = await connect(app.db.url);
    try {
      const row = await eventually(async () => {
        const r = await db.query<{ sub: string; read_count: string }>('SELECT sub, read_count FROM secret_consumers WHERE secret_id = $1', [id]);
        return r.rows[0] ?? null;
      }, 10_000);
      expect(row).toEqual({ sub: 'svc-b', read_count: '1' });
    } finally {
      await db.end();
    }
  });

  it('is for admins and auditors only, rejects bad input, and answers 404 for an unknown secret', async () => {
    const id = (await app.call('POST', `${S}/`, { body: { name: 'cons_authz', secret_type: 'API_KEY' } })).body.id as string;
    expect((await app.call('GET', `${S}/${id}/consumers`, { token: readerToken('svc-b') })).status).toBe(403);
    expect((await app.call('GET', `${S}/sec_AAAAAAAAAAAAAAAA/consumers`)).status).toBe(404);
    expect((await app.call('GET', `${S}?stale_consumers=maybe`)).status).toBe(400);
  });
});

/** Rotation that knows its consumers: grace period, retirement, emergency alert. */
describe('rotation and consumers', () => {
  const clock = new TestClock(new Date('2026-12-02T10:00:00.000Z'));
  let app: TestApp;
  let loops: LoopScheduler;
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { ROTATION_GRACE_PERIOD_HOURS: '24', CONSUMER_ACTIVE_DAYS: '7' } });
    loops = app.app.get(LoopScheduler);
    // The boot tick (not awaited by the boot) is over once a tick runs.
    await eventually(async () => (await loops.tick('previous_version_retirement')) === 'ran');
    const policy = await app.call('POST', '/api/v1/policies', { body: { name: 'rot-readers', subjects: ['svc-a', 'svc-b'], name_prefix: 'rot_', capabilities: ['read_value'] } });
    expect(policy.status).toBe(201);
  });
  afterAll(() => app?.stop());

  const read = (id: string, sub: string, version?: number) =>
    app.call('GET', `${S}/${id}/value${version ? `?version=${version}` : ''}`, { token: readerToken(sub) });
  const states = async (id: string) =>
    Object.fromEntries(((await app.call('GET', `${S}/${id}/versions`)).body as { version: number; state: string }[]).map((v) => [v.version, v.state]));
  const retire = async () => expect(await loops.tick('previous_version_retirement')).toBe('ran');
  const make = async (name: string) => {
    const r = await app.call('POST', `${S}/`, { body: { name, secret_type: 'API_KEY' } });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  it('keeps the previous version readable until the last active consumer reads the new one, then retires it', async () => {
    const id = await make('rot_moved');
    expect((await read(id, 'svc-a')).status).toBe(200);
    expect((await read(id, 'svc-b')).status).toBe(200);
    expect((await app.call('POST', `${S}/${id}/rotate`)).status).toBe(200);

    // svc-a moves; svc-b still reads version 1, which stays readable.
    expect((await read(id, 'svc-a')).body.version).toBe(2);
    expect((await read(id, 'svc-b', 1)).status).toBe(200);
    await retire();
    expect(await states(id)).toEqual({ 1: 'previous', 2: 'current' });
    const history = (await app.call('GET', `${S}/${id}/rotations`)).body as { to_version: number; consumers: unknown }[];
    expect(history[0]).toMatchObject({ to_version: 2, consumers: { active: 2, moved: 1 } });

    // The last consumer moves: the next tick retires version 1 (history kept, audited).
    expect((await read(id, 'svc-b')).body.version).toBe(2);
    expect(((await app.call('GET', `${S}/${id}/rotations`)).body as { consumers: unknown }[])[0]!.consumers).toEqual({ active: 2, moved: 2 });
    await retire();
    expect(await states(id)).toEqual({ 1: 'retired', 2: 'current' });
    // Readers no longer get it; an admin still can, by explicit version.
    const gone = await read(id, 'svc-b', 1);
    expect(gone.status).toBe(410);
    expect(gone.body.message).toContain('retired');
    expect((await app.call('GET', `${S}/${id}/value?version=1`)).status).toBe(200);
    const pg = await connect(app.db.url);
    try {
      const rows = (await pg.query("SELECT actor, details FROM audit_events WHERE action = 'secret.version_retired' AND secret_id = $1", [id])).rows;
      expect(rows).toEqual([{ actor: 'system:previous_version_retirement', details: { version: 1, current_version: 2, reason: 'consumers_moved' } }]);
    } finally {
      await pg.end();
    }
  });

  it('retires the previous version when the grace period ends, per secret, even with consumers behind', async () => {
    const id = await make('rot_grace');
    const other = await make('rot_grace_default');
    expect((await app.call('PATCH', `${S}/${id}`, { body: { grace_period_hours: 2 } })).body.grace_period_hours).toBe(2);
    expect((await app.call('PATCH', `${S}/${id}`, { body: { grace_period_hours: -1 } })).status).toBe(400);
    for (const s of [id, other]) {
      expect((await read(s, 'svc-a')).status).toBe(200);
      expect((await app.call('POST', `${S}/${s}/rotate`)).status).toBe(200);
    }
    clock.advance(2 * 3_600_000 - 1000);
    await retire();
    expect(await states(id)).toEqual({ 1: 'previous', 2: 'current' });
    clock.advance(1000);
    await retire();
    // svc-a never moved: the grace period ended it anyway. The other secret's default (24 h) runs on.
    expect(await states(id)).toEqual({ 1: 'retired', 2: 'current' });
    expect(await states(other)).toEqual({ 1: 'previous', 2: 'current' });
    clock.advance(22 * 3_600_000);
    await retire();
    expect(await states(other)).toEqual({ 1: 'retired', 2: 'current' });
  });

  it('a secret nobody reads keeps its previous version for the grace period', async () => {
    const id = await make('rot_unread');
    expect((await app.call('POST', `${S}/${id}/rotate`)).status).toBe(200);
    await retire();
    expect(await states(id)).toEqual({ 1: 'previous', 2: 'current' });
  });

  it('an emergency rotation raises an alert naming the consumers that had not read the new version', async () => {
    const id = await make('rot_emergency');
    expect((await read(id, 'svc-a')).status).toBe(200);
    expect((await read(id, 'svc-b')).status).toBe(200);
    const res = await app.call('POST', `${S}/${id}/rotate`, { body: { emergency: true, reason: 'leaked' } });
    expect(res.status).toBe(200);
    expect(await states(id)).toEqual({ 1: 'destroyed', 2: 'current' });
    const alerts = (await app.call('GET', '/api/v1/alerts')).body.items as { kind: string; severity: string; details: Record<string, unknown> }[];
    const alert = alerts.find((a) => a.kind === 'emergency_rotation' && a.details.secret_id === id);
    expect(alert).toMatchObject({ severity: 'critical', details: { secret_name: 'rot_emergency', to_version: 2, consumers_not_moved: ['svc-a', 'svc-b'] } });
  });
});
