import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { auditorToken } from '../support/tokens.js';

const S = '/api/v1/secrets';

// Slow tier (npm run test:slow): the volume run of a bulk rotation; rotation.e2e.spec.ts keeps a
// 100-key one in the everyday tier.
describe('bulk rotation at volume', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('rotates 1,000 API keys in bulk with progress, once each', async () => {
    const secrets = Array.from({ length: 1000 }, (_, i) => ({ name: `bulk_rot_${i}`, secret_type: 'API_KEY', tags: { batch: 'b1000' } }));
    const created = await app.call('POST', `${S}/bulk`, { body: { secrets } });
    expect(created.body.created, created.text.slice(0, 300)).toBe(1000);
    const started = await app.call('POST', `${S}/rotate-bulk`, { body: { tag: 'batch:b1000', reason: 'bulk test' } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status_url: `/api/v1/secrets/task/${started.body.task_id}/status`, total: 1000 });
    const progress: number[] = [];
    const done = await eventually(async () => {
      const st = (await app.call('GET', started.body.status_url, { token: auditorToken() })).body;
      progress.push(st.progress.done);
      return st.status === 'completed' ? st : null;
    }, 170_000);
    expect(done.progress).toEqual({ done: 1000, failed: 0, total: 1000 });
    expect(done.failures).toEqual([]);
    const db = await connect(app.db.url);
    try {
      const counts = await db.query(
        `SELECT count(*)::int AS secrets, sum(current_version)::int AS versions FROM secrets WHERE tags @> '{"batch":"b1000"}'`,
      );
      expect(counts.rows[0]).toEqual({ secrets: 1000, versions: 2000 });
      const rotations = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT secret_id)::int AS d FROM secret_rotations r JOIN secrets s ON s.id = r.secret_id WHERE s.tags @> '{"batch":"b1000"}'`,
      );
      expect(rotations.rows[0]).toEqual({ n: 1000, d: 1000 });
    } finally {
      await db.end();
    }
    expect(new Set(progress).size).toBeGreaterThan(1);
  }, 180_000); // a volume test: 1,000 rotations take a while on the embedded database
});
