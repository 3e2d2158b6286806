import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

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
