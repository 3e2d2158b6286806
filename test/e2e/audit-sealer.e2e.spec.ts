import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { allSealed } from '../support/audit-seal.js';
import { connect } from '../support/database.js';

/**
 * Audit rows are written unsealed in the writer's own transaction and sealed (seq, prev_hash, hash)
 * by the background sealer once they commit, whatever order transactions commit in.
 */
const S = '/api/v1/secrets';
/** A row as a writer inserts it (what AuditLog does inside a request's transaction). */
const INSERT_ROW = `INSERT INTO audit_events (occurred_at, actor, roles, action, outcome, request_id, details)
  VALUES (now(), 'long-writer', '{admin}', 'secret.updated', 'success', $1, '{}') RETURNING id::text AS id`;

describe('the audit sealer', () => {
  let app: TestApp;
  let db: pg.Client;
  let writer: pg.Client;
  beforeAll(async () => {
    app = await startTestApp();
    db = await connect(app.db.url);
    writer = await connect(app.db.url);
  });
  afterAll(async () => {
    await writer?.end();
    await db?.end();
    await app?.stop();
  });

  const sealedCount = async () => (await db.query('SELECT count(seq)::int AS n FROM audit_events')).rows[0].n as number;

  it('seals a row of a transaction held open across several seals once, after it commits', async () => {
    const s = await app.call('POST', S, { body: { name: 'sealer_long', secret_type: 'API_KEY' } });
    await allSealed(db);
    await writer.query('BEGIN');
    const { id } = (await writer.query(INSERT_ROW, ['long-tx'])).rows[0] as { id: string };
    // Rows with higher ids commit and are sealed while the long transaction is open.
    for (let round = 0; round < 3; round++) {
      const before = await sealedCount();
      expect((await app.call('GET', `${S}/${s.body.id}/value`)).status).toBe(200);
      await allSealed(db);
      expect(await sealedCount()).toBe(before + 1);
    }
    const later = (await db.query("SELECT max(id)::text AS id FROM audit_events WHERE seq IS NOT NULL")).rows[0].id as string;
    expect(BigInt(later)).toBeGreaterThan(BigInt(id));
    await writer.query('COMMIT');

    await allSealed(db);
    const rows = (await db.query('SELECT id::text AS id, seq::int AS seq FROM audit_events WHERE request_id = $1', ['long-tx'])).rows;
    const head = (await db.query('SELECT max(seq)::int AS n, count(*)::int AS total FROM audit_events')).rows[0];
    // Sealed once, after the rows that committed before it (its lower id notwithstanding).
    expect(rows).toEqual([{ id, seq: head.n }]);
    expect(head.n).toBe(head.total);
    const verify = await app.call('GET', '/api/v1/audit/verify');
    expect(verify.body).toEqual({ valid: true, checked: head.total, first_invalid_id: null, reason: null, unsealed: 0 });
  });

  it('leaves no row and no gap for an aborted transaction', async () => {
    await writer.query('BEGIN');
    await writer.query(INSERT_ROW, ['aborted-tx']);
    await writer.query('ROLLBACK');
    await app.call('GET', S);
    await allSealed(db);
    const facts = (await db.query("SELECT count(*)::int AS n, max(seq)::int AS head, count(*) FILTER (WHERE request_id = 'aborted-tx')::int AS aborted FROM audit_events")).rows[0];
    expect(facts).toEqual({ n: facts.head, head: facts.head, aborted: 0 });
  });

  it('reports rows still unsealed (an open transaction) in verify and export, and seals them afterwards', async () => {
    await writer.query('BEGIN');
    await writer.query(INSERT_ROW, ['open-during-verify']);
    // Not committed: not visible, not counted; the verdict covers what has committed.
    const verify = await app.call('GET', '/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ valid: true, unsealed: 0 });
    // Committed but (with the sealer held off by the pass lock, taken before the commit so no pass
    // can slip in between) not yet sealed: counted.
    const locker = await connect(app.db.url);
    try {
      await locker.query('BEGIN');
      await locker.query("SELECT pg_advisory_xact_lock((SELECT ('x' || substr(encode(sha256('strongroom:audit-seal'), 'hex'), 1, 16))::bit(64)::bigint))");
      await writer.query('COMMIT');
      await eventually(async () => (await db.query("SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL AND request_id = 'open-during-verify'")).rows[0].n === 1);
      const unsealed = (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL')).rows[0].n as number;
      expect(unsealed).toBeGreaterThan(0);
      const metrics = await app.call('GET', '/metrics', { token: null });
      expect(metrics.text).toMatch(new RegExp(`^audit_unsealed_rows ${unsealed}$`, 'm'));
      expect(metrics.text).toMatch(/^audit_seal_lag_seconds \d/m);
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }
    await allSealed(db);
    // The fleet gauges are read from PostgreSQL at most once a second.
    await eventually(async () => /^audit_seal_lag_seconds 0$/m.test((await app.call('GET', '/metrics', { token: null })).text), 10_000);
    const after = await app.call('GET', '/metrics', { token: null });
    expect(after.text).toMatch(/^audit_unsealed_rows 0$/m);
  });

  it('refuses, in the database, any edit or delete of an unsealed row and any change but the one seal', async () => {
    await writer.query('BEGIN');
    try {
      const { id } = (await writer.query(INSERT_ROW, ['edit-before-seal'])).rows[0] as { id: string };
      await writer.query('SAVEPOINT a');
      await expect(writer.query("UPDATE audit_events SET actor = 'someone-else' WHERE id = $1", [id])).rejects.toThrow(/append-only/);
      await writer.query('ROLLBACK TO SAVEPOINT a');
      await expect(writer.query('DELETE FROM audit_events WHERE id = $1', [id])).rejects.toThrow(/unsealed row cannot be deleted/);
      await writer.query('ROLLBACK TO SAVEPOINT a');
      // Even dressed up as a seal, the row's content may not change.
      await writer.query("SET LOCAL strongroom.audit_seal = 'on'");
      await expect(
        writer.query("UPDATE audit_events SET seq = 999999, prev_hash = repeat('0', 64), hash = repeat('1', 64), actor = 'x' WHERE id = $1", [id]),
      ).rejects.toThrow(/append-only/);
      await writer.query('ROLLBACK TO SAVEPOINT a');
      // Each column is compared by its own type's equality: jsonb details, a NULL made a value, the insert time.
      for (const change of [
        'details = \'{"forged":true}\'::jsonb',
        "secret_id = 'sec_forged'",
        "inserted_at = inserted_at - interval '1 second'",
        "occurred_at = occurred_at + interval '1 second'",
        "roles = '{admin,auditor}'",
      ]) {
        await writer.query("SET LOCAL strongroom.audit_seal = 'on'");
        await expect(
          writer.query(`UPDATE audit_events SET seq = 999999, prev_hash = repeat('0', 64), hash = repeat('1', 64), ${change} WHERE id = $1`, [id]),
          change,
        ).rejects.toThrow(/append-only/);
        await writer.query('ROLLBACK TO SAVEPOINT a');
      }
      // Nor may a retention transaction delete it.
      await writer.query("SET LOCAL strongroom.audit_prune = 'on'");
      await expect(writer.query('DELETE FROM audit_events WHERE id = $1', [id])).rejects.toThrow(/unsealed row cannot be deleted/);
    } finally {
      await writer.query('ROLLBACK');
    }
    // A sealed row cannot be sealed again.
    await allSealed(db);
    await db.query('BEGIN');
    try {
      await db.query("SET LOCAL strongroom.audit_seal = 'on'");
      await expect(db.query("UPDATE audit_events SET hash = repeat('2', 64) WHERE seq = 1")).rejects.toThrow(/append-only/);
    } finally {
      await db.query('ROLLBACK');
    }
  });
});
