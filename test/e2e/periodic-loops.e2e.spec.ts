import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSealer } from '../../src/audit/sealer/audit-sealer.js';
import { LoopScheduler } from '../../src/jobs/loop-scheduler.js';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';

/**
 * The loops listed in job-schedules.ts, driven through LoopScheduler.tick on the injected clock
 * instead of their timers: rotation recovery resumes a rotation a crash left behind; the audit
 * checkpoint loop signs the new chain head.
 */
describe('periodic loops', () => {
  const clock = new TestClock(new Date('2026-12-02T10:00:00.000Z'));
  let app: TestApp;
  let loops: LoopScheduler;
  beforeAll(async () => {
    app = await startTestApp({ clock });
    loops = app.app.get(LoopScheduler);
    // The boot ticks (not awaited by the boot) are done once a tick of each loop runs.
    await eventually(async () => (await loops.tick('audit_checkpoint')) === 'ran');
    await eventually(async () => (await loops.tick('rotation_recovery')) === 'ran');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const query = async (sql: string, params: unknown[] = []) => {
    const pg = await connect(app.db.url);
    try {
      return (await pg.query(sql, params)).rows;
    } finally {
      await pg.end();
    }
  };

  it('rotation_recovery resumes a rotation left unfinished once its heartbeat is older than ROTATION_RESUME_AFTER_SECONDS', async () => {
    const created = await app.call('POST', '/api/v1/secrets', { body: { name: 'loop_recovery', secret_type: 'API_KEY' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // What a crash after a failed first attempt leaves: an in_progress inline rotation, no new version.
    const touched = new Date(clock.now().getTime() - 60_000);
    await query(
      `INSERT INTO secret_rotations (id, secret_id, status, trigger, triggered_by, rotator, attempts, last_error, from_version, created_at, started_at, updated_at)
       VALUES ('rot_loop_recovery_test', $1, 'in_progress', 'manual', 'ops-admin', 'generated', 1, 'interrupted', 1, $2, $2, $2)`,
      [id, touched],
    );
    // Heartbeat 60 s old, resume after 120 s: not yet.
    expect(await loops.tick('rotation_recovery')).toBe('ran');
    expect((await query("SELECT status FROM secret_rotations WHERE id = 'rot_loop_recovery_test'"))[0].status).toBe('in_progress');

    clock.advance(61_000);
    expect(await loops.tick('rotation_recovery')).toBe('ran');
    const [rotation] = await query("SELECT status, to_version FROM secret_rotations WHERE id = 'rot_loop_recovery_test'");
    expect(rotation).toEqual({ status: 'completed', to_version: 2 });
    expect((await app.call('GET', `/api/v1/secrets/${id}`)).body.version).toBe(2);
  });

  it('audit_checkpoint signs the chain head sealed since the last checkpoint', async () => {
    expect((await app.call('POST', '/api/v1/secrets', { body: { name: 'loop_checkpoint', secret_type: 'API_KEY' } })).status).toBe(201);
    await app.app.get(AuditSealer).sealNow();
    const [{ seq }] = await query('SELECT max(seq)::text AS seq FROM audit_events');
    const signed = async () => (await query('SELECT max(head_seq)::text AS seq FROM audit_checkpoints'))[0].seq as string | null;
    expect(BigInt((await signed()) ?? '0')).toBeLessThan(BigInt(seq));
    expect(await loops.tick('audit_checkpoint')).toBe('ran');
    expect(BigInt((await signed())!)).toBeGreaterThanOrEqual(BigInt(seq));
  });
});
