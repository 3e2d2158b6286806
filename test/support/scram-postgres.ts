import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './child-app.js';

/**
 * A private PostgreSQL cluster with password (SCRAM) authentication, for rotator tests: the
 * machine's server trusts every login, which would make "the old password stops working"
 * untestable. Runs the machine's own PostgreSQL binaries as the `postgres` user.
 */
export interface ScramPostgres {
  host: string;
  port: number;
  superuser: string;
  superuserPassword: string;
  /** With `tls`: the PEM of the test CA that signed the server certificate (127.0.0.1, localhost). */
  caPem?: string;
  /** Can `user` log in with `password`? */
  canLogin(user: string, password: string): Promise<boolean>;
  admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort();
  return join('/usr/lib/postgresql', versions[versions.length - 1]!, 'bin');
}

const asPostgres = (cmd: string, args: string[]) =>
  process.getuid?.() === 0 ? { file: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { file: cmd, args };

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
export function makeCertificates(dir: string): { cert: string; key: string; ca: string } {
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=strongroom-test-ca'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost'], { stdio: 'ignore' });
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  execFileSync(
    'openssl',
    ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.ext')],
    { stdio: 'ignore' },
  );
  return { cert: f('server.crt'), key: f('server.key'), ca: f('ca.pem') };
}

/**
 * `tls`: the server has a certificate from a test CA and accepts TCP logins only over TLS
 * (hostssl; hostnossl is rejected), so a login that succeeds proves TLS was used.
 */
export async function startScramPostgres(options: { tls?: boolean } = {}): Promise<ScramPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-scram-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  const superuserPassword = 'rotator-test-superuser';
  writeFileSync(pwfile, superuserPassword);
  chmodSync(pwfile, 0o644);
  const init = asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8']);
  execFileSync(init.file, init.args, { stdio: 'ignore' });
  const tlsArgs: string[] = [];
  let caPem: string | undefined;
  if (options.tls) {
    const files = makeCertificates(dir);
    // PostgreSQL insists on a private key owned by its user and readable by it alone.
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(files.key, uid, gid);
      chownSync(files.cert, uid, gid);
    }
    chmodSync(files.key, 0o600);
    chmodSync(files.cert, 0o644);
    caPem = readFileSync(files.ca, 'utf8');
    tlsArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${files.cert}`, '-c', `ssl_key_file=${files.key}`);
    writeFileSync(
      join(data, 'pg_hba.conf'),
      'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n',
    );
  }
  const port = await freePort();
  const run = asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', ...tlsArgs]);
  const server: ChildProcess = spawn(run.file, run.args, { stdio: 'ignore' });
  const connect = (user: string, password: string) =>
    new pg.Client({
      host: '127.0.0.1',
      port,
      user,
      password,
      database: 'postgres',
      connectionTimeoutMillis: 3000,
      ...(caPem ? { ssl: { ca: caPem } } : {}),
    });
  for (let i = 0; ; i++) {
    const c = connect('postgres', superuserPassword);
    try {
      await c.connect();
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (i > 100) throw new Error(`private PostgreSQL did not start: ${(e as Error).message}`);
      await delay(100);
    }
  }
  return {
    host: '127.0.0.1',
    port,
    superuser: 'postgres',
    superuserPassword,
    ...(caPem ? { caPem } : {}),
    async canLogin(user, password) {
      const c = connect(user, password);
      try {
        await c.connect();
        return true;
      } catch {
        return false;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    async admin(fn) {
      const c = connect('postgres', superuserPassword);
      await c.connect();
      try {
        return await fn(c);
      } finally {
        await c.end();
      }
    },
    async stop() {
      // runuser does not pass signals on: stop the server the ordinary way.
      const stop = asPostgres(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'immediate', '-w']);
      const exited = new Promise((r) => server.once('exit', r));
      try {
        execFileSync(stop.file, stop.args, { stdio: 'ignore' });
      } catch {
        server.kill('SIGKILL');
      }
      await exited;
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
