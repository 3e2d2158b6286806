import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateAndSettle } from '../support/rotation.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { canRedisLogin, redisAs } from '../support/machine-targets.js';

const S = '/api/v1/secrets';
const HOST = '127.0.0.1';
const PORT = 6379;
const initial = 'initial-redis-password-1';

const canLogin = canRedisLogin;
const asDefault = <T>(fn: (r: Redis) => Promise<T>) => redisAs({}, fn);

describe('redis_acl rotator against the machine Redis', () => {
  let app: TestApp;
  let adminId: string;
  const tag = randomBytes(4).toString('hex');
  const name = (u: string) => `sr_${tag}_${u}`;
  const adminPassword = `admin-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    await asDefault(async (r) => {
      await r.call('ACL', 'SETUSER', name('admin'), 'on', `>${adminPassword}`, '+acl');
      for (const u of ['app', 'off']) await r.call('ACL', 'SETUSER', name(u), 'on', `>${initial}`, '+acl|whoami', '+ping');
    });
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2', ROTATOR_ALLOWED_HOSTS: HOST } });
    adminId = (await app.call('POST', `${S}/`, { body: { name: 'redis_admin', secret_type: 'DATABASE_PASSWORD', value: `${name('admin')}:${adminPassword}` } })).body.id;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await asDefault(async (r) => {
      for (const u of ['admin', 'app', 'off']) await r.call('ACL', 'DELUSER', name(u));
    });
  });

  const create = async (user: string, type = 'DATABASE_PASSWORD', over: Record<string, unknown> = {}) =>
    app.call('POST', `${S}/`, {
      body: { name: `${user}_${randomBytes(3).toString('hex')}`, secret_type: type, value: initial, rotator: { kind: 'redis_acl', host: HOST, port: PORT, user, admin_secret_id: adminId, sslmode: 'disable', ...over } },
    });

  it('adds the new password, verifies it, then drops the old one', async () => {
    const { body: s } = await create(name('app'), 'API_KEY');
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body).toMatchObject({ ready: true, rotator: 'redis_acl' });
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'redis_acl', to_version: 2 });
    const { value } = (await app.call('GET', `${S}/${s.id}/value`)).body;
    expect(await canLogin(name('app'), value)).toBe(true);
    expect(await canLogin(name('app'), initial)).toBe(false);
    // Stored as hashes only: the ACL shows one password, the new one's SHA-256.
    const rules = await asDefault((r) => r.call('ACL', 'GETUSER', name('app')));
    expect(JSON.stringify(rules)).not.toContain(value);
  });

  it('a failed verification (user switched off) leaves the old password current and working', async () => {
    const { body: s } = await create(name('off'));
    await asDefault((r) => r.call('ACL', 'SETUSER', name('off'), 'off'));
    const { response, rotation } = await rotateAndSettle(app, s.id);
    expect(response.status).toBe(202);
    expect(rotation).toMatchObject({ status: 'failed', attempts: 2 });
    await asDefault((r) => r.call('ACL', 'SETUSER', name('off'), 'on'));
    expect(await canLogin(name('off'), initial)).toBe(true);
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 1, value: initial });
  });

  it('refuses sslmode prefer and types it does not serve', async () => {
    expect((await create(name('x'), 'DATABASE_PASSWORD', { sslmode: 'prefer' })).body.message).toMatch(/prefer is not offered/);
    expect((await create(name('x'), 'JWT_SECRET')).body.message).toMatch(/applies to DATABASE_PASSWORD, API_KEY secrets only/);
  });
});
