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
  await startApp(config);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    // Found during boot (e.g. the key check): still a configuration error, one line, EX_CONFIG.
    process.stderr.write(`strongroom: configuration error: ${e.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`strongroom: failed to start: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
