import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { type FakePostgres, startFakePostgres } from '../support/fake-postgres.js';
import { rotateAndSettle } from '../support/rotation.js';
import { startScramPostgres, type ScramPostgres } from '../support/scram-postgres.js';

const S = '/api/v1/secrets';
const initial = 'initial-app-password-1';

/**
 * Rotators hold an admin credential and send it to their target: the target must be on
 * ROTATOR_ALLOWED_HOSTS (never link-local or metadata), the credential must be a credential, its
 * reads are audited, and no password leaves without TLS. All targets here are on loopback;
 * 127.0.0.2 is not on the allow-list, metadata addresses are only validated, never connected to.
 */
describe('rotator targets: allow-list, credential types, TLS, audited admin reads', () => {
  let pg: ScramPostgres;
  let app: TestApp;
  let dbAdminId: string;
  let apiKeyId: string;
  let offList: FakePostgres;
  let cleartext: FakePostgres;
  let md5: FakePostgres;

  beforeAll(async () => {
    pg = await startScramPostgres({ tls: true });
    await pg.admin(async (c) => {
      for (const role of ['tls_require', 'tls_verify', 'tls_verify_name', 'tls_prefer', 'tls_audited']) await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${initial}'`);
    });
    offList = await startFakePostgres('127.0.0.2', 'none');
    cleartext = await startFakePostgres('127.0.0.1', 'cleartext');
    md5 = await startFakePostgres('127.0.0.1', 'md5');
    app = await startTestApp({
      env: {
        ROTATION_MAX_ATTEMPTS: '2',
        // Metadata entries are listed on purpose: they must be refused all the same.
        ROTATOR_ALLOWED_HOSTS: '127.0.0.1,localhost,169.254.169.254,169.254.0.0/16,fd00:ec2::254,metadata.google.internal',
      },
    });
    dbAdminId = (await app.call('POST', `${S}/`, { body: { name: 'pg_admin', secret_type: 'DATABASE_PASSWORD', value: `${pg.superuser}:${pg.superuserPassword}` } })).body.id;
    apiKeyId = (await app.call('POST', `${S}/`, { body: { name: 'payments_api_key', secret_type: 'API_KEY', value: 'sk_live_exfiltrate_me_0123456789' } })).body.id;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await pg?.stop();
    await Promise.all([offList?.close(), cleartext?.close(), md5?.close()]);
  });

  const rotator = (over: Record<string, unknown> = {}) => ({
    kind: 'postgres_role',
    host: '127.0.0.1',
    port: pg.port,
    database: 'postgres',
    role: 'tls_require',
    admin_secret_id: dbAdminId,
    ...over,
  });
  const createRole = (name: string, over: Record<string, unknown> = {}) =>
    app.call('POST', `${S}/`, { body: { name, secret_type: 'DATABASE_PASSWORD', value: initial, rotator: rotator(over) } });
  /** Settings stored before these checks existed (or before the allow-list changed): the API refuses to write them. */
  const storeRotatorDirectly = async (id: string, settings: Record<string, unknown>) => {
    const db = await connect(app.db.url);
    try {
      await db.query('UPDATE secrets SET rotator = $1 WHERE id = $2', [settings, id]);
    } finally {
      await db.end();
    }
  };
  const checkNamed = (dry: { body: { checks: { check: string; ok: boolean; detail?: string }[] } }, name: string) => dry.body.checks.find((c) => c.check === name);

  it('refuses an admin credential that is not a credential type: create, PATCH and rotate, before anything is sent', async () => {
    const created = await createRole('api_key_as_admin', { host: '127.0.0.1', port: cleartext.port, admin_secret_id: apiKeyId });
    expect(created.status).toBe(400);
    expect(created.body.message).toMatch(/is a API_KEY secret; the postgres_role rotator's admin credential must be DATABASE_PASSWORD/);

    const ok = await createRole('admin_type_role', { host: '127.0.0.1', port: cleartext.port });
    expect(ok.status).toBe(201);
    const patched = await app.call('PATCH', `${S}/${ok.body.id}`, { body: { rotator: rotator({ host: '127.0.0.1', port: cleartext.port, admin_secret_id: apiKeyId }) } });
    expect(patched.status).toBe(400);
    expect(patched.body.message).toMatch(/API_KEY/);
    const missing = await app.call('PATCH', `${S}/${ok.body.id}`, { body: { rotator: rotator({ admin_secret_id: 'sec_AAAAAAAAAAAAAAAA' }) } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/names no live secret/);

    await storeRotatorDirectly(ok.body.id, rotator({ host: '127.0.0.1', port: cleartext.port, admin_secret_id: apiKeyId }));
    const rotate = await app.call('POST', `${S}/${ok.body.id}/rotate`);
    expect(rotate.status).toBe(400);
    expect(rotate.body.message).toMatch(/API_KEY/);
    const dry = await app.call('POST', `${S}/${ok.body.id}/rotate?dry_run=true`);
    expect(dry.body.ready).toBe(false);
    expect(checkNamed(dry, 'target reachable with the admin credential')).toMatchObject({ ok: false, detail: expect.stringMatching(/API_KEY/) });
    // The API key never reached the target, and was never read.
    expect(cleartext.passwords).toEqual([]);
    const reads = await app.call('GET', `/api/v1/audit/events?secret_id=${apiKeyId}&action=secret.value_read`);
    expect(reads.body.items).toEqual([]);
    expect((await app.call('GET', `${S}/${ok.body.id}/rotations`)).body).toEqual([]);
  });

  it('refuses a target that is not on ROTATOR_ALLOWED_HOSTS for create, PATCH, dry run and rotation, with no connection', async () => {
    const created = await createRole('off_list_role', { host: '127.0.0.2', port: offList.port });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/127\.0\.0\.2 is not on ROTATOR_ALLOWED_HOSTS/) });

    const ok = await createRole('off_list_later', { role: 'tls_require' });
    expect(ok.status).toBe(201);
    const patched = await app.call('PATCH', `${S}/${ok.body.id}`, { body: { rotator: rotator({ host: '127.0.0.2', port: offList.port }) } });
    expect(patched.status).toBe(400);
    expect(patched.body.message).toMatch(/not on ROTATOR_ALLOWED_HOSTS/);

    await storeRotatorDirectly(ok.body.id, rotator({ host: '127.0.0.2', port: offList.port }));
    const dry = await app.call('POST', `${S}/${ok.body.id}/rotate?dry_run=true`);
    expect(dry.status).toBe(200);
    expect(dry.body.ready).toBe(false);
    expect(checkNamed(dry, 'target allowed')).toMatchObject({ ok: false, detail: expect.stringMatching(/not on ROTATOR_ALLOWED_HOSTS/) });
    expect(checkNamed(dry, 'target reachable with the admin credential')).toBeUndefined();

    const rotate = await app.call('POST', `${S}/${ok.body.id}/rotate`);
    expect(rotate.status).toBe(400);
    expect(rotate.body.message).toMatch(/not on ROTATOR_ALLOWED_HOSTS/);
    expect((await app.call('GET', `${S}/${ok.body.id}/rotations`)).body).toEqual([]);
    // Both requests have answered: any connection they made has been accepted by now.
    expect(offList.connections).toBe(0);
  });

  it('refuses link-local and cloud metadata targets even when they are allow-listed (validation only)', async () => {
    for (const host of ['169.254.169.254', '169.254.1.1', '::ffff:169.254.169.254', 'fd00:ec2::254', 'fe80::1', '64:ff9b::a9fe:a9fe', 'metadata.google.internal', '0.0.0.0']) {
      const res = await createRole(`meta_${Math.random().toString(36).slice(2, 10)}`, { host, port: 80 });
      expect(res.status, host).toBe(400);
      expect(res.body.message, host).toMatch(/link-local or cloud metadata|cloud metadata service/);
    }
    const ok = await createRole('meta_patch', {});
    const patched = await app.call('PATCH', `${S}/${ok.body.id}`, { body: { rotator: rotator({ host: '169.254.169.254', port: 80 }) } });
    expect(patched.status).toBe(400);
    expect(patched.body.message).toMatch(/link-local or cloud metadata/);
  });

  it('refuses cleartext and MD5 password authentication without TLS: the password never leaves', async () => {
    for (const fake of [cleartext, md5]) {
      const before = fake.startups.length;
      const { body: s, status } = await createRole(`plain_auth_${fake.port}`, { port: fake.port, role: 'app_user' });
      expect(status).toBe(201);
      const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
      expect(dry.body.ready).toBe(false);
      expect(checkNamed(dry, 'target reachable with the admin credential')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/password authentication without TLS; refused/),
      });
      const { response, rotation } = await rotateAndSettle(app, s.id);
      expect(response.status).toBe(202);
      expect(rotation.last_error).toMatch(/without TLS; refused/);
      // The target was reached and asked for a password; none was sent.
      expect(fake.startups.length).toBeGreaterThan(before);
      expect(fake.passwords).toEqual([]);
    }
  });

  it('uses TLS with sslmode require and verify-full (the server rejects logins without TLS)', async () => {
    const disabled = await createRole('tls_disabled', { role: 'tls_prefer', sslmode: 'disable' });
    expect(disabled.status).toBe(201);
    const dry = await app.call('POST', `${S}/${disabled.body.id}/rotate?dry_run=true`);
    expect(checkNamed(dry, 'target reachable with the admin credential')).toMatchObject({ ok: false, detail: expect.stringMatching(/no encryption/) });

    const wrongCa = await createRole('tls_wrong_ca', { role: 'tls_verify', sslmode: 'require', ssl_ca: pg.caPem });
    expect(wrongCa.status).toBe(400);
    expect(wrongCa.body.message).toMatch(/ssl_ca is used only with sslmode verify-full/);
    const systemCas = await createRole('tls_system_cas', { role: 'tls_verify', sslmode: 'verify-full' });
    const unverified = await app.call('POST', `${S}/${systemCas.body.id}/rotate?dry_run=true`);
    expect(checkNamed(unverified, 'target reachable with the admin credential')).toMatchObject({ ok: false, detail: expect.stringMatching(/certificate/) });

    const cases: [string, Record<string, unknown>][] = [
      ['tls_require', { sslmode: 'require' }],
      ['tls_verify', { sslmode: 'verify-full', ssl_ca: pg.caPem }],
      ['tls_verify_name', { host: 'localhost', sslmode: 'verify-full', ssl_ca: pg.caPem }],
      ['tls_prefer', {}],
    ];
    for (const [role, over] of cases) {
      const { body: s, status } = await createRole(`${role}_pw`, { role, ...over });
      expect(status, role).toBe(201);
      const rotated = await app.call('POST', `${S}/${s.id}/rotate`);
      expect(rotated.status, `${role}: ${rotated.body.message}`).toBe(200);
      const value = (await app.call('GET', `${S}/${s.id}/value`)).body.value as string;
      expect(await pg.canLogin(role, value)).toBe(true);
      expect(await pg.canLogin(role, initial)).toBe(false);
    }
  });

  it('audits every use of the admin credential as a value read, naming the rotation and the actor, without the value', async () => {
    const { body: s } = await createRole('audited_role_pw', { role: 'tls_audited', sslmode: 'verify-full', ssl_ca: pg.caPem });
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body.ready, JSON.stringify(dry.body.checks)).toBe(true);
    const rotated = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(rotated.status).toBe(200);

    const rows = await eventually(async () => {
      const res = await app.call('GET', `/api/v1/audit/events?secret_id=${dbAdminId}&action=secret.value_read&limit=200`);
      const mine = res.body.items.filter((r: { details: { rotated_secret_id?: string } }) => r.details.rotated_secret_id === s.id);
      return mine.length >= 2 ? mine : null;
    });
    expect(rows.map((r: { details: { use: string } }) => r.details.use).sort()).toEqual(['apply', 'check']);
    for (const row of rows) {
      expect(row).toMatchObject({ actor: 'ops-admin', outcome: 'success', secret_id: dbAdminId, secret_name: 'pg_admin' });
      expect(row.details).toMatchObject({ purpose: 'rotator_admin_credential', rotator: 'postgres_role' });
      expect(JSON.stringify(row)).not.toContain(pg.superuserPassword);
    }
    expect(rows.find((r: { details: { use: string } }) => r.details.use === 'apply').details.rotation_id).toBe(rotated.body.id);
  });
});
