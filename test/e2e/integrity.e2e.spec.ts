import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { startVaultDouble, type VaultDouble } from '../support/vault-double.js';

const S = '/api/v1/secrets';

describe('integrity validation', () => {
  let db: TestDatabase;
  let vault: VaultDouble;
  let app: TestApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    vault = await startVaultDouble();
    // Three local secrets first, then the same database with Vault as the default store.
    const local = await startTestApp({ db });
    for (const name of ['int_ok', 'int_cipher', 'int_fingerprint']) {
      ids[name] = (await local.call('POST', `${S}/`, { body: { name, secret_type: 'API_KEY' } })).body.id;
    }
    await local.stop();
    app = await startTestApp({ db, env: { USE_VAULT: 'true', VAULT_URL: vault.url, VAULT_TOKEN: vault.rootToken } });
    for (const [name, encrypt] of [['int_vault_ok', true], ['int_vault_tampered', false]] as const) {
      const res = await app.call('POST', `${S}/`, { body: { name, secret_type: 'API_KEY', encrypt_locally: encrypt } });
      expect(res.body.store).toBe('vault');
      ids[name] = res.body.id;
    }
  });
  afterAll(async () => {
    await app?.stop();
    await vault?.close();
    await db?.drop();
  });

  const runCheck = async () => {
    const started = await app.call('POST', `${S}/audit/integrity-check`);
    expect(started.status).toBe(202);
    expect(started.body.check_id).toMatch(/^chk_/);
    return eventually(async () => {
      const st = (await app.call('GET', started.body.status_url)).body;
      return st.status === 'completed' ? st : null;
    });
  };

  it('passes on untouched secrets in both stores', async () => {
    const st = await runCheck();
    expect(st.result).toMatchObject({ secrets_checked: 5, versions_checked: 5, failures: 0, problems: [] });
  });

  it('reports a flipped ciphertext byte, a wrong fingerprint and a tampered Vault version', async () => {
    const c = await connect(db.url);
    try {
      // Flip one character of the value ciphertext (the 7th dot-separated part of the envelope).
      const { rows } = await c.query('SELECT payload FROM local_secret_payloads WHERE secret_id = $1', [ids.int_cipher]);
      const parts = (rows[0].payload as string).split('.');
      const ct = parts[6]!;
      parts[6] = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
      await c.query('UPDATE local_secret_payloads SET payload = $2 WHERE secret_id = $1', [ids.int_cipher, parts.join('.')]);
      await c.query("UPDATE secret_versions SET fingerprint = repeat('0', 64) WHERE secret_id = $1", [ids.int_fingerprint]);
    } finally {
      await c.end();
    }
    vault.setVersionData('kv', `ytempire/secrets/${ids.int_vault_tampered}`, 1, { value: 'not-the-stored-value' });

    const st = await runCheck();
    expect(st.result.failures).toBe(3);
    const problems = Object.fromEntries(st.result.problems.map((p: { secret_id: string; problem: string }) => [p.secret_id, p.problem]));
    expect(problems).toEqual({
      [ids.int_cipher!]: 'decrypt_failed',
      [ids.int_fingerprint!]: 'fingerprint_mismatch',
      [ids.int_vault_tampered!]: 'fingerprint_mismatch',
    });
    expect(JSON.stringify(st.result)).not.toContain('not-the-stored-value');
    const metrics = await app.call('GET', '/metrics', { token: null });
    expect(metrics.text).toMatch(/^secret_integrity_checks_completed_total 2$/m);
  });

  it('runs as the weekly validate_secret_integrity job too', async () => {
    const run = await app.call('POST', '/api/v1/jobs/validate_secret_integrity/run');
    expect(run.body).toMatchObject({ status: 'succeeded' });
    expect(run.body.counts.check_id).toMatch(/^chk_/);
  });
});
