import vaultClient from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { startVaultDouble, type VaultDouble } from '../support/vault-double.js';

const S = '/api/v1/secrets';
const PREFIX = 'ytempire/secrets';

/** Keys under the secrets prefix, as `vault kv list kv/ytempire/secrets/` shows them. */
async function vaultKeys(vault: VaultDouble): Promise<string[]> {
  const v = vaultClient({ endpoint: vault.url, token: vault.rootToken });
  try {
    return ((await v.list(`kv/metadata/${PREFIX}/`)) as { data: { keys: string[] } }).data.keys;
  } catch (e) {
    if ((e as { response?: { statusCode?: number } }).response?.statusCode === 404) return [];
    throw e;
  }
}

async function secretIds(db: TestDatabase): Promise<Set<string>> {
  const c = await connect(db.url);
  try {
    return new Set((await c.query('SELECT id FROM secrets')).rows.map((r: { id: string }) => r.id));
  } finally {
    await c.end();
  }
}

describe('Vault authentication recovery', () => {
  let vault: VaultDouble;
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    vault = await startVaultDouble();
    db = await createTestDatabase();
    vault.addAppRole('strongroom-role', 'strongroom-secret', { ttl: 3600 });
    app = await startTestApp({
      db,
      env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_ROLE_ID: 'strongroom-role', VAULT_SECRET_ID: 'strongroom-secret' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
    await db?.drop();
  });

  it('logs in again with AppRole when Vault revokes the token, and the request succeeds', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'approle_revoked', value: 'v1-value', secret_type: 'API_KEY' } });
    expect(s.store).toBe('vault');
    const [token] = vault.tokensOf('strongroom-role');
    vault.revokeToken(token!);
    const read = await app.call('GET', `${S}/${s.id}/value`);
    expect(read.status).toBe(200);
    expect(read.body.value).toBe('v1-value');
    expect(vault.tokensOf('strongroom-role')).toHaveLength(1);
    expect((await app.call('GET', '/health/ready', { token: null })).status).toBe(200);
  });

  it('shares one login between concurrent requests when the token expired', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'approle_expired', value: 'shared', secret_type: 'API_KEY' } });
    for (const t of vault.tokensOf('strongroom-role')) vault.expireToken(t);
    vault.requests.length = 0;
    const reads = await Promise.all(Array.from({ length: 6 }, () => app.call('GET', `${S}/${s.id}/value`)));
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(vault.requests.filter((r) => r.path === 'auth/approle/login')).toHaveLength(1);
  });

  it('readiness fails when the AppRole cannot log in any more, and says why', async () => {
    vault.addAppRole('strongroom-role', 'rotated-secret', { ttl: 3600 });
    for (const t of vault.tokensOf('strongroom-role')) vault.revokeToken(t);
    try {
      const ready = await app.call('GET', '/health/ready', { token: null });
      expect(ready.status).toBe(503);
      expect(JSON.stringify(ready.body)).toMatch(/logging in again with AppRole failed/);
      expect(ready.text).not.toContain('strongroom-secret');
      // Still not ready while the secret id is wrong…
      expect((await app.call('GET', '/health/ready', { token: null })).status).toBe(503);
    } finally {
      vault.addAppRole('strongroom-role', 'strongroom-secret', { ttl: 3600 });
    }
    // …and ready again once the AppRole works (requests log in again after the back-off).
    await eventually(async () => ((await app.call('GET', '/health/ready', { token: null })).status === 200 ? true : null));
  });

  it('with a static VAULT_TOKEN: readiness checks the token, and a revoked one gets a clear 503', async () => {
    vault.addToken('hvs.staticServiceToken000000000', { policies: ['strongroom'] });
    const other = await startTestApp({ db, env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: 'hvs.staticServiceToken000000000' } });
    try {
      expect((await other.call('GET', '/health/ready', { token: null })).status).toBe(200);
      vault.revokeToken('hvs.staticServiceToken000000000');
      const ready = await other.call('GET', '/health/ready', { token: null });
      expect(ready.status).toBe(503);
      expect(JSON.stringify(ready.body)).toMatch(/VAULT_TOKEN is a static token/);
      const res = await other.call('POST', `${S}/`, { body: { name: 'static_revoked', secret_type: 'API_KEY' } });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/permission denied.*VAULT_TOKEN is a static token.*replace it/);
      expect(res.text).not.toContain('hvs.staticServiceToken000000000');
    } finally {
      await other.stop();
    }
  });
});

describe('no orphaned values in Vault', () => {
  let vault: VaultDouble;
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    vault = await startVaultDouble();
    db = await createTestDatabase();
    app = await startTestApp({ db, env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: vault.rootToken, VAULT_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
    await db?.drop();
  });

  it('encrypts locally before Vault by default; encrypt_locally: false still stores the plain value', async () => {
    const res = await app.call('POST', `${S}/`, { body: { name: 'default_layer', value: 'never-plain-in-vault', secret_type: 'API_KEY' } });
    expect(res.status).toBe(201);
    expect(res.body.encrypt_locally).toBe(true);
    expect(JSON.stringify(vault.rawVersions('kv', `${PREFIX}/${res.body.id}`))).not.toContain('never-plain-in-vault');
    expect((await app.call('GET', `${S}/${res.body.id}/value`)).body.value).toBe('never-plain-in-vault');

    const plain = await app.call('POST', `${S}/`, { body: { name: 'asked_plain', value: 'plain-on-request', secret_type: 'API_KEY', encrypt_locally: false } });
    expect(plain.body.encrypt_locally).toBe(false);
    expect(vault.rawVersions('kv', `${PREFIX}/${plain.body.id}`)[0]?.data).toEqual({ value: 'plain-on-request' });
  });

  it('removes the new key when Vault answers a create later than the timeout (the write landed)', async () => {
    const before = await vaultKeys(vault);
    vault.delayAnswerNext(1, 1000, { method: 'POST', path: `kv/data/${PREFIX}/` });
    const res = await app.call('POST', `${S}/`, { body: { name: 'slow_create', value: 'landed-anyway', secret_type: 'API_KEY', encrypt_locally: false } });
    expect(res.status).toBe(503);
    expect(await vaultKeys(vault)).toEqual(before);
    expect((await app.call('GET', `${S}/?name_prefix=slow_create`)).body.items).toHaveLength(0);
  });

  it('destroys the version written for an existing secret when the update fails', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'slow_update', value: 'first', secret_type: 'API_KEY', encrypt_locally: false } });
    vault.delayAnswerNext(1, 1000, { method: 'POST', path: `kv/data/${PREFIX}/${s.id}` });
    const res = await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'second-plain' } });
    expect(res.status).toBe(503);
    const raw = vault.rawVersions('kv', `${PREFIX}/${s.id}`);
    expect(raw.map((v) => [v.version, v.destroyed])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(JSON.stringify(raw)).not.toContain('second-plain');
    const put = await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'third' } });
    expect(put.status).toBe(200);
    expect((await app.call('GET', `${S}/${s.id}/value`)).body).toMatchObject({ version: 2, value: 'third' });
  });

  it('undoes the Vault write of a bulk item that fails, and keeps the others', async () => {
    const before = await vaultKeys(vault);
    vault.delayAnswerNext(1, 1000, { method: 'POST', path: `kv/data/${PREFIX}/` });
    const res = await app.call('POST', `${S}/bulk`, {
      body: {
        secrets: [
          { name: 'bulk_slow', value: 'bulk-slow-plain', secret_type: 'API_KEY', encrypt_locally: false },
          { name: 'bulk_fine', secret_type: 'API_KEY' },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ created: 1, failed: 1 });
    const fine = res.body.results.find((r: { name: string }) => r.name === 'bulk_fine').id;
    expect((await vaultKeys(vault)).sort()).toEqual([...before, fine].sort());
  });

  it('leaves nothing in Vault when a bad item rolls the whole bulk back', async () => {
    const res = await app.call('POST', `${S}/bulk`, {
      body: {
        secrets: [
          { name: 'bulk_rolled_a', value: 'rolled-back-plain', secret_type: 'API_KEY', encrypt_locally: false },
          { name: 'bulk_rolled_b', secret_type: 'API_KEY', tags: { bad: 'nul\u0000byte' } },
        ],
      },
    });
    expect(res.status).not.toBe(201);
    const known = await secretIds(db);
    const stray = (await vaultKeys(vault)).filter((k) => !known.has(k));
    expect(stray).toEqual([]);
  });

  it('reports orphaned keys and orphaned versions by path in the integrity check', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'has_orphan_version', secret_type: 'API_KEY' } });
    const v = vaultClient({ endpoint: vault.url, token: vault.rootToken });
    const orphanId = 'sec_orphanOrphan0000';
    await v.write(`kv/data/${PREFIX}/${orphanId}`, { data: { value: 'left-behind' }, options: { cas: 0 } });
    await v.write(`kv/data/${PREFIX}/${s.id}`, { data: { value: 'stray-version' }, options: { cas: 1 } });

    const started = await app.call('POST', `${S}/audit/integrity-check`);
    expect(started.status).toBe(202);
    const st = await eventually(async () => {
      const body = (await app.call('GET', started.body.status_url)).body;
      return body.status === 'completed' ? body : null;
    });
    const orphans = st.result.problems.filter((p: { problem: string }) => p.problem === 'store_orphan');
    expect(orphans).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ secret_id: orphanId, detail: expect.stringContaining(`kv/${PREFIX}/${orphanId}`) }),
        expect.objectContaining({ secret_id: s.id, detail: expect.stringContaining(`version 2 of kv/${PREFIX}/${s.id}`) }),
      ]),
    );
    expect(orphans).toHaveLength(2);
    expect(JSON.stringify(st.result)).not.toMatch(/left-behind|stray-version/);
    const findings = await app.call('GET', '/api/v1/audit/findings?kind=integrity_failure');
    expect(JSON.stringify(findings.body)).toContain(orphanId);
  });
});

describe('Vault max_versions and the version history', () => {
  let vault: VaultDouble;
  let app: TestApp;
  beforeAll(async () => {
    vault = await startVaultDouble();
    app = await startTestApp({ env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: vault.rootToken } });
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
  });

  it('sets max_versions per key and shows versions Vault trimmed as destroyed (410, not 422)', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'many_versions', value: 'value-1', secret_type: 'API_KEY' } });
    for (let i = 2; i <= 13; i++) {
      expect((await app.call('PUT', `${S}/${s.id}/value`, { body: { value: `value-${i}` } })).status).toBe(200);
    }
    // SECRET_VERSIONS_RETAINED=10 by default: 12 per key (never below Vault's own 10).
    expect(vault.rawMetadata('kv', `${PREFIX}/${s.id}`)?.maxVersions).toBe(12);
    expect(vault.rawVersions('kv', `${PREFIX}/${s.id}`).map((v) => v.version)[0]).toBe(2);

    const history = (await app.call('GET', `${S}/${s.id}/versions`)).body as { version: number; state: string; destroyed_at: string | null }[];
    const v1 = history.find((h) => h.version === 1)!;
    expect(v1.state).toBe('destroyed');
    expect(v1.destroyed_at).not.toBeNull();
    expect(history.find((h) => h.version === 2)!.state).toBe('deprecated');

    const gone = await app.call('GET', `${S}/${s.id}/value?version=1`);
    expect(gone.status).toBe(410);
    expect((await app.call('GET', `${S}/${s.id}/value?version=2`)).body.value).toBe('value-2');
  });

  it('answers 410 for a version Vault trimmed under a lower max_versions set outside Strongroom', async () => {
    const { body: s } = await app.call('POST', `${S}/`, { body: { name: 'trimmed_outside', value: 'old-1', secret_type: 'API_KEY' } });
    await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'old-2' } });
    const v = vaultClient({ endpoint: vault.url, token: vault.rootToken });
    await v.write(`kv/metadata/${PREFIX}/${s.id}`, { max_versions: 2 });
    await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'new-3' } });
    expect(vault.rawVersions('kv', `${PREFIX}/${s.id}`).map((x) => x.version)).toEqual([2, 3]);

    const gone = await app.call('GET', `${S}/${s.id}/value?version=1`);
    expect(gone.status).toBe(410);
    expect(gone.body.message).toMatch(/pruned by Vault/);
    expect((await app.call('GET', `${S}/${s.id}/value?version=2`)).body.value).toBe('old-2');
  });
});
