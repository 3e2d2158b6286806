import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, TEST_ENCRYPTION_KEY, type TestApp } from '../support/app.js';
import { connect, createEmbeddedTestDatabase, type TestDatabase } from '../support/database.js';

const S = '/api/v1/secrets';

/** The README's default: no DATABASE_URL, so the service runs its own embedded PGlite. */
describe('the embedded database (no DATABASE_URL)', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createEmbeddedTestDatabase();
    app = await startTestApp({ db });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('runs an integrity check over five secrets without locking up or false problems', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await app.call('POST', `${S}/`, { body: { name: `emb_${i}`, secret_type: 'API_KEY' } })).status).toBe(201);
    }
    const started = await app.call('POST', `${S}/audit/integrity-check`);
    expect(started.status).toBe(202);
    // Reads answer while the check runs.
    const [listed, ready] = await Promise.all([app.call('GET', `${S}/`), app.call('GET', '/health/ready', { token: null })]);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(5);
    expect(ready.status).toBe(200);
    const st = await eventually(async () => {
      const s = (await app.call('GET', started.body.status_url)).body;
      return s.status === 'completed' || s.status === 'failed' ? s : null;
    });
    expect(st.status).toBe('completed');
    expect(st.result).toMatchObject({ secrets_checked: 5, versions_checked: 5, failures: 0, could_not_check: 0, problems: [] });
    expect((await app.call('GET', `${S}/`)).status).toBe(200);
  });

  it('completes a task that a dead process left running, after a restart', async () => {
    const c = await connect(db.url);
    try {
      // What a crash between an item's commit and the task's completion leaves behind.
      await c.query(
        `INSERT INTO tasks (id, kind, status, params, total, done, failed, created_by, created_at, started_at)
         VALUES ('task_orphan_embedded', 'key_rewrap', 'running', '{"key_id":"k"}', 1, 0, 0, 'admin', now(), now())`,
      );
      await c.query("INSERT INTO task_items (task_id, seq, target, status, attempts, finished_at) VALUES ('task_orphan_embedded', 0, 'x', 'done', 1, now())");
    } finally {
      await c.end();
    }
    await app.stop();
    app = await startTestApp({ db });
    const st = await eventually(async () => {
      const s = (await app.call('GET', `${S}/task/task_orphan_embedded/status`)).body;
      return s.status === 'completed' ? s : null;
    });
    expect(st.progress).toMatchObject({ done: 1, failed: 0, total: 1 });
  });

  it('migration:run refuses the data directory while the server holds it', async () => {
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/database/migrate.cli.ts'], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATA_DIR: db.embedded!.dataDir, LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toMatch(/in use by process \d+/);
    // The server is untouched.
    expect((await app.call('GET', `${S}/`)).status).toBe(200);
  });
});
