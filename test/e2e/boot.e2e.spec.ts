import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildApp, runService, startChildApp } from '../support/child-app.js';

describe('zero-setup boot on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-embedded-'));
  let service: ChildApp | undefined;
  afterAll(async () => {
    await service?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves with no settings, warns about development keys, and keeps data across a restart', async () => {
    service = await startChildApp({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }, 120_000);
    expect(service.output()).toMatch(/DEVELOPMENT encryption key \(LOCAL_ENCRYPTION_KEY\) generated/);
    expect(service.output()).toMatch(/embedded PostgreSQL/);
    const secret = readFileSync(join(dataDir, 'dev-jwt.secret'), 'utf8').trim();
    const token = jwt.sign({ roles: ['admin'] }, secret, { algorithm: 'HS256', subject: 'local-admin', expiresIn: '5m' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${service.url}/api/v1/secrets/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'survives_restart', secret_type: 'API_KEY', value: 'kept-across-restart' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await service.stop('SIGTERM'); // graceful: Nest closes the app, then the embedded database

    service = await startChildApp({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, 120_000);
    const read = await fetch(`${service.url}/api/v1/secrets/${id}/value`, { headers });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { value: string }).value).toBe('kept-across-restart');
  }, 300_000); // two boots of up to 120 s each: initdb in WebAssembly is slow on a busy machine
});

describe('configuration errors stop the boot with one line naming the variable', () => {
  it.each([
    [{ PORT: 'eighty' }, /^strongroom: configuration error: PORT must be a whole number \(got "eighty"\)$/m],
    [{ NODE_ENV: 'production' }, /^strongroom: configuration error: NODE_ENV=production refuses to start without DATABASE_URL, LOCAL_ENCRYPTION_KEY, JWT_SECRET or JWT_JWKS_URI, AUDIT_SIGNING_KEY$/m],
    [{ LOCAL_ENCRYPTION_KEY: 'c2hvcnQ=' }, /^strongroom: configuration error: LOCAL_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes/m],
  ])('%o', async (env, line) => {
    const run = runService({ DATA_DIR: mkdtempSync(join(tmpdir(), 'strongroom-cfg-')), ...env });
    expect(await run.exited).toBe(78);
    expect(run.output()).toMatch(line);
    expect(run.output().trim().split('\n')).toHaveLength(1);
  });
});
