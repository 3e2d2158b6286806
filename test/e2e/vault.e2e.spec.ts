import vaultClient from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { startVaultDouble, type VaultDouble } from '../support/vault-double.js';

const S = '/api/v1/secrets';

describe('secrets in Vault KV v2 (USE_VAULT=true)', () => {
  let vault: VaultDouble;
  let app: TestApp;
  beforeAll(async () => {
    vault = await startVaultDouble();
    app = await startTestApp({ env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: vault.rootToken, ROTATION_MAX_ATTEMPTS: '5' } });
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
  });

  it("stores values at the spec's layout, so `vault kv list kv/ytempire/secrets/` shows them", async () => {
    const res = await app.call('POST', `${S}/`, {
      body: { name: 'openai_api_key', value: 'sk-1234567890abcdef', secret_type: 'API_KEY', tags: { service: 'ai' }, encrypt_locally: false },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ store: 'vault', encrypt_locally: false, version: 1 });
    const v = vaultClient({ endpoint: vault.url, token: vault.rootToken });
    const listed = await v.list('kv/metadata/ytempire/secrets/');
    expect(listed.data.keys).toContain(res.body.id);
    const read = await v.read(`kv/data/ytempire/secrets/${res.body.id}`);
    expect(read.data.data.value).toBe('sk-1234567890abcdef');
    const meta = await v.read(`kv/metadata/ytempire/secrets/${res.body.id}`);
    expect(meta.data.custom_metadata).toMatchObject({ secret_type: 'API_KEY', 'tag.service': 'ai' });
    expect((await app.call('GET', `${S}/${res.body.id}/value`)).body.value).toBe('sk-1234567890abcdef');
    expect((await app.call('GET', '/metrics', { token: null })).text).toMatch(/^vault_up 1$/m);
  });

  it('envelope-encrypts before Vault with encrypt_locally', async () => {
    const res = await app.call('POST', `${S}/`, { body: { name: 'local_layer', value: 'plain-in-vault?', secret_type: 'API_KEY', encrypt_locally: true } });
    const raw = vault.rawVersions('kv', `ytempire/secrets/${res.body.id}`);
    expect(JSON.stringify(raw)).not.toContain('plain-in-vault?');
    expect((await app.call('GET', `${S}/${res.body.id}/value`)).body.value).toBe('plain-in-vault?');
  });

  it('answers 503 with a clear message when Vault is sealed, and writes nothing half-way', async () => {
    vault.seal();
    try {
      const res = await app.call('POST', `${S}/`, { body: { name: 'while_sealed', secret_type: 'API_KEY' } });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/Vault is sealed/);
      const ready = await app.call('GET', '/health/ready', { token: null });
      expect(ready.status).toBe(503);
      expect((await app.call('GET', '/metrics', { token: null })).text).toMatch(/^vault_up 0$/m);
    } finally {
      vault.unseal();
    }
    const listed = await app.call('GET', `${S}/?name_prefix=while_sealed`);
    expect(listed.body.items).toHaveLength(0);
    expect((await app.call('POST', `${S}/`, { body: { name: 'while_sealed', secret_type: 'API_KEY' } })).status).toBe(201);
  });

  it('answers 503 when Vault rejects the token', async () => {
    const other = await startTestApp({ db: app.db, env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: 'hvs.not-a-token' } });
    try {
      const res = await other.call('POST', `${S}/`, { body: { name: 'bad_token', secret_type: 'API_KEY' } });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/permission denied/i);
      expect(res.text).not.toContain('hvs.not-a-token');
    } finally {
      await other.stop();
    }
  });

  it('recovers from a Vault write whose PostgreSQL transaction rolled back (orphan version)', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'orphaned', secret_type: 'API_KEY' } });
    // Someone (a rolled-back request) wrote version 2 in Vault without PostgreSQL knowing.
    const v = vaultClient({ endpoint: vault.url, token: vault.rootToken });
    await v.write(`kv/data/ytempire/secrets/${s.id}`, { data: { value: 'orphan' }, options: { cas: 1 } });
    const put = await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'after-orphan' } });
    expect(put.status).toBe(200);
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 2, value: 'after-orphan' });
  });

  it('retries a rotation that fails twice and completes on the third attempt', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'flaky_rotation', secret_type: 'API_KEY' } });
    vault.failNext(2, 503, { method: 'POST', path: `kv/data/ytempire/secrets/${s.id}`, message: 'Vault is sealed' });
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    // The request answers after the first attempt; the retries happen in the background.
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'in_progress', attempts: 1 });
    expect(res.body.last_error).toMatch(/Vault/);
    const history = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${s.id}/rotations`)).body;
      return h[0]?.status === 'completed' && h;
    });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ id: res.body.id, status: 'completed', attempts: 3, to_version: 2 });
    expect((await app.call('GET', `${S}/${s.id}`)).body).toMatchObject({ version: 2, rotation_status: 'completed' });
  });

  it('fails a rotation for good after ROTATION_MAX_ATTEMPTS, counting the error metric, old value kept', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'doomed_rotation', secret_type: 'API_KEY' } });
    const before = (await app.call('GET', `${S}/${s.id}/value`)).body.value;
    vault.failNext(5, 503, { method: 'POST', path: `kv/data/ytempire/secrets/${s.id}`, message: 'Vault is sealed' });
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'in_progress', attempts: 1 });
    const [last] = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${s.id}/rotations`)).body;
      return h[0]?.status === 'failed' && h;
    });
    expect(last).toMatchObject({ status: 'failed', attempts: 5 });
    expect((await app.call('GET', `${S}/${s.id}/value`)).body.value).toBe(before);
    expect((await app.call('GET', `${S}/${s.id}`)).body.rotation_status).toBe('failed');
    const metrics = await app.call('GET', '/metrics', { token: null });
    expect(metrics.text).toMatch(/^secrets_rotation_errors_total\{operation="rotate"\} 1$/m);
  });

  it('purges from Vault: versions destroyed and metadata deleted', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'purge_vault', secret_type: 'API_KEY' } });
    expect((await app.call('DELETE', `${S}/${s.id}?purge=true`)).status).toBe(204);
    expect(vault.rawMetadata('kv', `ytempire/secrets/${s.id}`)).toBeNull();
    const db = await connect(app.db.url);
    try {
      expect((await db.query('SELECT count(*)::int AS n FROM secrets WHERE id = $1', [s.id])).rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });
});

describe('rotation while Vault is sealed', () => {
  let vault: VaultDouble;
  let app: TestApp;
  beforeAll(async () => {
    vault = await startVaultDouble();
    app = await startTestApp({
      env: {
        USE_VAULT: 'true',
        VAULT_URL: vault.url,
        VAULT_TOKEN: vault.rootToken,
        ROTATION_MAX_ATTEMPTS: '30',
        ROTATION_RETRY_BASE_DELAY_MS: '200',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
  });

  it('answers after one attempt, keeps retrying in the background, and completes once Vault is back', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'sealed_rotation', secret_type: 'API_KEY' } });
    const before = (await app.call('GET', `${S}/${s.id}/value`)).body.value;
    vault.seal();
    let rotationId: string;
    try {
      const res = await app.call('POST', `${S}/${s.id}/rotate`);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'in_progress', attempts: 1, to_version: null });
      expect(res.body.last_error).toMatch(/Vault is sealed/);
      rotationId = res.body.id;
      // Attempts go on after the response, while Vault stays sealed.
      await eventually(async () => {
        const [r] = (await app.call('GET', `${S}/${s.id}/rotations`)).body;
        return r.status === 'in_progress' && r.attempts >= 3;
      });
      expect((await app.call('GET', `${S}/${s.id}`)).body).toMatchObject({ version: 1, rotation_status: 'in_progress' });
      // A second rotation meanwhile is refused, not queued.
      expect((await app.call('POST', `${S}/${s.id}/rotate`)).status).toBe(409);
    } finally {
      vault.unseal();
    }
    const [done] = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${s.id}/rotations`)).body;
      return h[0]?.status === 'completed' && h;
    });
    expect(done).toMatchObject({ id: rotationId, status: 'completed', to_version: 2 });
    const after = (await app.call('GET', `${S}/${s.id}/value`)).body;
    expect(after.version).toBe(2);
    expect(after.value).not.toBe(before);
  });
});
