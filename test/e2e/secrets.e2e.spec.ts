import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { auditorToken } from '../support/tokens.js';

const S = '/api/v1/secrets';

describe('secrets API (local store)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  const create = (body: Record<string, unknown>) => app.call('POST', `${S}/`, { body });

  it("creates the spec's example secret as written and never echoes the value", async () => {
    const res = await create({
      name: 'openai_api_key',
      value: 'sk-1234567890abcdef',
      secret_type: 'API_KEY',
      rotation_interval_days: 30,
      tags: { service: 'ai', environment: 'production' },
      encrypt_locally: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'openai_api_key',
      secret_type: 'API_KEY',
      version: 1,
      tags: { service: 'ai', environment: 'production' },
      store: 'local',
      encrypt_locally: true,
      created_by: 'ops-admin',
      rotation_interval_days: 30,
      rotation_status: 'none',
      expires_at: null,
      last_rotated_at: null,
    });
    expect(res.body.id).toMatch(/^sec_[A-Za-z0-9_-]{16}$/);
    expect(Date.parse(res.body.next_rotation_at) - Date.parse(res.body.created_at)).toBe(30 * 86_400_000);
    expect(res.text).not.toContain('sk-1234567890abcdef');

    const value = await app.call('GET', `${S}/${res.body.id}/value`);
    expect(value.status).toBe(200);
    expect(value.body).toEqual({ id: res.body.id, name: 'openai_api_key', secret_type: 'API_KEY', version: 1, value: 'sk-1234567890abcdef' });

    const details = await app.call('GET', `${S}/${res.body.id}`);
    // The details add the consumer counts: the admin's read above made one, on the current version.
    expect(details.body).toEqual({ ...res.body, consumers: { active: 1, on_current: 1 } });
  });

  it("lists with the spec's filters", async () => {
    await create({ name: 'list_db_pw', secret_type: 'DATABASE_PASSWORD' });
    const res = await app.call('GET', `${S}/?secret_type=API_KEY&expired_only=false`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.items.every((s: { secret_type: string }) => s.secret_type === 'API_KEY')).toBe(true);
    expect(res.body).toHaveProperty('next_cursor');
    // without the trailing slash too
    expect((await app.call('GET', S)).status).toBe(200);
  });

  it.each([
    ['API_KEY', /^[A-Za-z0-9]{32}$/],
    ['DATABASE_PASSWORD', /^[A-Za-z0-9\-_.~!*]{16}$/],
    ['JWT_SECRET', /^[A-Za-z0-9]{32}$/],
    ['WEBHOOK_SECRET', /^[A-Za-z0-9]{32}$/],
  ])('generates %s values of the spec length when value is left out', async (type, shape) => {
    const res = await create({ name: `gen_${type.toLowerCase()}`, secret_type: type });
    expect(res.status).toBe(201);
    const value = (await app.call('GET', `${S}/${res.body.id}/value`)).body.value as string;
    expect(value).toMatch(shape);
  });

  it('generates ENCRYPTION_KEY as base64 of 32 random bytes', async () => {
    const res = await create({ name: 'gen_encryption_key', secret_type: 'ENCRYPTION_KEY' });
    const value = (await app.call('GET', `${S}/${res.body.id}/value`)).body.value as string;
    expect(Buffer.from(value, 'base64')).toHaveLength(32);
  });

  it('requires a value for types that cannot be generated', async () => {
    const res = await create({ name: 'oauth_no_value', secret_type: 'OAUTH_TOKEN' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/value is required/);
  });

  it('rejects bad bodies with 400 listing every failing field', async () => {
    const res = await create({ name: '-bad name', secret_type: 'NOPE', rotation_interval_days: 0, tags: { k: 1 }, surprise: true });
    expect(res.status).toBe(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['name', 'rotation_interval_days', 'secret_type', 'surprise', 'tags']);
    expect((await create({ name: 'big', secret_type: 'API_KEY', value: 'x'.repeat(64 * 1024 + 1) })).status).toBe(400);
    const tooManyTags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect((await create({ name: 'tags', secret_type: 'API_KEY', tags: tooManyTags })).status).toBe(400);
  });

  it('validates ENCRYPTION_KEY and TLS_CERTIFICATE values, taking expiry from the certificate', async () => {
    const bad = await create({ name: 'bad_key', secret_type: 'ENCRYPTION_KEY', value: 'not-32-bytes' });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain('not-32-bytes');
    expect((await create({ name: 'bad_cert', secret_type: 'TLS_CERTIFICATE', value: 'hello' })).status).toBe(400);

    const dir = mkdtempSync(join(tmpdir(), 'cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '10', '-subj', '/CN=strongroom.test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    const res = await create({ name: 'tls_cert', secret_type: 'TLS_CERTIFICATE', value: pem });
    expect(res.status).toBe(201);
    const days = (Date.parse(res.body.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThan(11);
  });

  it('answers 404 for unknown ids and 409 for a duplicate live name', async () => {
    expect((await app.call('GET', `${S}/sec_doesnotexist12345`)).status).toBe(404);
    expect((await app.call('GET', `${S}/sec_doesnotexist12345/value`)).status).toBe(404);
    await create({ name: 'dup_name', secret_type: 'API_KEY' });
    const dup = await create({ name: 'dup_name', secret_type: 'API_KEY' });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/already exists/);
  });

  it('versions values, reads old versions and checks expected_version', async () => {
    const { body: s } = await create({ name: 'versioned', secret_type: 'OAUTH_TOKEN', value: 'token-v1' });
    const v2 = await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'token-v2', expected_version: 1 } });
    expect(v2.status).toBe(200);
    expect(v2.body.version).toBe(2);
    const stale = await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'token-x', expected_version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.current_version).toBe(2);
    await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'token-v3' } });
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 3, value: 'token-v3' });
    expect((await app.call('GET', `${S}/${s.id}/value?version=1`)).body).toMatchObject({ version: 1, value: 'token-v1' });
    expect((await app.call('GET', `${S}/${s.id}/value?version=9`)).status).toBe(404);
    const versions = await app.call('GET', `${S}/${s.id}/versions`, { token: auditorToken() });
    expect(versions.status).toBe(200);
    expect(versions.body.map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([
      [3, 'current'],
      [2, 'previous'],
      [1, 'deprecated'],
    ]);
    expect(versions.text).not.toContain('token-v');
  });

  it('gives exactly one winner among 50 concurrent check-and-set writes, with no gap in versions', async () => {
    const { body: s } = await create({ name: 'contended', secret_type: 'API_KEY' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => app.call('PUT', `${S}/${s.id}/value`, { body: { value: `racer-${i}`, expected_version: 1 } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((c) => c === 200)).toHaveLength(1);
    expect(statuses.filter((c) => c === 409)).toHaveLength(49);
    const versions = (await app.call('GET', `${S}/${s.id}/versions`)).body.map((v: { version: number }) => v.version);
    expect(versions).toEqual([2, 1]);
  });

  it('updates metadata with PATCH', async () => {
    const { body: s } = await create({ name: 'patch_me', secret_type: 'API_KEY', rotation_interval_days: 10 });
    const res = await app.call('PATCH', `${S}/${s.id}`, {
      body: { tags: { owner: 'team-a' }, description: 'for the billing job', rotation_interval_days: 5, expires_at: '2030-01-01T00:00:00.000Z' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tags: { owner: 'team-a' }, description: 'for the billing job', rotation_interval_days: 5, expires_at: '2030-01-01T00:00:00.000Z', version: 1 });
    expect(Date.parse(res.body.next_rotation_at) - Date.parse(res.body.created_at)).toBe(5 * 86_400_000);
    expect((await app.call('PATCH', `${S}/${s.id}`, { body: { value: 'nope' } })).status).toBe(400);
  });

  it('soft-deletes, hides, restores and purges', async () => {
    const { body: s } = await create({ name: 'deletable', secret_type: 'API_KEY' });
    expect((await app.call('DELETE', `${S}/${s.id}`)).status).toBe(204);
    expect((await app.call('GET', `${S}/${s.id}`)).status).toBe(404);
    expect((await app.call('GET', `${S}/${s.id}/value`)).status).toBe(404);
    const listed = (await app.call('GET', `${S}/?name_prefix=deletable`)).body.items;
    expect(listed).toHaveLength(0);
    // the name is free again while the deleted one waits
    const reuse = await create({ name: 'deletable', secret_type: 'API_KEY' });
    expect(reuse.status).toBe(201);
    expect((await app.call('POST', `${S}/${s.id}/restore`)).status).toBe(409);
    await app.call('DELETE', `${S}/${reuse.body.id}?purge=true`);
    const restored = await app.call('POST', `${S}/${s.id}/restore`);
    expect(restored.status).toBe(200);
    expect((await app.call('GET', `${S}/${s.id}/value`)).status).toBe(200);

    expect((await app.call('DELETE', `${S}/${s.id}?purge=true`)).status).toBe(204);
    expect((await app.call('POST', `${S}/${s.id}/restore`)).status).toBe(404);
    const db = await connect(app.db.url);
    try {
      const left = await db.query('SELECT count(*)::int AS n FROM local_secret_payloads WHERE secret_id = $1', [s.id]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('creates in bulk with per-item results; one bad item loses nothing else', async () => {
    const res = await app.call('POST', `${S}/bulk`, {
      body: {
        secrets: [
          { name: 'bulk_a', secret_type: 'API_KEY' },
          { name: 'bulk_bad', secret_type: 'OAUTH_TOKEN' },
          { name: 'bulk_a', secret_type: 'API_KEY' },
          { name: 'bulk b', secret_type: 'API_KEY' },
          { name: 'bulk_c', secret_type: 'JWT_SECRET', tags: { team: 'x' } },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(2);
    expect(res.body.failed).toBe(3);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'error', 'error', 'error', 'created']);
    expect(res.body.results[2].error).toMatch(/already exists/);
    expect((await app.call('GET', `${S}/${res.body.results[4].id}/value`)).status).toBe(200);
  });

  it('pages with a stable keyset cursor while rows are added', async () => {
    for (let i = 0; i < 7; i++) await create({ name: `page_${i}`, secret_type: 'API_KEY', tags: { suite: 'paging' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let first = true;
    do {
      const q: string = `?tag=suite:paging&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await app.call('GET', `${S}/${q}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((s: { name: string }) => s.name));
      cursor = page.body.next_cursor;
      if (first) {
        await create({ name: 'page_late', secret_type: 'API_KEY', tags: { suite: 'paging' } });
        first = false;
      }
    } while (cursor);
    expect(seen).toEqual(['page_0', 'page_1', 'page_2', 'page_3', 'page_4', 'page_5', 'page_6', 'page_late']);
    expect((await app.call('GET', `${S}/?cursor=garbage`)).status).toBe(400);
    expect((await app.call('GET', `${S}/?limit=501`)).status).toBe(400);
  });

  it('lists the type table for auditors', async () => {
    const res = await app.call('GET', `${S}/types`, { token: auditorToken() });
    expect(res.body).toContainEqual({ type: 'ENCRYPTION_KEY', description: 'Encryption keys', auto_generation: true, default_length: '32 bytes (base64)' });
    expect(res.body).toHaveLength(8);
  });

  it('stores only ciphertext, bound to its secret id and version (AAD swap fails)', async () => {
    const a = (await create({ name: 'aad_a', secret_type: 'API_KEY', value: 'value-of-a-0001' })).body;
    const b = (await create({ name: 'aad_b', secret_type: 'API_KEY', value: 'value-of-b-0002' })).body;
    const db = await connect(app.db.url);
    try {
      const rows = await db.query('SELECT payload FROM local_secret_payloads WHERE secret_id = ANY($1)', [[a.id, b.id]]);
      for (const r of rows.rows) expect(r.payload).not.toMatch(/value-of/);
      // Copy a's ciphertext onto b: it must not decrypt as b.
      await db.query(
        'UPDATE local_secret_payloads SET payload = (SELECT payload FROM local_secret_payloads WHERE secret_id = $1 AND store_version = 1) WHERE secret_id = $2 AND store_version = 1',
        [a.id, b.id],
      );
    } finally {
      await db.end();
    }
    const read = await app.call('GET', `${S}/${b.id}/value`);
    expect(read.status).toBe(422);
    expect(read.text).not.toContain('value-of-a');
    expect((await app.call('GET', `${S}/${a.id}/value`)).body.value).toBe('value-of-a-0001');
  });
});
