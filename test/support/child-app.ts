import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { eventually, TEST_ENCRYPTION_KEY } from './app.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { adminToken, TEST_JWT_SECRET } from './tokens.js';

/**
 * The service as a real separate process (`node src/main.ts` through the SWC loader), for tests
 * that need its logs, a crash (SIGKILL) or a restart.
 */
export interface ChildApp {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Ends the process (SIGTERM by default) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
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

export function runService(env: Record<string, string>): { process: ChildProcess; output(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => out, exited };
}

export async function startChildApp(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildApp> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const run = runService({ HOST: '127.0.0.1', ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void run.exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`service exited with ${exitCode} before it was ready:\n${run.output()}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      run.process.kill('SIGKILL');
      throw new Error(`service not ready after ${timeoutMs} ms:\n${run.output()}`);
    }
    await delay(100);
  }
  return {
    url,
    port,
    process: run.process,
    output: run.output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (run.process.exitCode === null && run.process.signalCode === null) run.process.kill(signal);
      return run.exited;
    },
  };
}

/** An admin's JSON call to a child service: status and parsed body (null when not JSON). */
export async function callChild(service: ChildApp, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(service.url + path, {
    method,
    headers: { authorization: `Bearer ${adminToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/**
 * What the slow crash tests share: a database and a data directory of their own, and the service
 * started on them (again and again: after a SIGKILL, a second instance) with the test settings
 * plus `env`. `close` kills whatever still runs and removes both.
 */
export interface ChildAppHarness {
  db: TestDatabase;
  dataDir: string;
  /** The instance started last (undefined after `kill`). */
  service: ChildApp | undefined;
  env(extra?: Record<string, string>): Record<string, string>;
  start(extra?: Record<string, string>, timeoutMs?: number): Promise<ChildApp>;
  /** `callChild` on the instance started last. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** SIGKILL to the instance started last, waiting until it is gone. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export async function childAppHarness(name: string, env: Record<string, string> = {}): Promise<ChildAppHarness> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), `strongroom-${name}-`));
  const started: ChildApp[] = [];
  const harness: ChildAppHarness = {
    db,
    dataDir,
    service: undefined,
    env: (extra = {}) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      JOBS_ENABLED: 'false',
      ...env,
      ...extra,
    }),
    async start(extra, timeoutMs) {
      const service = await startChildApp(harness.env(extra), timeoutMs);
      started.push(service);
      harness.service = service;
      return service;
    },
    call(method, path, body) {
      if (!harness.service) throw new Error('no service running');
      return callChild(harness.service, method, path, body);
    },
    async kill() {
      await harness.service?.stop('SIGKILL');
      harness.service = undefined;
    },
    async close() {
      for (const s of started) await s.stop('SIGKILL');
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Waits (polling the instance started last) until the secret's only rotation has completed. */
export async function completedRotation(harness: ChildAppHarness, secretId: string, timeoutMs = 60_000): Promise<{ status: string; rotator: string; attempts: number }> {
  return eventually(async () => {
    const list = (await harness.call('GET', `/api/v1/secrets/${secretId}/rotations`)).body as { status: string; rotator: string; attempts: number }[];
    return Array.isArray(list) && list.length === 1 && list[0]!.status === 'completed' ? list[0] : null;
  }, timeoutMs);
}
