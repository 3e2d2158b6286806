import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApp, startApp } from '../../src/app.factory.js';
import type { Clock } from '../../src/clock/clock.js';
import { parseConfig } from '../../src/config/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { adminToken, TEST_JWT_SECRET } from './tokens.js';

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp extends RunningApp {
  db: TestDatabase;
  dataDir: string;
  /** fetch against the app with JSON in and out; `token: null` sends no Authorization. */
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  stop(): Promise<void>;
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Reuse a database (a second replica, a restart). */
  db?: TestDatabase;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  if (db.embedded?.url) {
    throw new Error('embedded test database: one app at a time serves a data directory (skip this test in embedded mode)');
  }
  // Embedded mode: no DATABASE_URL, and the data directory is the database's (a restart reuses it).
  const dataDir = db.embedded?.dataDir ?? mkdtempSync(join(tmpdir(), 'strongroom-test-'));
  const config = parseConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...(db.embedded ? {} : { DATABASE_URL: db.url }),
    DATABASE_POOL_SIZE: '10',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ROTATION_RETRY_BASE_DELAY_MS: '0',
    JOBS_ENABLED: 'false',
    TASK_POLL_INTERVAL_MS: '50',
    ALERT_RETRY_BASE_DELAY_MS: '50',
    ...options.env,
  });
  let running: RunningApp;
  try {
    running = await startApp(config, { clock: options.clock });
  } catch (e) {
    if (!options.db) await db.drop();
    throw e;
  }
  if (db.embedded) db.embedded.url = running.databaseUrl;
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const token = o.token === undefined ? adminToken() : o.token;
    const headers: Record<string, string> = { ...o.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(running.url + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  return {
    ...running,
    db,
    dataDir,
    call,
    async stop() {
      await running.close();
      if (db.embedded) db.embedded.url = undefined;
      if (!options.db) await db.drop();
      if (!db.embedded) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `fn` returns something truthy; polls every 50 ms for at most `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
