import 'reflect-metadata';
import { startApp } from './app.factory.js';
import { exitWithBootFailure } from './common/boot-failure.js';
import { parseConfig, readProcessEnv } from './config/index.js';

async function main(): Promise<void> {
  await startApp(parseConfig(readProcessEnv()));
}

// Any failure before the server listens ends in one JSON line naming the cause: exit 78 for a
// configuration error, 69 for an unreachable database, 1 for anything else.
main().catch((e: unknown) => exitWithBootFailure(e));
