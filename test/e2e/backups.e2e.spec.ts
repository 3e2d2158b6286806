import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ENCRYPTION_KEY, type TestApp } from '../support/app.js';
import { connect, createTestDatabase, EMBEDDED_DB, type TestDatabase } from '../support/database.js';
import { auditorToken } from '../support/tokens.js';
import { startVaultDouble, type VaultDouble } from '../support/vault-double.js';

const exec = promisify(execFile);
const ROOT = process.cwd();
/** Another deployment's key: the restore must re-encrypt, not copy envelopes. */
const TARGET_KEY = Buffer.alloc(32, 9).toString('base64');

/** Runs a backup CLI from source (the npm scripts run the same file compiled); never throws. */
async function cli(name: 'backup-restore' | 'backup-verify', args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ['--no-warnings', '--import', '@swc-node/register/esm-register', `src/backups/cli/${name}.cli.ts`, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env }, timeout: 120_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function hasAge(): Promise<boolean> {
  try {
    await exec('age', ['--version']);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(EMBEDDED_DB)('backups', () => {
  let app: TestApp;
  let work: string;
  let identity: string;
  let identityFile: string;
  let otherIdentityFile: string;
  const created: { id: string; name: string; values: string[] }[] = [];
  let bundle: string;
  let backup: any;

  const restoreEnv = (db: TestDatabase, dataDir: string) => ({ DATABASE_URL: db.url, DATA_DIR: dataDir, LOCAL_ENCRYPTION_KEY: TARGET_KEY, LOG_LEVEL: 'silent' });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'strongroom-backups-'));
    identity = await generateX25519Identity();
    identityFile = join(work, 'backup.key');
    writeFileSync(identityFile, `# created: by the test\n# public key: ${await identityToRecipient(identity)}\n${identity}\n`);
    otherIdentityFile = join(work, 'other.key');
    writeFileSync(otherIdentityFile, `${await generateX25519Identity()}\n`);
    app = await startTestApp({ env: { BACKUP_RECIPIENTS: await identityToRecipient(identity), BACKUP_DIR: join(work, 'bundles'), BACKUP_RETAINED: '2' } });

    const specs = [
      { name: 'bk_api_key', secret_type: 'API_KEY' },
      { name: 'bk_db_password', secret_type: 'DATABASE_PASSWORD', value: 'Pa55-word!with"quotes"' },
      { name: 'bk_encryption_key', secret_type: 'ENCRYPTION_KEY' },
      { name: 'bk_jwt', secret_type: 'JWT_SECRET', tags: { team: 'auth' }, description: 'signing' },
      { name: 'bk_webhook', secret_type: 'WEBHOOK_SECRET' },
      { name: 'bk_oauth', secret_type: 'OAUTH_TOKEN', value: 'ya29.a0AfH6SMB-token-value' },
    ];
    for (const spec of specs) {
      const res = await app.call('POST', '/api/v1/secrets', { body: spec });
      expect(res.status).toBe(201);
      const value = (await app.call('GET', `/api/v1/secrets/${res.body.id}/value`)).body.value as string;
      created.push({ id: res.body.id, name: spec.name, values: [value] });
    }
    // A history: two more versions of one secret.
    for (const v of ['second-value-0123456789', 'third-value-0123456789']) {
      expect((await app.call('PUT', `/api/v1/secrets/${created[1]!.id}/value`, { body: { value: v } })).status).toBe(200);
      created[1]!.values.push(v);
    }
    const deleted = await app.call('POST', '/api/v1/secrets', { body: { name: 'bk_deleted', secret_type: 'API_KEY' } });
    expect((await app.call('DELETE', `/api/v1/secrets/${deleted.body.id}`)).status).toBe(204);

    const res = await app.call('POST', '/api/v1/backups');
    expect(res.status).toBe(201);
    backup = res.body;
    bundle = join(work, 'bundles', backup.file);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('lists the bundle with its size, counts and the SHA-256 of the file; auditors may list, not create', async () => {
    expect(backup.counts).toEqual({ secrets: 6, versions: 8, values: 8 });
    const bytes = readFileSync(bundle);
    expect(backup.size).toBe(bytes.length);
    expect(backup.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const list = await app.call('GET', '/api/v1/backups', { token: auditorToken() });
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toEqual(backup);
    expect((await app.call('POST', '/api/v1/backups', { token: auditorToken() })).status).toBe(403);
    // No value in the clear anywhere in the bundle.
    const text = bytes.toString('utf8');
    for (const c of created) for (const v of c.values) expect(text).not.toContain(v);
  });

  it('keeps BACKUP_RETAINED bundles', async () => {
    const second = (await app.call('POST', '/api/v1/backups')).body;
    const third = (await app.call('POST', '/api/v1/backups')).body;
    const ids = (await app.call('GET', '/api/v1/backups')).body.items.map((b: { id: string }) => b.id);
    expect(ids).toEqual([third.id, second.id]);
    bundle = join(work, 'bundles', third.file);
  });

  it('refuses to back up without BACKUP_RECIPIENTS, saying what to set', async () => {
    const bare = await startTestApp();
    try {
      const res = await bare.call('POST', '/api/v1/backups');
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/BACKUP_RECIPIENTS/);
    } finally {
      await bare.stop();
    }
  });

  it('backup:verify accepts the bundle, checked against the audit public key', async () => {
    const key = (await app.call('GET', '/api/v1/audit/public-key')).body;
    const pem = typeof key === 'string' ? key : (key.public_key_pem ?? key.pem ?? key.public_key);
    const keyFile = join(work, 'audit.pub');
    writeFileSync(keyFile, pem);
    const res = await cli('backup-verify', [bundle, '--public-key', keyFile]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^valid: bk_/);
    // Signed by the embedded key, but not by the key the operator trusts: refused.
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(work, 'other.pub'), other);
    const foreign = await cli('backup-verify', [bundle, '--public-key', join(work, 'other.pub')]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^backup:verify: refused: the bundle is signed by ed25519:\S+, not by the given public key/);
  }, 120_000);

  it('restores into a fresh database under another key: every value of every version reads back identical', async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(work, 'target-'));
    try {
      const res = await cli('backup-restore', [bundle, '--identity', identityFile], restoreEnv(db, dataDir));
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout.trim()).toMatch(/^restored bk_\S+: 6 secrets, 8 versions \(8 values, 0 destroyed\); every value decrypts and matches its fingerprint$/);

      const target = await startTestApp({ db, env: { LOCAL_ENCRYPTION_KEY: TARGET_KEY } });
      try {
        for (const c of created) {
          const meta = await target.call('GET', `/api/v1/secrets/${c.id}`);
          const orig = await app.call('GET', `/api/v1/secrets/${c.id}`);
          // Consumers (who read what) are read telemetry, not part of a backup: a restore starts with none.
          expect({ ...meta.body, consumers: undefined }).toEqual({ ...orig.body, consumers: undefined });
          expect(meta.body.consumers).toEqual({ active: 0, on_current: 0 });
          for (const [i, v] of c.values.entries()) {
            const got = await target.call('GET', `/api/v1/secrets/${c.id}/value?version=${i + 1}`);
            expect(got.status).toBe(200);
            expect(got.body.value).toBe(v);
          }
          expect((await target.call('GET', `/api/v1/secrets/${c.id}/versions`)).body).toEqual((await app.call('GET', `/api/v1/secrets/${c.id}/versions`)).body);
        }
        // Re-encrypted under the target's key, not copied.
        const pg = await connect(db.url);
        try {
          const keys = (await pg.query("SELECT DISTINCT key_id FROM secret_versions WHERE state <> 'destroyed'")).rows.map((r) => r.key_id);
          const origin = await connect(app.db.url);
          const originKeys = (await origin.query('SELECT DISTINCT key_id FROM secret_versions')).rows.map((r) => r.key_id);
          await origin.end();
          expect(keys).toHaveLength(1);
          expect(originKeys).not.toContain(keys[0]);
          const audit = (await pg.query("SELECT details FROM audit_events WHERE action = 'backup.restored'")).rows;
          expect(audit).toHaveLength(1);
        } finally {
          await pg.end();
        }
        // The restored deployment's own integrity check finds nothing wrong.
      } finally {
        await target.stop();
      }
    } finally {
      await db.drop().catch(() => undefined);
    }
  }, 180_000);

  it('refuses a bundle with one flipped byte, a wrong identity and a non-empty database, with one line and exit 1', async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(work, 'target-'));
    try {
      const bytes = readFileSync(bundle);
      const flipped = Buffer.from(bytes);
      const at = Math.floor(bytes.length / 2);
      flipped[at] = flipped[at]! ^ 0x01;
      const tampered = join(work, 'tampered.jsonl');
      writeFileSync(tampered, flipped);

      const bad = await cli('backup-restore', [tampered, '--identity', identityFile], restoreEnv(db, dataDir));
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/^backup:restore: refused: the bundle is damaged or tampered with/);
      const verify = await cli('backup-verify', [tampered]);
      expect(verify.code).toBe(1);
      expect(verify.stderr).toMatch(/^backup:verify: refused: the bundle is damaged or tampered with/);

      const wrong = await cli('backup-restore', [bundle, '--identity', otherIdentityFile], restoreEnv(db, dataDir));
      expect(wrong.code).toBe(1);
      expect(wrong.stderr.trim()).toMatch(/^backup:restore: refused: the identity does not open this bundle \(wrong key\?\)/);
      expect(wrong.stderr.trim().split('\n')).toHaveLength(1);

      const pg = await connect(db.url);
      try {
        expect((await pg.query('SELECT count(*)::int AS n FROM secrets')).rows[0].n).toBe(0);
      } finally {
        await pg.end();
      }

      const full = await cli('backup-restore', [bundle, '--identity', identityFile], { ...restoreEnv(app.db, dataDir), LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
      expect(full.code).toBe(1);
      expect(full.stderr.trim()).toMatch(/^backup:restore: refused: the target database is not empty \(\d+ secrets\)/);
    } finally {
      await db.drop().catch(() => undefined);
    }
  }, 180_000);

  it('a value opens with the standard age tool', async (ctx) => {
    if (!(await hasAge())) ctx.skip();
    const lines = readFileSync(bundle, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const record = lines.find((l) => l.kind === 'secret' && l.secret.id === created[1]!.id);
    const armored = join(work, 'value.age');
    writeFileSync(armored, record.versions[2].value);
    const { stdout } = await exec('age', ['-d', '-i', identityFile, armored]);
    expect(stdout).toBe(created[1]!.values[2]);
  });

  it('--help prints usage', async () => {
    for (const name of ['backup-restore', 'backup-verify'] as const) {
      const res = await cli(name, ['--help']);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout).toMatch(/^usage: npm run backup:/);
    }
  }, 120_000);
});

describe.skipIf(EMBEDDED_DB)('backups of the Vault store', () => {
  let source: VaultDouble;
  let target: VaultDouble;
  let app: TestApp;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'strongroom-backups-vault-'));
    source = await startVaultDouble();
    target = await startVaultDouble();
  });
  afterAll(async () => {
    await app?.stop();
    await source?.close();
    await target?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('restores Vault-stored values (plain and envelope-encrypted) into an empty Vault and database', async () => {
    const identity = await generateX25519Identity();
    const identityFile = join(work, 'backup.key');
    writeFileSync(identityFile, `${identity}\n`);
    const vaultEnv = (v: VaultDouble) => ({ USE_VAULT: 'true', VAULT_URL: v.url, VAULT_TOKEN: v.rootToken });
    app = await startTestApp({ env: { ...vaultEnv(source), BACKUP_RECIPIENTS: await identityToRecipient(identity), BACKUP_DIR: join(work, 'bundles') } });
    const secrets: { id: string; values: string[] }[] = [];
    for (const body of [
      { name: 'v_plain', secret_type: 'API_KEY', value: 'vault-plain-value-1', encrypt_locally: false },
      { name: 'v_envelope', secret_type: 'DATABASE_PASSWORD', value: 'vault-envelope-value-1', encrypt_locally: true },
    ]) {
      const res = await app.call('POST', '/api/v1/secrets', { body });
      expect(res.status).toBe(201);
      secrets.push({ id: res.body.id, values: [body.value] });
    }
    expect((await app.call('PUT', `/api/v1/secrets/${secrets[0]!.id}/value`, { body: { value: 'vault-plain-value-2' } })).status).toBe(200);
    secrets[0]!.values.push('vault-plain-value-2');
    const backup = await app.call('POST', '/api/v1/backups');
    expect(backup.status).toBe(201);

    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(work, 'target-'));
    try {
      const res = await cli('backup-restore', [join(work, 'bundles', backup.body.file), '--identity', identityFile], {
        DATABASE_URL: db.url,
        DATA_DIR: dataDir,
        LOCAL_ENCRYPTION_KEY: TARGET_KEY,
        ...vaultEnv(target),
      });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/: 2 secrets, 3 versions \(3 values, 0 destroyed\)/);
      const restored = await startTestApp({ db, env: { LOCAL_ENCRYPTION_KEY: TARGET_KEY, ...vaultEnv(target) } });
      try {
        for (const s of secrets) {
          for (const [i, v] of s.values.entries()) {
            expect((await restored.call('GET', `/api/v1/secrets/${s.id}/value?version=${i + 1}`)).body.value).toBe(v);
          }
        }
        // The values are in the target Vault, not read back from the source one.
        expect(JSON.stringify(target.rawVersions('kv', `ytempire/secrets/${secrets[0]!.id}`))).toContain('vault-plain-value-2');
      } finally {
        await restored.stop();
      }
    } finally {
      await db.drop().catch(() => undefined);
    }
  }, 180_000);
});
