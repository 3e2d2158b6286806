import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

export async function startScramPostgres(): Promise<ScramPostgres> {
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
  const port = await freePort();
  const run = asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
  const server: ChildProcess = spawn(run.file, run.args, { stdio: 'ignore' });
  const connect = (user: string, password: string) =>
    new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 3000 });
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
