import 'reflect-metadata';
import { startApp } from './app.factory.js';
import { ConfigError, parseConfig, readProcessEnv } from './config/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(readProcessEnv());
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`strongroom: configuration error: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
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

main().catch((e: unknown) => {
  process.stderr.write(`strongroom: failed to start: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
