import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { auditorToken, hsToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const T = '/api/v1/tasks';

interface TaskSummary {
  task_id: string;
  kind: string;
  status: string;
  progress: { done: number; failed: number; total: number };
  status_url: string;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** GET /api/v1/tasks: every background task, newest first, paged, filtered by status and kind. */
describe('task list', () => {
  let app: TestApp;
  let db: pg.Client;
  const tasks: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp();
    db = await connect(app.db.url);
    const ids: string[] = [];
    for (const name of ['tl_a', 'tl_b']) {
      const r = await app.call('POST', `${S}/`, { body: { name, secret_type: 'API_KEY' } });
      expect(r.status, r.text).toBe(201);
      ids.push(r.body.id);
    }
    // Three tasks, each created once the one before has finished (distinct creation times):
    // two bulk rotations around an integrity check.
    const start = async (name: string, path: string, body?: unknown) => {
      const r = await app.call('POST', path, { body });
      expect(r.status, r.text).toBe(202);
      tasks[name] = r.body.task_id;
      await eventually(async () => (await app.call('GET', `${S}/task/${r.body.task_id}/status`)).body.status === 'completed');
    };
    await start('first', `${S}/rotate-bulk`, { ids });
    await start('check', `${S}/audit/integrity-check`);
    await start('second', `${S}/rotate-bulk`, { ids: [ids[0]] });
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const list = async (query: string, token?: string) => {
    const res = await app.call('GET', `${T}${query}`, { token });
    expect(res.status, res.text).toBe(200);
    return res.body as { items: TaskSummary[]; next_cursor: string | null };
  };

  it('lists tasks newest first for an auditor, with progress, kind and times matching each status read', async () => {
    const page = await list('', auditorToken());
    expect(page.items.map((t) => t.task_id)).toEqual([tasks.second, tasks.check, tasks.first]);
    expect(page.next_cursor).toBeNull();
    for (const item of page.items) {
      const status = (await app.call('GET', item.status_url)).body;
      expect(item).toEqual({
        task_id: status.task_id,
        kind: status.kind,
        status: 'completed',
        progress: status.progress,
        status_url: `${S}/task/${item.task_id}/status`,
        created_by: 'ops-admin',
        created_at: status.created_at,
        started_at: status.started_at,
        finished_at: status.finished_at,
      });
      expect(item.finished_at).not.toBeNull();
    }
    expect(page.items[2]).toMatchObject({ kind: 'rotate_bulk', progress: { done: 2, failed: 0, total: 2 } });
    expect(page.items[1]!.kind).toBe('integrity_check');
  });

  it('filters by kind and status, and pages with the cursor without gaps or repeats', async () => {
    expect((await list('?kind=rotate_bulk')).items.map((t) => t.task_id)).toEqual([tasks.second, tasks.first]);
    expect((await list('?kind=integrity_check&status=completed')).items.map((t) => t.task_id)).toEqual([tasks.check]);
    expect((await list('?status=running')).items).toEqual([]);
    expect((await list('?kind=key_rewrap')).items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((t) => t.task_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([tasks.second, tasks.check, tasks.first]);
    const twoThenOne = await list('?limit=2&kind=rotate_bulk');
    expect(twoThenOne.next_cursor).toBeNull();
  });

  it('refuses bad input with 400 naming the field, and readers with 403', async () => {
    const bad: Array<[string, string]> = [
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=abc', 'limit'],
      ['?status=done', 'status'],
      ['?kind=Rotate%20Bulk', 'kind'],
      [`?kind=${'a'.repeat(33)}`, 'kind'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${'a'.repeat(501)}`, 'cursor'],
      ['?created_by=ops-admin', 'created_by'],
    ];
    for (const [query, field] of bad) {
      const res = await app.call('GET', `${T}${query}`);
      expect(res.status, query).toBe(400);
      expect(res.text, query).toContain(field);
    }
    const reader = await app.call('GET', T, { token: hsToken({ sub: 'svc-tasks', roles: ['reader'] }) });
    expect(reader.status).toBe(403);
  });

  it('audits each listing as task.listed with the count, under the request id', async () => {
    const res = await app.call('GET', `${T}?kind=rotate_bulk`, { token: auditorToken() });
    expect(res.status).toBe(200);
    const rows = await eventually(async () => {
      const r = (await db.query('SELECT action, outcome, actor, details FROM audit_events WHERE request_id = $1', [res.headers.get('x-request-id')])).rows;
      return r.length > 0 ? r : null;
    }, 10_000);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'task.listed', outcome: 'success', actor: 'compliance-officer', details: { count: 2 } });
  });
});
