import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, TEST_ENCRYPTION_KEY } from '../support/app.js';
import { type ChildApp, startChildApp } from '../support/child-app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type KeyHolder, type RotationStepName, startKeyHolder } from '../support/key-holder.js';
import { adminToken, TEST_JWT_SECRET } from '../support/tokens.js';

const S = '/api/v1/secrets';
const initial = 'sk_initial_api_key_0123456789abcdef';

/** Strongroom killed with SIGKILL while the http rotator's calls are at the target, then started again. */
describe('http rotator: kill -9 mid-rotation resumes to a working key', () => {
  let db: TestDatabase;
  let dataDir: string;
  let service: ChildApp | undefined;
  let holder: KeyHolder;
  let signingKey = '';
  const env = () => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    JOBS_ENABLED: 'false',
    ROTATOR_ALLOWED_HOSTS: '127.0.0.1',
    ROTATION_RESUME_AFTER_SECONDS: '1',
    ROTATION_RETRY_BASE_DELAY_MS: '10',
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(service!.url + path, {
      method,
      headers: { authorization: `Bearer ${adminToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'strongroom-http-crash-'));
    holder = await startKeyHolder(() => signingKey, initial);
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await holder?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes after a kill at set and at finish: the new key is current and works, the old one stops', async () => {
    service = await startChildApp(env());
    const signing = await call('POST', `${S}/`, { name: 'crash_signing', secret_type: 'WEBHOOK_SECRET' });
    signingKey = (await call('GET', `${S}/${signing.body.id}/value`)).body.value;

    for (const killAt of ['set', 'finish'] as RotationStepName[]) {
      holder.accepted.clear();
      holder.accepted.add(initial);
      const s = await call('POST', `${S}/`, {
        name: `crash_key_${killAt}`,
        secret_type: 'API_KEY',
        value: initial,
        rotator: { kind: 'http', url: holder.url, admin_secret_id: signing.body.id, ssl_ca: holder.ca },
      });
      expect(s.status).toBe(201);
      let killed = false;
      // The target does the step (and answers nobody): Strongroom dies before it hears back.
      holder.onStep = async (step) => {
        if (step !== killAt || killed) return;
        killed = true;
        await service!.stop('SIGKILL');
      };
      await call('POST', `${S}/${s.body.id}/rotate`).catch(() => undefined);
      expect(killed).toBe(true);
      holder.onStep = undefined;
      service = await startChildApp(env());

      const rotation = await eventually(async () => {
        const list = (await call('GET', `${S}/${s.body.id}/rotations`)).body as { status: string }[];
        return list.length === 1 && list[0]!.status === 'completed' ? list[0] : null;
      }, 60_000);
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'http' });
      const { value, version } = (await call('GET', `${S}/${s.body.id}/value`)).body;
      expect(version).toBe(2);
      expect(await holder.canUse(value)).toBe(true);
      expect(await holder.canUse(initial)).toBe(false);
      expect([...holder.accepted]).toEqual([value]);
    }
  }, 240_000);
});
