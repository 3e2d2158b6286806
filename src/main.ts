import 'reflect-metadata';
import { startApp } from './app.factory.js';
import { exitWithBootFailure } from './boot-failure.js';
import { parseConfig, readProcessEnv } from './config/index.js';

async function main(): Promise<void> {
  const config = parseConfig(readProcessEnv());
  const running = await startApp(config);
  const { shutdownTimeoutMs } = config.operations;

  // SIGTERM (Kubernetes, docker stop) and SIGINT: new requests get 503, background work stops
  // claiming and releases what it holds, in-flight requests finish, then the server and the pool
  // close. Exit 0 when that is done, 1 when it did not finish within SHUTDOWN_TIMEOUT_MS.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const log = (level: number, msg: string) =>
      process.stdout.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, msg })}\n`);
    log(30, `${signal} received: shutting down`);
    const deadline = setTimeout(() => {
      log(50, `shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${shutdownTimeoutMs}; exiting`);
      process.exit(1);
    }, shutdownTimeoutMs);
    deadline.unref();
    running.close().then(
      () => {
        log(30, 'shut down cleanly');
        process.exit(0);
      },
      (e: unknown) => {
        log(50, `shutdown failed: ${(e as Error)?.message ?? String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

// Any failure before the server listens ends in one JSON line naming the cause: exit 78 for a
// configuration error, 69 for an unreachable database, 1 for anything else.
main().catch((e: unknown) => exitWithBootFailure(e));
