import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createStrongroomClient, type StrongroomClient } from '../../client/index.js';
import { SCHEMA_FILE, schemaSourceFrom } from '../../client/generate.js';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { createTestCa } from '../support/tls-certs.js';
import { adminToken, auditorToken, noRoleToken } from '../support/tokens.js';

/**
 * The `strongroom` CLI as a child process (compiled once, as the bin is) against a running
 * service on the real PostgreSQL, and the typed client it is built on.
 */
const ROOT = process.cwd();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child that prints the SHA-256 of $MY_VAR (never the value) and whether it got our token. */
const HASH_CHILD = `const h = require('crypto').createHash('sha256').update(process.env.MY_VAR ?? '').digest('hex');
console.log('hash=' + h + ' token=' + (process.env.STRONGROOM_TOKEN === undefined ? 'absent' : 'present'));`;

describe('strongroom CLI and typed client', () => {
  let app: TestApp;
  let out: string;
  let work: string;
  let bundles: string;
  let client: StrongroomClient;
  /** Every value the tests created: none may appear in any output but `get`'s. */
  const values: string[] = [];
  /** stdout+stderr of every invocation except `secrets get`. */
  const outputs: string[] = [];

  const newValue = () => {
    const v = `v-${randomBytes(12).toString('hex')}`;
    values.push(v);
    return v;
  };

  function start(args: string[], o: { env?: Record<string, string>; input?: string } = {}): { child: ChildProcess; done: Promise<Result>; stdout: () => string } {
    const child = spawn(process.execPath, [join(out, 'cli/strongroom.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', STRONGROOM_ADDR: app.url, STRONGROOM_TOKEN: adminToken(), ...o.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdin!.end(o.input ?? '');
    const done = new Promise<Result>((resolve) =>
      child.on('close', (code, signal) => {
        const i = args.indexOf('secrets');
        if (i < 0 || args[i + 1] !== 'get') outputs.push(stdout + stderr);
        resolve({ code, signal, stdout, stderr });
      }),
    );
    return { child, done, stdout: () => stdout };
  }
  const cli = (args: string[], o: { env?: Record<string, string>; input?: string } = {}) => start(args, o).done;
  const json = async (args: string[], o: { env?: Record<string, string>; input?: string } = {}) => {
    const r = await cli(['-o', 'json', ...args], o);
    expect(r, r.stderr).toMatchObject({ code: 0 });
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    // Compile the CLI (and the typed client it imports) the way the build does, with the strict
    // options: this also proves the generated schema.d.ts and the wrapper compile together.
    out = mkdtempSync(join(ROOT, '.cli-build-'));
    const tsc = spawn(process.execPath, [
      'node_modules/typescript/bin/tsc', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'ES2023', '--strict',
      '--skipLibCheck', '--types', 'node', '--rootDir', '.', '--outDir', out, 'cli/strongroom.ts',
    ], { cwd: ROOT });
    let tscOut = '';
    tsc.stdout.on('data', (d) => (tscOut += d));
    const compiled = new Promise<number | null>((r) => tsc.on('close', r));
    work = mkdtempSync(join(tmpdir(), 'strongroom-cli-'));
    bundles = join(work, 'bundles');
    const identity = await generateX25519Identity();
    app = await startTestApp({ env: { BACKUP_RECIPIENTS: await identityToRecipient(identity), BACKUP_DIR: bundles } });
    client = createStrongroomClient({ baseUrl: app.url, token: adminToken() });
    expect(await compiled, tscOut).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await client?.close();
    await app?.stop();
    if (out) rmSync(out, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the committed client/schema.d.ts is what the running service documents (npm run client:generate after an API change)', async () => {
    expect(await schemaSourceFrom(app.url)).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('the OpenAPI document gives every operation a unique id and every error status the error schema', async () => {
    const doc = (await app.call('GET', '/api/docs-json', { token: null })).body as {
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
    };
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[A-Z][A-Za-z]+_[a-zA-Z]+$/);
        ids.push(op.operationId!);
        for (const [status, response] of Object.entries(op.responses)) {
          if (/^[45]/.test(status) && path.startsWith('/api/')) expect(response.content?.['application/json']?.schema?.$ref, `${method} ${path} ${status}`).toBe('#/components/schemas/ErrorResponse');
        }
        if (path.startsWith('/api/')) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['Secrets_list', 'Secrets_value', 'Rotation_rotate', 'Tasks_status', 'Backups_create']));
  });

  it('typed client: data, keyset pages, and errors with a kind', async () => {
    const prefix = `page-${randomBytes(3).toString('hex')}-`;
    for (let i = 0; i < 5; i++) {
      await client.unwrap(client.api.POST('/api/v1/secrets', { body: { name: `${prefix}${i}`, secret_type: 'API_KEY' } }));
    }
    const names: string[] = [];
    let pages = 0;
    for await (const s of client.paginate((cursor) => {
      pages++;
      return client.unwrap(client.api.GET('/api/v1/secrets', { params: { query: { name_prefix: prefix, limit: 2, cursor } } }));
    })) {
      names.push(s.name);
    }
    expect(names.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}${i}`));
    expect(pages).toBe(3);
    const missing = await client.unwrap(client.api.GET('/api/v1/secrets/{id}', { params: { path: { id: 'sec_doesnotexist' } } })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ status: 404, kind: 'not_found' });
    const denied = createStrongroomClient({ baseUrl: app.url, token: noRoleToken() });
    await expect(denied.unwrap(denied.api.GET('/api/v1/secrets'))).rejects.toMatchObject({ kind: 'denied' });
    const down = createStrongroomClient({ baseUrl: 'http://127.0.0.1:1', token: adminToken() });
    await expect(down.unwrap(down.api.GET('/api/v1/secrets'))).rejects.toMatchObject({ status: 0, kind: 'unavailable' });
  });

  it('--help on every command, exit 0; the top level documents the exit codes', { timeout: 300_000 }, async () => {
    const commands = [
      [], ['secrets'], ['secrets', 'list'], ['secrets', 'get'], ['secrets', 'create'], ['secrets', 'put'], ['secrets', 'rotate'],
      ['secrets', 'delete'], ['secrets', 'restore'], ['secrets', 'versions'], ['reports'], ['reports', 'list'], ['reports', 'download'],
      ['audit'], ['audit', 'verify'], ['audit', 'export'], ['tasks'], ['tasks', 'wait'], ['backup'], ['backup', 'create'],
      ['backup', 'list'], ['backup', 'verify'], ['run'],
    ];
    for (const c of commands) {
      const r = await cli([...c, '--help'], { env: { STRONGROOM_TOKEN: '' } });
      expect(r, c.join(' ')).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^Usage: strongroom${c.length ? ' ' + c.join(' ') : ''}`));
    }
    const top = await cli(['--help']);
    expect(top.stdout).toMatch(/Exit codes:[\s\S]*3 +not found[\s\S]*4 +denied[\s\S]*5 +conflict[\s\S]*6 +unavailable/);
  });

  it('usage errors exit 2: unknown command, bad option, no token, a value the service rejects', async () => {
    expect((await cli(['nonsense'])).code).toBe(2);
    expect((await cli(['secrets', 'list', '--limit', 'x'])).code).toBe(2);
    expect((await cli(['-o', 'yaml', 'secrets', 'list'])).code).toBe(2);
    const noToken = await cli(['secrets', 'list'], { env: { STRONGROOM_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/STRONGROOM_TOKEN/);
    expect((await cli(['secrets', 'create', 'bad-type', '--type', 'NOT_A_TYPE'])).code).toBe(2);
    expect((await cli(['secrets', 'put', 'anything'])).code).toBe(2);
  });

  it('secrets: create, list, get (raw, json, dotenv), put with check-and-set, versions, rotate, delete, restore', { timeout: 120_000 }, async () => {
    const v1 = newValue();
    const created = await json(['secrets', 'create', 'cli-db-password', '--type', 'DATABASE_PASSWORD', '--value-stdin', '--tag', 'team:cli'], { input: v1 });
    expect(created).toMatchObject({ name: 'cli-db-password', version: 1, tags: { team: 'cli' } });
    expect(created.id).toMatch(/^sec_/);

    const list = await cli(['secrets', 'list', '--tag', 'team:cli']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID +NAME +SECRET_TYPE/);
    expect(list.stdout).toContain('cli-db-password');
    expect((await json(['secrets', 'list', '--prefix', 'cli-db'])).map((s: { id: string }) => s.id)).toEqual([created.id]);

    expect(await cli(['secrets', 'get', 'cli-db-password'])).toMatchObject({ code: 0, stdout: `${v1}\n` });
    expect(await cli(['secrets', 'get', created.id, '-o', 'dotenv'])).toMatchObject({ code: 0, stdout: `CLI_DB_PASSWORD='${v1}'\n` });
    expect(JSON.parse((await cli(['-o', 'json', 'secrets', 'get', 'cli-db-password'])).stdout)).toMatchObject({ value: v1, version: 1 });

    const v2 = newValue();
    const valueFile = join(work, 'v2');
    writeFileSync(valueFile, `${v2}\n`);
    expect(await json(['secrets', 'put', 'cli-db-password', '--value-file', valueFile, '--expected-version', '1'])).toMatchObject({ version: 2 });
    const stale = await cli(['secrets', 'put', 'cli-db-password', '--value-stdin', '--expected-version', '1'], { input: newValue() });
    expect(stale.code).toBe(5);
    expect(stale.stderr).toMatch(/HTTP 409/);
    expect((await cli(['secrets', 'get', 'cli-db-password'])).stdout).toBe(`${v2}\n`);

    const versions = await json(['secrets', 'versions', 'cli-db-password']);
    expect(versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2]);

    const rotated = await json(['secrets', 'rotate', 'cli-db-password', '--reason', 'cli test']);
    expect(rotated).toMatchObject({ status: 'completed', to_version: 3 });
    values.push((await client.unwrap(client.api.GET('/api/v1/secrets/{id}/value', { params: { path: { id: created.id } } }))).value);

    expect((await cli(['secrets', 'delete', 'cli-db-password'])).code).toBe(0);
    const gone = await cli(['secrets', 'get', 'cli-db-password']);
    expect(gone.code).toBe(3);
    expect(gone.stdout).toBe('');
    expect((await cli(['secrets', 'get', created.id])).code).toBe(3);
    expect(await json(['secrets', 'restore', created.id])).toMatchObject({ id: created.id });
    expect((await cli(['secrets', 'get', 'cli-db-password'])).code).toBe(0);
    expect((await cli(['secrets', 'versions', 'no-such-secret'])).code).toBe(3);
  });

  it('denied exits 4, not found 3, unreachable 6', async () => {
    const auditor = await cli(['secrets', 'get', 'cli-db-password'], { env: { STRONGROOM_TOKEN: auditorToken() } });
    expect(auditor.code).toBe(4);
    expect(auditor.stdout).toBe('');
    expect((await cli(['secrets', 'list'], { env: { STRONGROOM_TOKEN: noRoleToken() } })).code).toBe(4);
    expect((await cli(['secrets', 'list'], { env: { STRONGROOM_TOKEN: 'not-a-jwt' } })).code).toBe(4);
    const tokenFile = join(work, 'token');
    writeFileSync(tokenFile, `${noRoleToken()}\n`);
    expect((await cli(['--token-file', tokenFile, 'backup', 'list'])).code).toBe(4);
    expect((await cli(['secrets', 'rotate', 'sec_unknown1'])).code).toBe(3);
    const down = await cli(['secrets', 'list'], { env: { STRONGROOM_ADDR: 'http://127.0.0.1:1' } });
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/cannot reach/);
  });

  it('reports list and download; tasks wait shows progress on stderr', { timeout: 120_000 }, async () => {
    const generated = await client.unwrap(client.api.POST('/api/v1/reports', { body: { kind: 'security' } }));
    const reportId = generated.report?.id;
    expect(reportId).toMatch(/^rpt_/);
    const listed = await json(['reports', 'list']);
    expect(listed.map((r: { id: string }) => r.id)).toContain(reportId);
    const doc = await cli(['reports', 'download', reportId!]);
    expect(doc.code).toBe(0);
    expect(JSON.parse(doc.stdout)).toMatchObject({ kind: 'security' });
    const csvFile = join(work, 'report.csv');
    expect((await cli(['reports', 'download', reportId!, '--format', 'csv', '--out', csvFile])).code).toBe(0);
    expect(readFileSync(csvFile, 'utf8').length).toBeGreaterThan(0);
    expect((await cli(['reports', 'download', 'rpt_unknown1'])).code).toBe(3);

    const accepted = await client.unwrap(client.api.POST('/api/v1/secrets/rotate-bulk', { body: { tag: 'team:cli' } }));
    const waited = await cli(['-o', 'json', 'tasks', 'wait', accepted.task_id, '--interval', '100']);
    expect(waited.code, waited.stderr).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ task_id: accepted.task_id, status: 'completed' });
    expect(waited.stderr).toMatch(/\[#+\] \d+\/\d+ completed/);
    expect((await cli(['tasks', 'wait', 'task_unknown1'])).code).toBe(3);
    expect((await cli(['tasks', 'wait', 'not-a-task'])).code).toBe(2);
  });

  it('audit verify and export', async () => {
    const verified = await json(['audit', 'verify']);
    expect(verified).toMatchObject({ valid: true });
    const exported = await cli(['audit', 'export']);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(3);
    expect((await cli(['audit', 'verify'], { env: { STRONGROOM_TOKEN: noRoleToken() } })).code).toBe(4);
  });

  it('backup create, list and verify (exit 7 for a changed file, 3 for an unknown one)', { timeout: 120_000 }, async () => {
    const created = await json(['backup', 'create']);
    expect(created.file).toBeTruthy();
    expect((await json(['backup', 'list'])).map((b: { id: string }) => b.id)).toContain(created.id);
    const bundle = join(bundles, created.file);
    expect(await json(['backup', 'verify', bundle])).toMatchObject({ valid: true, sha256: created.sha256 });

    const tamperedDir = join(work, 'tampered');
    mkdirSync(tamperedDir);
    const tampered = join(tamperedDir, created.file);
    copyFileSync(bundle, tampered);
    writeFileSync(tampered, Buffer.concat([readFileSync(tampered), Buffer.from('x')]));
    const bad = await cli(['backup', 'verify', tampered]);
    expect(bad.code).toBe(7);
    const unknown = join(work, 'unknown.bundle');
    writeFileSync(unknown, 'x');
    expect((await cli(['backup', 'verify', unknown])).code).toBe(3);
  });

  it('run: the command gets the value in its environment (not our token) and its exit code is ours', async () => {
    const value = newValue();
    await client.unwrap(client.api.POST('/api/v1/secrets', { body: { name: 'cli-run-secret', secret_type: 'API_KEY', value } }));
    const r = await cli(['run', '--secret', 'cli-run-secret=MY_VAR', '--', process.execPath, '-e', `${HASH_CHILD}; process.exit(3)`]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe(`hash=${sha256(value)} token=absent\n`);

    expect((await cli(['run', '--secret', 'no-such-secret=MY_VAR', '--', process.execPath, '-e', ''])).code).toBe(3);
    expect((await cli(['run', '--', process.execPath, '-e', ''])).code).toBe(2);
    expect((await cli(['run', '--secret', 'cli-run-secret=MY_VAR', '--', '/nonexistent/command'])).code).toBe(127);
  });

  it('run refuses a name derived from a secret that would set a variable controlling the command (LD_PRELOAD, NODE_OPTIONS …)', async () => {
    const value = newValue();
    await client.unwrap(client.api.POST('/api/v1/secrets', { body: { name: 'ld_preload', secret_type: 'API_KEY', value, tags: { app: 'loader' } } }));
    for (const args of [['--tag', 'app:loader'], ['--secret', 'ld_preload']]) {
      const r = await cli(['run', ...args, '--', process.execPath, '-e', `${HASH_CHILD}`]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('would set LD_PRELOAD');
      expect(r.stdout).toBe('');
      expect(r.stdout + r.stderr).not.toContain(value);
    }
    // Mapped explicitly, it is the caller's choice (here to a harmless name).
    const mapped = await cli(['run', '--secret', 'ld_preload=MY_VAR', '--', process.execPath, '-e', HASH_CHILD]);
    expect(mapped.stdout).toBe(`hash=${sha256(value)} token=absent\n`);
  });

  it('run --watch restarts the command after a rotation, and forwards SIGTERM', { timeout: 120_000 }, async () => {
    const before = (await client.unwrap(client.api.GET('/api/v1/secrets', { params: { query: { name_prefix: 'cli-run-secret' } } }))).items[0]!;
    const v1 = (await client.unwrap(client.api.GET('/api/v1/secrets/{id}/value', { params: { path: { id: before.id } } }))).value;
    const run = start([
      'run', '--watch', '--interval', '1', '--secret', 'cli-run-secret=MY_VAR', '--',
      process.execPath, '-e', `${HASH_CHILD}; setInterval(() => {}, 1000)`,
    ]);
    await eventually(async () => run.stdout().includes(`hash=${sha256(v1)}`));

    const v2 = newValue();
    await client.unwrap(client.api.POST('/api/v1/secrets/{id}/rotate', { params: { path: { id: before.id }, query: {} }, body: { value: v2 } }));
    await eventually(async () => run.stdout().includes(`hash=${sha256(v2)}`));

    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stdout.trim().split('\n')).toEqual([`hash=${sha256(v1)} token=absent`, `hash=${sha256(v2)} token=absent`]);
    expect(r.stderr).toMatch(/cli-run-secret v\d+ -> v\d+; restarting/);
  });

  it('run --watch: a SIGTERM that arrives while a restart waits for the old command ends the run; no new command is started', { timeout: 120_000 }, async () => {
    const before = (await client.unwrap(client.api.GET('/api/v1/secrets', { params: { query: { name_prefix: 'cli-run-secret' } } }))).items[0]!;
    const v1 = (await client.unwrap(client.api.GET('/api/v1/secrets/{id}/value', { params: { path: { id: before.id } } }))).value;
    // The command ignores SIGTERM: the restart waits --grace seconds for it before SIGKILL.
    const run = start([
      'run', '--watch', '--interval', '1', '--grace', '5', '--secret', 'cli-run-secret=MY_VAR', '--',
      process.execPath, '-e', `${HASH_CHILD}; process.on('SIGTERM', () => console.log('ignored')); setInterval(() => {}, 1000)`,
    ]);
    await eventually(async () => run.stdout().includes(`hash=${sha256(v1)}`));
    await client.unwrap(client.api.POST('/api/v1/secrets/{id}/rotate', { params: { path: { id: before.id }, query: {} }, body: { value: newValue() } }));
    await eventually(async () => run.stdout().includes('ignored'));
    // The restart is waiting for the old command: stopping now must stop, not restart.
    run.child.kill('SIGTERM');
    const timeout = setTimeout(() => run.child.kill('SIGINT'), 30_000);
    const r = await run.done;
    clearTimeout(timeout);
    expect(r.stdout.trim().split('\n').filter((l) => l.startsWith('hash='))).toEqual([`hash=${sha256(v1)} token=absent`]);
    expect(r.code).toBe(128 + 9);
  });

  it('run --tag: every tagged secret as its upper-cased name; --watch --signal signals instead of restarting', { timeout: 120_000 }, async () => {
    const value = newValue();
    const created = await client.unwrap(client.api.POST('/api/v1/secrets', { body: { name: 'cli-tag-secret', secret_type: 'API_KEY', value, tags: { app: 'tagged' } } }));
    const child = `const h = require('crypto').createHash('sha256').update(process.env.CLI_TAG_SECRET ?? '').digest('hex');
console.log('hash=' + h);
process.on('SIGHUP', () => console.log('reload'));
setInterval(() => {}, 1000);`;
    const run = start(['run', '--tag', 'app:tagged', '--watch', '--interval', '1', '--signal', 'SIGHUP', '--', process.execPath, '-e', child]);
    await eventually(async () => run.stdout().includes(`hash=${sha256(value)}`));
    await client.unwrap(client.api.POST('/api/v1/secrets/{id}/rotate', { params: { path: { id: created.id }, query: {} }, body: { value: newValue() } }));
    await eventually(async () => run.stdout().includes('reload'));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    // Signalled, not restarted: one start, one reload.
    expect(r.stdout).toBe(`hash=${sha256(value)}\nreload\n`);
    expect(r.stderr).toMatch(/cli-tag-secret v1 -> v2; sending SIGHUP/);
  });

  it('HTTPS with a private CA: trusted through STRONGROOM_CACERT, refused (exit 6) without it', { timeout: 180_000 }, async () => {
    const ca = createTestCa();
    const server = ca.issue('strongroom');
    // A second replica on the same database, serving HTTPS with a certificate of our own CA.
    const tls = await startTestApp({ db: app.db, env: { TLS_CERT_FILE: server.certFile, TLS_KEY_FILE: server.keyFile } });
    try {
      expect(tls.url).toMatch(/^https:/);
      const trusted = await cli(['-o', 'json', 'secrets', 'list', '--prefix', 'cli-run'], { env: { STRONGROOM_ADDR: tls.url, STRONGROOM_CACERT: ca.certFile } });
      expect(trusted.code, trusted.stderr).toBe(0);
      expect(JSON.parse(trusted.stdout).map((x: { name: string }) => x.name)).toContain('cli-run-secret');
      const untrusted = await cli(['secrets', 'list'], { env: { STRONGROOM_ADDR: tls.url } });
      expect(untrusted.code).toBe(6);
      expect(untrusted.stderr).toMatch(/cannot reach/);
      const typed = createStrongroomClient({ baseUrl: tls.url, token: adminToken(), caCert: ca.cert });
      await expect(typed.unwrap(typed.api.GET('/api/v1/backups'))).resolves.toMatchObject({ items: expect.any(Array) });
      await typed.close();
    } finally {
      await tls.stop();
      ca.remove();
    }
  });

  it('no value appeared in any output except secrets get', () => {
    expect(values.length).toBeGreaterThan(3);
    expect(outputs.length).toBeGreaterThan(30);
    for (const o of outputs) for (const v of values) expect(o.includes(v), `a value in: ${o.slice(0, 200)}`).toBe(false);
  });
});
