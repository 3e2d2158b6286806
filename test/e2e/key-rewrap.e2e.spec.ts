import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { startVaultDouble, type VaultDouble } from '../support/vault-double.js';

const S = '/api/v1/secrets';
const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');

describe('changing LOCAL_ENCRYPTION_KEY and re-wrapping', () => {
  let db: TestDatabase;
  let vault: VaultDouble;
  let app: TestApp | undefined;
  const values = new Map<string, string>();
  const vaultEnv = () => ({ USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: vault.rootToken });

  beforeAll(async () => {
    db = await createTestDatabase();
    vault = await startVaultDouble();
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
    await db?.drop();
  });

  const readAll = async (a: TestApp) => {
    for (const [id, value] of values) {
      const res = await a.call('GET', `${S}/${id}/value`);
      expect(res.status, `${id} readable`).toBe(200);
      expect(res.body.value).toBe(value);
    }
  };

  it('keeps every secret readable through the key change and re-wrap, then needs only the new key', async () => {
    // Local secrets (with two versions each) and Vault secrets, all under the old key.
    let a = await startTestApp({ db, env: { LOCAL_ENCRYPTION_KEY: OLD } });
    for (let i = 0; i < 3; i++) {
      const id = (await a.call('POST', `${S}/`, { body: { name: `rw_local_${i}`, secret_type: 'OAUTH_TOKEN', value: `v1-${i}` } })).body.id;
      await a.call('PUT', `${S}/${id}/value`, { body: { value: `v2-${i}` } });
      values.set(id, `v2-${i}`);
    }
    await a.stop();
    a = await startTestApp({ db, env: { LOCAL_ENCRYPTION_KEY: OLD, ...vaultEnv() } });
    for (const encrypt of [true, false]) {
      const id = (await a.call('POST', `${S}/`, { body: { name: `rw_vault_${encrypt}`, secret_type: 'OAUTH_TOKEN', value: `vault-${encrypt}`, encrypt_locally: encrypt } })).body.id;
      values.set(id, `vault-${encrypt}`);
    }
    await a.stop();

    // New current key, old key kept as previous: everything still reads.
    app = await startTestApp({ db, env: { LOCAL_ENCRYPTION_KEY: NEW, LOCAL_ENCRYPTION_KEYS_PREVIOUS: OLD, ...vaultEnv() } });
    await readAll(app);
    const started = await app.call('POST', `${S}/keys/rewrap`);
    expect(started.status).toBe(202);
    expect(started.body.total).toBe(5);
    const done = await eventually(async () => {
      const st = (await app!.call('GET', started.body.status_url)).body;
      return st.status === 'completed' ? st : null;
    });
    expect(done.progress).toEqual({ done: 5, failed: 0, total: 5 });
    await readAll(app);
    const c = await connect(db.url);
    try {
      const keys = await c.query("SELECT DISTINCT key_id, fingerprint_key_id FROM secret_versions WHERE state <> 'destroyed'");
      expect(keys.rows.every((r) => r.fingerprint_key_id === keys.rows[0].fingerprint_key_id)).toBe(true);
      expect(new Set(keys.rows.map((r) => r.key_id).filter(Boolean)).size).toBe(1);
    } finally {
      await c.end();
    }
    await app.stop();

    // Only the new key now: every secret reads, and the integrity check passes.
    app = await startTestApp({ db, env: { LOCAL_ENCRYPTION_KEY: NEW, ...vaultEnv() } });
    await readAll(app);
    const check = await app.call('POST', `${S}/audit/integrity-check`);
    const result = await eventually(async () => {
      const st = (await app!.call('GET', check.body.status_url)).body;
      return st.status === 'completed' ? st.result : null;
    });
    expect(result.failures).toBe(0);
    expect(result.versions_checked).toBe(8);
  });
});
