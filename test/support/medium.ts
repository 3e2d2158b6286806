import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module.js';
import { type AppConfig, loadRuntimeKeys, parseConfig } from '../../src/config/index.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { SCHEMA } from '../../src/composition/schema.js';
import { runMigrations } from '../../src/database/migrate.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { LoopScheduler } from '../../src/jobs/loop-scheduler.js';
import { TEST_ENCRYPTION_KEY } from './app.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TestClock } from './test-clock.js';
import { TEST_JWT_SECRET } from './tokens.js';

/**
 * The middle tier: the whole application on a real PostgreSQL database of its own (migrated
 * first, as at boot), without HTTP. Tests take services from `ctx` and call them directly, with
 * the test clock.
 */
export interface MediumApp {
  ctx: INestApplicationContext;
  db: TestDatabase;
  config: AppConfig;
  clock: TestClock;
  get<T>(type: Type<T>): T;
  uow: UnitOfWork;
  /** Plain SQL on the app's pool, for arranging and asserting rows. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

export async function startMedium(options: { env?: Record<string, string>; clock?: TestClock } = {}): Promise<MediumApp> {
  const db = await createTestDatabase('strongroom_medium');
  if (db.embedded) throw new Error('medium tests run on the machine PostgreSQL (unset STRONGROOM_TEST_DB)');
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-medium-'));
  const clock = options.clock ?? new TestClock();
  let ctx: INestApplicationContext | undefined;
  try {
    // Migrate before the context starts: its bootstrap hooks (task runner, sealer) read the tables.
    const migrator = new DataSource(dataSourceOptions(SCHEMA, db.url, 2));
    await migrator.initialize();
    try {
      await runMigrations(migrator);
    } finally {
      await migrator.destroy();
    }
    const config = parseConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '10',
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ROTATION_RETRY_BASE_DELAY_MS: '0',
      JOBS_ENABLED: 'false',
      TASK_POLL_INTERVAL_MS: '50',
      ...options.env,
    });
    ctx = await NestFactory.createApplicationContext(
      AppModule.forRoot({ config, keys: loadRuntimeKeys(config), databaseUrl: db.url, clock }),
      { logger: false, abortOnError: false },
    );
    // Recovery is driven by the tests (RotationService.resumeInterrupted): the app's periodic loops
    // (rotation recovery once a minute) would race them for the same stale rotations.
    await ctx.get(LoopScheduler).beforeApplicationShutdown();
    const app = ctx;
    const dataSource = app.get(DataSource);
    return {
      ctx: app,
      db,
      config,
      clock,
      get: (type) => app.get(type),
      uow: app.get(UnitOfWork),
      sql: (text, params) => dataSource.query(text, params),
      async stop() {
        await app.close();
        await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await ctx?.close().catch(() => undefined);
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
