import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_ENCRYPTION_KEY } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { type ChildApp, freePort, runService, startChildApp } from '../support/child-app.js';

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

/** The one line a failed boot ends with: JSON, level fatal. */
function fatalLine(output: string): { level: string; msg: string; exitCode: number } {
  const lines = output.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as { level: string; msg: string; exitCode: number };
}

describe('configuration errors stop the boot with one JSON line naming the variable, exit 78', () => {
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const notADirectory = join(mkdtempSync(join(tmpdir(), 'strongroom-file-')), 'a-file');
  writeFileSync(notADirectory, '');
  const damaged = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n';
  it.each([
    [{ PORT: 'eighty' }, /^configuration error: PORT must be a whole number \(got "eighty"\)$/],
    [{ NODE_ENV: 'production' }, /^configuration error: NODE_ENV=production refuses to start without DATABASE_URL, LOCAL_ENCRYPTION_KEY, JWT_SECRET or JWT_JWKS_URI, AUDIT_SIGNING_KEY$/],
    [{ LOCAL_ENCRYPTION_KEY: 'c2hvcnQ=' }, /^configuration error: LOCAL_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes/],
    // These three exited 1 (a crash) before: the key is read after the settings are parsed.
    [{ AUDIT_SIGNING_KEY: 'not-a-key' }, /^configuration error: AUDIT_SIGNING_KEY must be an Ed25519 private key in PKCS#8 PEM/],
    [{ AUDIT_SIGNING_KEY: damaged }, /^configuration error: AUDIT_SIGNING_KEY must be an Ed25519 private key .*: the PEM does not parse$/],
    [{ AUDIT_SIGNING_KEY: ecKey }, /^configuration error: AUDIT_SIGNING_KEY must be an Ed25519 private key .*: this is a ec key$/],
    [{ DATA_DIR: join(notADirectory, 'data') }, /^configuration error: DATA_DIR: cannot read or create .*\/dev-.*\(ENOTDIR\)$/],
  ])('%o', { timeout: 180_000 }, async (env, msg) => {
    const run = runService({ DATA_DIR: mkdtempSync(join(tmpdir(), 'strongroom-cfg-')), ...env });
    expect(await run.exited).toBe(78);
    expect(run.output().trim().split('\n')).toHaveLength(1);
    expect(fatalLine(run.output())).toMatchObject({ level: 'fatal', msg: expect.stringMatching(msg), exitCode: 78 });
  });
});

describe('an unreachable database stops the boot quickly with one line naming it', () => {
  it('ends in one JSON line with the address and the cause, without the password, exit 69', { timeout: 180_000 }, async () => {
    const port = await freePort(); // closed again: nothing listens there
    const run = runService({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'strongroom-db-')),
      DATABASE_URL: `postgresql://strongroom:pw-must-not-show-1234@127.0.0.1:${port}/strongroom`,
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    });
    expect(await run.exited).toBe(69);
    const out = run.output();
    expect(out).not.toContain('pw-must-not-show-1234');
    expect(out.trim().split('\n')).toHaveLength(1); // no retry log, no stack trace
    expect(fatalLine(out)).toMatchObject({ level: 'fatal', msg: `cannot connect to the database at 127.0.0.1:${port}: ECONNREFUSED`, exitCode: 69 });
  });

  it('a database that refuses the login or does not exist is a configuration error (78)', { timeout: 180_000 }, async () => {
    const run = runService({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'strongroom-db-')),
      DATABASE_URL: 'postgresql://postgres:pw-must-not-show-5678@127.0.0.1:5432/strongroom_no_such_database',
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    });
    expect(await run.exited).toBe(78);
    expect(run.output()).not.toContain('pw-must-not-show-5678');
    expect(fatalLine(run.output())).toMatchObject({
      level: 'fatal',
      msg: 'configuration error: DATABASE_URL: the database at 127.0.0.1:5432 refused the connection: the database does not exist',
    });
  });
});

describe('a port already in use is a configuration error', () => {
  it('ends in one JSON line naming the address, exit 78', { timeout: 180_000 }, async () => {
    const db = await createTestDatabase();
    const taken = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = runService({
        DATA_DIR: mkdtempSync(join(tmpdir(), 'strongroom-port-')),
        DATABASE_URL: db.url,
        LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
      });
      expect(await run.exited).toBe(78);
      expect(fatalLine(run.output())).toMatchObject({
        level: 'fatal',
        msg: `configuration error: cannot listen on 127.0.0.1:${port} (HOST, PORT): EADDRINUSE`,
        exitCode: 78,
      });
    } finally {
      taken.close();
      await db.drop();
    }
  });
});
