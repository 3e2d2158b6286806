import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { type PausableProxy, startPausableProxy } from '../support/pausable-proxy.js';

const S = '/api/v1/secrets';

/**
 * The database freezes (a proxy in front of it stops forwarding, or a lock blocks a table):
 * requests answer 503 with Retry-After naming the database, never 500 or a hang, and the service
 * recovers by itself when the database comes back.
 */
describe('a frozen database', () => {
  let db: TestDatabase;
  let proxy: PausableProxy;
  let app: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startPausableProxy(Number(new URL(db.url).port || 5432));
    app = await startTestApp({
      db: { ...db, url: proxy.urlFor(db.url) },
      env: {
        DATABASE_STATEMENT_TIMEOUT_MS: '1000',
        DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5000',
        REQUEST_TIMEOUT_MS: '8000',
        RETRY_AFTER_SECONDS: '7',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
    await db?.drop();
  });

  // The fetch is bounded so that a request that hangs fails the test instead of stalling it.
  const call = (method: string, path: string, body?: unknown): Promise<CallResult> =>
    Promise.race([
      app.call(method, path, body === undefined ? {} : { body }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${method} ${path} hung`)), 25_000)),
    ]);

  const expectDatabase503 = (res: CallResult) => {
    expect(res.status, res.text).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.message).toMatch(/database/);
    expect(res.body.requestId).toBeTruthy();
  };

  it('answers 503 with Retry-After while PostgreSQL is frozen, and recovers when it thaws', async () => {
    const { body: s } = await call('POST', `${S}/`, { name: 'before_freeze', secret_type: 'API_KEY' });
    proxy.pause();
    try {
      // More requests than pooled connections: some wait on a frozen connection, others for one.
      const results = await Promise.all([
        call('GET', `${S}/`),
        call('GET', `${S}/${s.id}`),
        call('GET', `${S}/${s.id}/value`),
        call('POST', `${S}/`, { name: 'during_freeze', secret_type: 'API_KEY' }),
        call('PUT', `${S}/${s.id}/value`, { value: 'frozen-write-1234567890' }),
        ...Array.from({ length: 10 }, () => call('GET', `${S}/stats`)),
      ]);
      for (const res of results) expectDatabase503(res);
      expect((await call('GET', '/health/ready')).status).toBe(503);
    } finally {
      proxy.resume();
    }
    await eventually(async () => (await call('GET', `${S}/`)).status === 200);
    expect((await call('GET', `${S}/${s.id}/value`)).status).toBe(200);
    expect((await call('POST', `${S}/`, { name: 'after_freeze', secret_type: 'API_KEY' })).status).toBe(201);
  });

  it('answers 503 when a statement waits on a lock past the statement timeout', async () => {
    const direct = await connect(db.url);
    try {
      await direct.query('BEGIN');
      await direct.query('LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE');
      expectDatabase503(await call('GET', `${S}/`));
      await direct.query('ROLLBACK');
      expect((await call('GET', `${S}/`)).status).toBe(200);
    } finally {
      await direct.end();
    }
  });
});
