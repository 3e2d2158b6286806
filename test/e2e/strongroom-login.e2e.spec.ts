import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { createTestCa } from '../support/tls-certs.js';
import { freePort, idpEnvFor, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';

/**
 * `strongroom login` (OIDC device flow, RFC 8628) as a child process against a real OpenID
 * provider (test/support/oidc-idp.ts) and the service on PostgreSQL verifying its tokens by JWKS.
 */
const ROOT = process.cwd();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('strongroom login (device flow)', () => {
  let app: TestApp;
  let idp: OidcIdp;
  let out: string;
  let home: string;
  /** stdout+stderr of every invocation: no token may appear in any. */
  const outputs: string[] = [];

  function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Result>; stderrMatch(re: RegExp): Promise<RegExpExecArray> } {
    const child = spawn(process.execPath, [join(out, 'cli/strongroom.js'), ...args], {
      cwd: ROOT,
      // No STRONGROOM_TOKEN: the stored login is the only credential.
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), STRONGROOM_ADDR: app.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const waiters: { re: RegExp; resolve(m: RegExpExecArray): void }[] = [];
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      for (const w of [...waiters]) {
        const m = w.re.exec(stderr);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    const done = new Promise<Result>((resolve) =>
      child.on('close', (code) => {
        outputs.push(stdout + stderr);
        resolve({ code, stdout, stderr });
      }),
    );
    return {
      child,
      done,
      stderrMatch: (re) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const m = re.exec(stderr);
          if (m) return resolve(m);
          waiters.push({ re, resolve });
          void done.then((r) => reject(new Error(`exited ${r.code} before ${re}: ${r.stderr}`)));
        }),
    };
  }
  const cli = (args: string[], env: Record<string, string> = {}) => start(args, env).done;
  const CODE = /enter the code: ([A-Z0-9-]+)\n/;
  const tokenPath = () => join(home, 'config', 'strongroom', 'token');

  beforeAll(async () => {
    out = mkdtempSync(join(ROOT, '.cli-build-'));
    const tsc = spawn(process.execPath, [
      'node_modules/typescript/bin/tsc', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'ES2023', '--strict',
      '--skipLibCheck', '--types', 'node', '--rootDir', '.', '--outDir', out, 'cli/strongroom.ts',
    ], { cwd: ROOT });
    let tscOut = '';
    tsc.stdout.on('data', (d) => (tscOut += d));
    const compiled = new Promise<number | null>((r) => tsc.on('close', r));
    home = mkdtempSync(join(tmpdir(), 'strongroom-login-'));
    const port = await freePort();
    app = await startTestApp({ env: idpEnvFor(port) });
    idp = await startOidcIdp({ port });
    expect(await compiled, tscOut).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await idp?.close();
    await app?.stop();
    if (out) rmSync(out, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('logs in with the device flow: code on stderr, token file 0600, then commands work without STRONGROOM_TOKEN; an expired token is refreshed', { timeout: 120_000 }, async () => {
    expect(await cli(['secrets', 'list'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/strongroom login/) });

    const run = start(['-o', 'json', 'login', '--issuer', idp.issuer, '--audience', idp.audience]);
    const [, userCode] = await run.stderrMatch(CODE);
    await idp.approveDevice(userCode!, 'alice-admin');
    const r = await run.done;
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`${idp.issuer}/device`);
    expect(JSON.parse(r.stdout)).toMatchObject({ issuer: idp.issuer, subject: 'alice-admin', token_file: tokenPath() });

    expect(statSync(tokenPath()).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'config', 'strongroom')).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(tokenPath(), 'utf8')) as { access_token: string; refresh_token: string; expires_at: number };
    expect(stored.access_token.split('.')).toHaveLength(3);
    expect(stored.refresh_token).toEqual(expect.any(String));

    const created = await cli(['-o', 'json', 'secrets', 'create', 'login-made', '--type', 'API_KEY']);
    expect(created, created.stderr).toMatchObject({ code: 0 });
    const list = await cli(['secrets', 'list', '--prefix', 'login-made']);
    expect(list).toMatchObject({ code: 0, stdout: expect.stringContaining('login-made') });
    // The service saw alice-admin (the token's sub), not some other actor.
    const events = await app.call('GET', `/api/v1/audit/events?secret_id=${JSON.parse(created.stdout).id}`, { token: stored.access_token });
    expect(events.status).toBe(200);
    expect(JSON.stringify(events.body)).toContain('alice-admin');

    // The stored token counts as expired: the next command refreshes it (a new access token and,
    // rotated by the issuer, a new refresh token), still at mode 0600.
    writeFileSync(tokenPath(), JSON.stringify({ ...stored, expires_at: Math.floor(Date.now() / 1000) - 60 }), { mode: 0o600 });
    expect(await cli(['secrets', 'list', '--prefix', 'login-made'])).toMatchObject({ code: 0, stdout: expect.stringContaining('login-made') });
    const refreshed = JSON.parse(readFileSync(tokenPath(), 'utf8')) as typeof stored;
    expect(refreshed.access_token).not.toBe(stored.access_token);
    expect(refreshed.refresh_token).not.toBe(stored.refresh_token);
    expect(refreshed.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(statSync(tokenPath()).mode & 0o777).toBe(0o600);

    for (const o of outputs) {
      for (const t of [stored.access_token, stored.refresh_token, refreshed.access_token, refreshed.refresh_token]) expect(o).not.toContain(t);
    }

    // An expired login whose refresh token the issuer no longer honours: denied, told to log in again.
    writeFileSync(tokenPath(), JSON.stringify({ ...refreshed, refresh_token: 'revoked-or-unknown', expires_at: 1 }), { mode: 0o600 });
    const stale = await cli(['secrets', 'list']);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/invalid_grant[\s\S]*strongroom login/);
  });

  it('--token-file: login stores there, commands read it; logout deletes it', { timeout: 60_000 }, async () => {
    const file = join(home, 'elsewhere', 'login.json');
    const run = start(['login', '--issuer', idp.issuer, '--audience', idp.audience, '--token-file', file]);
    const [, userCode] = await run.stderrMatch(CODE);
    await idp.approveDevice(userCode!, 'carol-auditor');
    expect(await run.done).toMatchObject({ code: 0 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // carol is an auditor: verifying the audit chain is allowed, creating a secret is not (the role came from the IdP).
    const verified = await cli(['--token-file', file, 'audit', 'verify']);
    expect(verified, verified.stderr).toMatchObject({ code: 0 });
    expect((await cli(['--token-file', file, 'secrets', 'create', 'carol-made', '--type', 'API_KEY'])).code).toBe(4);
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { access_token: string }).access_token;
    for (const o of outputs) expect(o).not.toContain(token);

    const out = await cli(['-o', 'json', 'logout', '--token-file', file]);
    expect(out, out.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(out.stdout)).toMatchObject({ removed: true, revoked: true });
    expect(existsSync(file)).toBe(false);
    expect((await cli(['--token-file', file, 'secrets', 'list'])).code).toBe(2);
  });

  it('commands refreshing the same expired login at once all succeed: the rotated refresh token is used once', { timeout: 60_000 }, async () => {
    const file = join(home, 'parallel', 'token');
    const run = start(['login', '--issuer', idp.issuer, '--audience', idp.audience, '--token-file', file]);
    const [, userCode] = await run.stderrMatch(CODE);
    await idp.approveDevice(userCode!, 'alice-admin');
    expect((await run.done).code).toBe(0);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { refresh_token: string; expires_at: number };
    writeFileSync(file, JSON.stringify({ ...stored, expires_at: Math.floor(Date.now() / 1000) - 60 }), { mode: 0o600 });
    const results = await Promise.all([1, 2, 3].map(() => cli(['--token-file', file, 'secrets', 'list'])));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    // And the login stored afterwards still works (its refresh token was not revoked as reused).
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), expires_at: 1 }), { mode: 0o600 });
    const after = await cli(['--token-file', file, 'secrets', 'list']);
    expect(after, after.stderr).toMatchObject({ code: 0 });
  });

  it('run --watch outlives its first access token: the stored login is refreshed, so a later rotation still restarts the command', { timeout: 120_000 }, async () => {
    // Access tokens of 3 s, honoured to the second by the service: every run of the CLI refreshes.
    const port = await freePort();
    const shortIdp = await startOidcIdp({ port, accessTokenTtlSeconds: 3, accounts: { 'alice-admin': ['admin'], 'dave-admin': ['admin'] } });
    const shortApp = await startTestApp({ env: { ...idpEnvFor(port), JWT_CLOCK_SKEW_SECONDS: '0' } });
    let run: ReturnType<typeof start> | undefined;
    try {
      const env = { STRONGROOM_ADDR: shortApp.url };
      const signIn = async (file: string, account: string) => {
        const l = start(['login', '--issuer', shortIdp.issuer, '--audience', shortIdp.audience, '--token-file', file], env);
        const [, userCode] = await l.stderrMatch(CODE);
        await shortIdp.approveDevice(userCode!, account);
        expect((await l.done).code).toBe(0);
      };
      const alice = join(home, 'short', 'alice');
      const dave = join(home, 'short', 'dave');
      await signIn(alice, 'alice-admin');
      await signIn(dave, 'dave-admin');
      const created = await cli(['--token-file', dave, 'secrets', 'create', 'watched_key', '--type', 'API_KEY'], env);
      expect(created.code, created.stderr).toBe(0);

      run = start(
        ['--token-file', alice, 'run', '--watch', '--interval', '1', '--secret', 'watched_key=W', '--', process.execPath, '-e', 'console.error("child started"); setInterval(() => {}, 1000)'],
        env,
      );
      await run.stderrMatch(/child started/);
      // The access token run started with is refused by the service by now (it may have refreshed since).
      const first = (JSON.parse(readFileSync(alice, 'utf8')) as { access_token: string }).access_token;
      await eventually(async () => (await fetch(`${shortApp.url}/api/v1/secrets`, { headers: { authorization: `Bearer ${first}` } })).status === 401, 30_000);

      const rotated = await cli(['--token-file', dave, 'secrets', 'rotate', 'watched_key'], env);
      expect(rotated.code, rotated.stderr).toBe(0);
      const restarted = await Promise.race([
        run.stderrMatch(/watched_key v1 -> v2; restarting/),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('run --watch did not pick up the rotation')), 30_000)),
      ]);
      expect(restarted[0]).toContain('restarting');
      await run.stderrMatch(/child started[\s\S]*child started/);
      run.child.kill('SIGTERM');
      expect((await run.done).code).toBe(128 + 15);
      run = undefined;
    } finally {
      run?.child.kill('SIGTERM');
      await run?.done;
      await shortApp.stop();
      await shortIdp.close();
    }
  });

  it('a subject carrying terminal escapes is printed without them (stderr and stdout)', { timeout: 60_000 }, async () => {
    const evil = 'mallory\u001b]0;pwned\u0007\u001b[2J\u009b31m';
    idp.accounts[evil] = ['auditor'];
    const file = join(home, 'escapes', 'token');
    const run = start(['login', '--issuer', idp.issuer, '--token-file', file]);
    const [, userCode] = await run.stderrMatch(CODE);
    await idp.approveDevice(userCode!, evil);
    const r = await run.done;
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stderr).toContain('Signed in as mallory]0;pwned[2J31m');
    expect(r.stdout).toContain('mallory]0;pwned[2J31m');
    for (const text of [r.stdout, r.stderr]) expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('a sign-in denied at the issuer ends with exit 4 and says so; no token file is written', { timeout: 60_000 }, async () => {
    const file = join(home, 'denied', 'token');
    const run = start(['login', '--issuer', idp.issuer, '--token-file', file]);
    const [, userCode] = await run.stderrMatch(CODE);
    await idp.denyDevice(userCode!);
    const r = await run.done;
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/denied at the issuer \(access_denied\)/);
    expect(existsSync(file)).toBe(false);
  });

  it('an issuer without device flow support, or a plain-HTTP issuer off loopback, is refused with exit 2', async () => {
    const plain = await startOidcIdp({ deviceFlow: false });
    try {
      const r = await cli(['login', '--issuer', plain.issuer]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/does not support the device authorization grant/);
    } finally {
      await plain.close();
    }
    const http = await cli(['login', '--issuer', 'http://idp.example.com']);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/must be an https URL/);
    const missing = await cli(['login']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--issuer/);
  });

  it('an HTTPS issuer with a private CA: trusted through STRONGROOM_CACERT, unreachable (exit 6) without it', { timeout: 60_000 }, async () => {
    const ca = createTestCa('IdP Test CA');
    const leaf = ca.issue('idp');
    const secure = await startOidcIdp({ tls: { cert: leaf.cert, key: leaf.key, ca: ca.cert } });
    try {
      expect(secure.issuer).toMatch(/^https:/);
      const untrusted = await cli(['login', '--issuer', secure.issuer, '--token-file', join(home, 'tls-token')]);
      expect(untrusted.code).toBe(6);
      expect(untrusted.stderr).toMatch(/cannot reach the issuer/);
      const file = join(home, 'tls', 'token');
      const run = start(['login', '--issuer', secure.issuer, '--token-file', file], { STRONGROOM_CACERT: ca.certFile });
      const [, userCode] = await run.stderrMatch(CODE);
      await secure.approveDevice(userCode!, 'alice-admin');
      expect(await run.done).toMatchObject({ code: 0 });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ issuer: secure.issuer, access_token: expect.any(String) });
    } finally {
      await secure.close();
      ca.remove();
    }
  });

  it('an unreachable issuer exits 6', async () => {
    const r = await cli(['login', '--issuer', `http://127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/cannot reach the issuer/);
  });
});
