import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { auditorToken } from '../support/tokens.js';

/**
 * A read-only role looping on the spec's `GET …/audit/report?generate_new=true` used to store a
 * new report per call. Generation now has one path, deduplicated per kind, standard and period,
 * single-flight in a replica and across replicas (two apps on one database here).
 */
const REPORT = '/api/v1/secrets/audit/report';
const R = '/api/v1/reports';

describe('report generation on request: deduplicated, single-flight', () => {
  const clock = new TestClock(new Date('2026-11-30T12:10:00.000Z'));
  let app: TestApp;
  let replica: TestApp;
  let db: pg.Client;

  const count = async (kind: string) => (await db.query('SELECT count(*)::int AS n FROM reports WHERE kind = $1', [kind])).rows[0].n as number;
  const generatedRows = async () =>
    (await db.query("SELECT count(*)::int AS n FROM audit_events WHERE action = 'report.generated' AND outcome = 'success'")).rows[0].n as number;

  beforeAll(async () => {
    app = await startTestApp({ clock });
    replica = await startTestApp({ clock, db: app.db });
    db = await connect(app.db.url);
    const created = await app.call('POST', '/api/v1/secrets/', { body: { name: 'dedup_target', secret_type: 'API_KEY' } });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await db?.end();
    await replica?.stop();
    await app?.stop();
  });

  it('20 concurrent generate_new=true GETs by an auditor store one report and all get it', async () => {
    const token = auditorToken('looping-auditor');
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.call('GET', `${REPORT}?generate_new=true`, { token })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(await count('security')).toBe(1);
    expect(await generatedRows()).toBe(1);

    // Later in the same hour: served from storage, nothing new.
    clock.advance(20 * 60_000);
    const later = await Promise.all(Array.from({ length: 20 }, () => app.call('GET', `${REPORT}?generate_new=true`, { token })));
    expect(later.every((a) => a.status === 200 && a.body.id === [...ids][0])).toBe(true);
    expect(await count('security')).toBe(1);

    // Each request still leaves its report.read row, saying whether it generated.
    const reads = await db.query("SELECT details->>'generated' AS generated FROM audit_events WHERE action = 'report.read' AND actor = 'looping-auditor'");
    expect(reads.rows.length).toBe(40);
    expect(reads.rows.filter((r) => r.generated === 'true').length).toBe(1);
  });

  it('is single-flight across replicas: a burst on two replicas in a new hour stores one report', async () => {
    clock.advance(60 * 60_000);
    const token = auditorToken('two-replica-auditor');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? replica : app).call('GET', `${REPORT}?generate_new=true`, { token })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await count('security')).toBe(2);
    expect(await generatedRows()).toBe(2);
  });

  it('lets an auditor POST the compliance kinds for their scheduled period, deduplicated; custom periods stay admin-only', async () => {
    const token = auditorToken();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? replica : app).call('POST', R, { token, body: { kind: 'compliance', standard: 'soc2' } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.body.report.id)).size).toBe(1);
    expect(answers.filter((a) => a.body.deduplicated === false).length).toBeLessThanOrEqual(1);
    expect(await count('compliance')).toBe(1);
    expect(answers[0]!.body.report.period).toEqual({ from: '2026-10-01T00:00:00.000Z', to: '2026-10-31T23:59:59.999Z' });

    // another standard is another report
    expect((await app.call('POST', R, { token, body: { kind: 'compliance', standard: 'gdpr' } })).body.deduplicated).toBe(false);
    expect(await count('compliance')).toBe(2);

    const custom = await app.call('POST', R, { token, body: { kind: 'compliance', standard: 'soc2', from: '2026-11-01' } });
    expect(custom.status).toBe(403);
    const background = await app.call('POST', R, { token, body: { kind: 'annual', background: true } });
    expect(background.status).toBe(403);
    expect(await count('annual')).toBe(0);
  });
});
