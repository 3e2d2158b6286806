import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { startScramPostgres, type ScramPostgres } from '../support/scram-postgres.js';

const S = '/api/v1/secrets';

describe('postgres_role rotator against a real PostgreSQL with password authentication', () => {
  let pg: ScramPostgres;
  let app: TestApp;
  let adminId: string;
  const initial = 'initial-app-password-1';

  beforeAll(async () => {
    pg = await startScramPostgres();
    await pg.admin(async (c) => {
      await c.query(`CREATE ROLE app_user LOGIN PASSWORD '${initial}'`);
      await c.query(`CREATE ROLE app_other LOGIN PASSWORD '${initial}'`);
    });
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2', ROTATOR_ALLOWED_HOSTS: '127.0.0.1' } });
    adminId = (
      await app.call('POST', `${S}/`, {
        body: { name: 'pg_admin', secret_type: 'DATABASE_PASSWORD', value: `${pg.superuser}:${pg.superuserPassword}` },
      })
    ).body.id;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await pg?.stop();
  });

  const rotator = (role: string, port = pg.port) => ({ kind: 'postgres_role', host: pg.host, port, database: 'postgres', role, admin_secret_id: adminId });

  it('changes the role password; the old one stops working only after the new one is verified', async () => {
    const { body: s } = await app.call('POST', `${S}/`, {
      body: { name: 'app_user_pw', secret_type: 'DATABASE_PASSWORD', value: initial, rotator: rotator('app_user') },
    });
    expect(await pg.canLogin('app_user', initial)).toBe(true);

    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body).toMatchObject({ ready: true, rotator: 'postgres_role' });
    expect(dry.body.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(await pg.canLogin('app_user', initial)).toBe(true);

    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'postgres_role', attempts: 1, to_version: 2 });
    const newPassword = (await app.call('GET', `${S}/${s.id}/value`)).body.value as string;
    expect(newPassword).not.toBe(initial);
    expect(await pg.canLogin('app_user', newPassword)).toBe(true);
    expect(await pg.canLogin('app_user', initial)).toBe(false);
    // The server got a SCRAM verifier, never the password itself.
    const stored = await pg.admin(async (c) => (await c.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'")).rows[0].rolpassword);
    expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  it('leaves the old password working when the new one cannot be verified, and fails visibly', async () => {
    const { body: s } = await app.call('POST', `${S}/`, {
      body: { name: 'app_other_pw', secret_type: 'DATABASE_PASSWORD', value: initial, rotator: rotator('app_other') },
    });
    // NOLOGIN makes every verification login fail after ALTER ROLE succeeded.
    await pg.admin((c) => c.query('ALTER ROLE app_other NOLOGIN'));
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    // The first attempt failed: the request answers, the second attempt runs in the background.
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'in_progress', attempts: 1 });
    const [failed] = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${s.id}/rotations`)).body;
      return h[0]?.status === 'failed' && h;
    });
    expect(failed).toMatchObject({ id: res.body.id, status: 'failed', attempts: 2 });
    await pg.admin((c) => c.query('ALTER ROLE app_other LOGIN'));
    expect(await pg.canLogin('app_other', initial)).toBe(true);
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 1, value: initial });
    const versions = (await app.call('GET', `${S}/${s.id}/versions`)).body.map((v: { state: string }) => v.state);
    expect(versions).toEqual(['destroyed', 'destroyed', 'current']);
  });

  it('dry run reports an unreachable target without changing anything', async () => {
    const { body: s } = await app.call('POST', `${S}/`, {
      body: { name: 'unreachable_pw', secret_type: 'DATABASE_PASSWORD', value: initial, rotator: rotator('app_user', 1) },
    });
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready).toBe(false);
    expect(dry.body.checks.find((c: { check: string }) => c.check.startsWith('target reachable')).ok).toBe(false);
    expect((await app.call('GET', `${S}/${s.id}/rotations`)).body).toEqual([]);
  });
});
