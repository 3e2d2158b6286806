import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateAndSettle } from '../support/rotation.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { asMysqlRoot, canMysqlLogin } from '../support/machine-targets.js';

const S = '/api/v1/secrets';
const HOST = '127.0.0.1';
const PORT = 3306;
const initial = 'initial-app-password-1';

const asRoot = asMysqlRoot;
const canLogin = canMysqlLogin;

describe('mysql_user rotator against the machine MariaDB', () => {
  let app: TestApp;
  let adminId: string;
  let weakAdminId: string;
  const tag = randomBytes(4).toString('hex');
  const name = (role: string) => `sr_${tag}_${role}`;
  const adminPassword = `admin-${randomBytes(12).toString('hex')}`;
  const accounts = ['admin', 'weak', 'app', 'locked', 'denied'].map(name);

  beforeAll(async () => {
    await asRoot(async (c) => {
      for (const user of accounts) await c.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', user.endsWith('admin') || user.endsWith('weak') ? adminPassword : initial]);
      await c.query('GRANT CREATE USER ON *.* TO ?@?', [name('admin'), '%']);
    });
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2', ROTATOR_ALLOWED_HOSTS: HOST } });
    adminId = (await app.call('POST', `${S}/`, { body: { name: 'mysql_admin', secret_type: 'DATABASE_PASSWORD', value: `${name('admin')}:${adminPassword}` } })).body.id;
    weakAdminId = (await app.call('POST', `${S}/`, { body: { name: 'mysql_weak_admin', secret_type: 'DATABASE_PASSWORD', value: `${name('weak')}:${adminPassword}` } })).body.id;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await asRoot(async (c) => {
      for (const user of accounts) await c.query('DROP USER IF EXISTS ?@?', [user, '%']);
    });
  });

  const rotator = (user: string, over: Record<string, unknown> = {}) => ({ kind: 'mysql_user', host: HOST, port: PORT, user, admin_secret_id: adminId, ...over });
  const create = async (user: string, over: Record<string, unknown> = {}) =>
    (await app.call('POST', `${S}/`, { body: { name: `${user}_pw_${randomBytes(3).toString('hex')}`, secret_type: 'DATABASE_PASSWORD', value: initial, rotator: rotator(user, over) } })).body;

  it('changes the password with ALTER USER; the new one logs in, the old one stops', async () => {
    const s = await create(name('app'));
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body).toMatchObject({ ready: true, rotator: 'mysql_user' });
    expect(await canLogin(name('app'), initial)).toBe(true);

    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'mysql_user', attempts: 1, to_version: 2 });
    const { value } = (await app.call('GET', `${S}/${s.id}/value`)).body;
    expect(value).not.toBe(initial);
    expect(await canLogin(name('app'), value)).toBe(true);
    expect(await canLogin(name('app'), initial)).toBe(false);
  });

  it('a failed verification (locked account) leaves the old password current and working', async () => {
    const s = await create(name('locked'));
    await asRoot((c) => c.query('ALTER USER ?@? ACCOUNT LOCK', [name('locked'), '%']));
    const { response, rotation } = await rotateAndSettle(app, s.id);
    expect(response.status).toBe(202);
    expect(rotation).toMatchObject({ status: 'failed', attempts: 2 });
    await asRoot((c) => c.query('ALTER USER ?@? ACCOUNT UNLOCK', [name('locked'), '%']));
    expect(await canLogin(name('locked'), initial)).toBe(true);
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 1, value: initial });
  });

  it('an admin without CREATE USER: dry run says so, and a rotation fails with the old password working', async () => {
    const s = await create(name('denied'), { admin_secret_id: weakAdminId });
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready).toBe(false);
    expect(dry.body.checks.find((c: { check: string }) => c.check.startsWith('target reachable'))).toMatchObject({ ok: false, detail: expect.stringMatching(/CREATE USER/) });
    const { response, rotation } = await rotateAndSettle(app, s.id);
    expect(response.status).toBe(202);
    expect(rotation.status).toBe('failed');
    expect(await canLogin(name('denied'), initial)).toBe(true);
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 1, value: initial });
  });

  it('dry run reports an unreachable target and a missing account without changing anything', async () => {
    const s = await create(name('app'), { port: 1 });
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready).toBe(false);
    expect(dry.body.checks.find((c: { check: string }) => c.check.startsWith('target reachable')).ok).toBe(false);
    const ghost = await create(name('nobody'));
    const dry2 = await app.call('POST', `${S}/${ghost.id}/rotate?dry_run=true`);
    expect(dry2.body.ready).toBe(false);
    expect(dry2.body.checks.find((c: { check: string }) => c.check.startsWith('current value logs in'))).toMatchObject({ ok: false, detail: expect.stringMatching(/Access denied/) });
    expect((await app.call('GET', `${S}/${s.id}/rotations`)).body).toEqual([]);
  });

  it('refuses settings for other types, off-list hosts and fields of other kinds', async () => {
    const cases: [Record<string, unknown>, RegExp, string?][] = [
      [rotator('x'), /applies to DATABASE_PASSWORD secrets only/, 'API_KEY'],
      [rotator('x', { host: '127.0.0.2' }), /not on ROTATOR_ALLOWED_HOSTS/],
      [rotator('x', { role: 'x' }), /role is not a setting of the mysql_user rotator/],
      [rotator("x'; DROP USER root; --"), /user must be/],
    ];
    for (const [rot, message, type] of cases) {
      const res = await app.call('POST', `${S}/`, { body: { name: `refused_${randomBytes(3).toString('hex')}`, secret_type: type ?? 'DATABASE_PASSWORD', value: initial, rotator: rot } });
      expect(res.status, JSON.stringify(rot)).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(message);
    }
  });
});
