import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import swc from '@swc/core';
import { BENCH_DIR, RESULTS_DIR, ROOT_DIR, RUN_KEYS } from './settings.js';

/** A server started by the harness as a process of its own. */
export interface ManagedProcess {
  label: string;
  pid: number;
  url: string;
  port: number;
  process: ChildProcess;
  /** Milliseconds from spawn to the first 200 of the readiness URL. */
  readyMs: number;
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ManagedProcess>();

/** Processes that ended without being stopped by the harness (a crash under load), with their last output. */
const unexpectedExits: string[] = [];

/** Returns and forgets the unexpected exits seen so far. */
export function takeUnexpectedExits(): string[] {
  return unexpectedExits.splice(0);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface StartOptions {
  label: string;
  args: string[];
  env: Record<string, string>;
  readyPath: string;
  timeoutMs?: number;
  /** Stop with SIGUSR2 → process.exit(0) so a --cpu-prof profile gets written. */
  profiled?: boolean;
  onStop?: () => void;
}

async function startProcess(o: StartOptions): Promise<ManagedProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, o.args, {
    cwd: ROOT_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...o.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  let stopping = false;
  let ready = false;
  void exited.then(() => {
    gone = true;
    if (ready && !stopping) {
      unexpectedExits.push(
        `${o.label} (pid ${child.pid}) exited unexpectedly (code ${child.exitCode}, signal ${child.signalCode}); last output:\n${out.slice(-1500)}`,
      );
    }
  });

  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let readyMs = 0;
  for (;;) {
    if (gone) throw new Error(`${o.label} exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready:\n${out.slice(-4000)}`);
    try {
      const res = await fetch(url + o.readyPath);
      await res.arrayBuffer();
      if (res.status === 200) {
        readyMs = Number(process.hrtime.bigint() - started) / 1e6;
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${o.label} not ready after ${o.timeoutMs ?? 60_000} ms:\n${out.slice(-4000)}`);
    }
    await delay(20);
  }

  ready = true;
  const managed: ManagedProcess = {
    label: o.label,
    pid: child.pid!,
    url,
    port,
    process: child,
    readyMs,
    output: () => out,
    async stop() {
      live.delete(managed);
      stopping = true;
      if (!gone) {
        child.kill(o.profiled ? 'SIGUSR2' : 'SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      o.onStop?.();
    },
  };
  live.add(managed);
  return managed;
}

/** Stops every process this harness started and has not stopped yet. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop().catch(() => undefined)));
}

export interface ServiceOptions {
  label: string;
  /** Absent: embedded PostgreSQL (PGlite) in DATA_DIR. */
  databaseUrl?: string;
  env?: Record<string, string>;
  profile?: boolean;
  timeoutMs?: number;
}

/** The built service (dist/src/main.js) with the harness's keys, a temp DATA_DIR and warn-level logs. */
export async function startService(o: ServiceOptions): Promise<ManagedProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-bench-'));
  const args: string[] = [];
  if (o.profile) {
    const dir = join(RESULTS_DIR, 'profiles');
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${o.label}-${Date.now()}.cpuprofile`);
    args.push('--import', "data:text/javascript,process.once('SIGUSR2',()=>process.exit(0))");
  }
  args.push('dist/src/main.js');
  return startProcess({
    label: o.label,
    args,
    readyPath: '/health/ready',
    timeoutMs: o.timeoutMs,
    profiled: o.profile,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      JWT_SECRET: RUN_KEYS.jwtSecret,
      LOCAL_ENCRYPTION_KEY: RUN_KEYS.encryptionKey,
      SECURITY_AUDIT_ENABLED: 'true',
      DATABASE_POOL_SIZE: '10',
      ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
      ...o.env,
    },
    onStop: () => rmSync(dataDir, { recursive: true, force: true }),
  });
}

const compiled = new Map<string, string>();

/**
 * A server of bench/baseline compiled once per harness run to bench/.build/<out>, so it runs
 * plain JavaScript like the built service (no loader at start-up). `fromBuild`: its imports of
 * `../../src/…` are pointed at `../../dist/src/…` (the service's own build, which the harness
 * makes first; bench/.build and bench/baseline are both two levels below the root).
 */
function compiledServer(file: string, out: string, fromBuild = false): string {
  const done = compiled.get(file);
  if (done) return done;
  let { code } = swc.transformFileSync(join(BENCH_DIR, 'baseline', file), {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: false,
  });
  if (fromBuild) {
    code = code.replace(/(from\s+["'])\.\.\/\.\.\/src\//g, '$1../../dist/src/');
    if (/from\s+["']\.\.\/\.\.\/src\//.test(code)) throw new Error(`${file}: an import of src/ was not pointed at dist/`);
  }
  const dir = join(BENCH_DIR, '.build');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, out);
  writeFileSync(path, code);
  compiled.set(file, path);
  return path;
}

/** The minimal Fastify + pg server of bench/baseline, as its own process. */
export async function startBaseline(o: { label: string; databaseUrl: string; poolSize: number }): Promise<ManagedProcess> {
  return startProcess({
    label: o.label,
    args: [compiledServer('server.ts', 'baseline-server.mjs')],
    readyPath: '/health',
    env: {
      DATABASE_URL: o.databaseUrl,
      LOCAL_ENCRYPTION_KEY: RUN_KEYS.encryptionKey,
      POOL_SIZE: String(o.poolSize),
    },
  });
}

/**
 * The floor server of bench/baseline/floor.ts (the service's own SQL, no framework), as its own
 * process, on a database a real service process already runs on (migrations, sealer).
 */
export async function startFloor(o: { label: string; databaseUrl: string; poolSize: number }): Promise<ManagedProcess> {
  if (!existsSync(join(ROOT_DIR, 'dist', 'src', 'crypto', 'envelope.js'))) throw new Error('the floor server needs the build (dist/src): run without --no-build or npm run build');
  return startProcess({
    label: o.label,
    args: [compiledServer('floor.ts', 'floor-server.mjs', true)],
    readyPath: '/health',
    env: {
      DATABASE_URL: o.databaseUrl,
      LOCAL_ENCRYPTION_KEY: RUN_KEYS.encryptionKey,
      JWT_SECRET: RUN_KEYS.jwtSecret,
      POOL_SIZE: String(o.poolSize),
    },
  });
}
