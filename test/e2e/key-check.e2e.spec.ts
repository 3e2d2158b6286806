import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/crypto/key-ring.js';
import { TEST_ENCRYPTION_KEY } from '../support/app.js';
import { runService, startChildApp } from '../support/child-app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { adminToken, TEST_JWT_SECRET } from '../support/tokens.js';

const WRONG_KEY = Buffer.alloc(32, 9).toString('base64');
const keyId = (b64: string) => new KeyRing({ current: Buffer.from(b64, 'base64'), previous: [] }).currentKeyId;

describe('key check at boot', () => {
  let db: TestDatabase;
  let dataDir: string;
  const env = () => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    JOBS_ENABLED: 'false',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'strongroom-keycheck-'));
    const first = await startChildApp({ ...env(), LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    const res = await fetch(`${first.url}/api/v1/secrets/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'keycheck_a', secret_type: 'API_KEY' }),
    });
    expect(res.status).toBe(201);
    await first.stop();
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start with a wrong LOCAL_ENCRYPTION_KEY, exit 78, naming the missing key id', async () => {
    const run = runService({ ...env(), HOST: '127.0.0.1', PORT: '0', LOCAL_ENCRYPTION_KEY: WRONG_KEY });
    const code = await run.exited;
    expect(code).toBe(78);
    const lines = run.output().trim().split('\n');
    const last = JSON.parse(lines.at(-1)!);
    expect(last).toMatchObject({ level: 'fatal', exitCode: 78 });
    expect(last.msg).toMatch(new RegExp(`^configuration error: .*key ${keyId(TEST_ENCRYPTION_KEY)}\\b`));
    expect(run.output()).not.toContain(WRONG_KEY);
  });

  it('starts with the new key when the old one is kept as a previous key', async () => {
    const service = await startChildApp({
      ...env(),
      LOCAL_ENCRYPTION_KEY: WRONG_KEY,
      LOCAL_ENCRYPTION_KEYS_PREVIOUS: TEST_ENCRYPTION_KEY,
    });
    await service.stop();
  });
});
