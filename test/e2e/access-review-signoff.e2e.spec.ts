import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { auditorToken } from '../support/tokens.js';

/**
 * Evidence that access was reviewed, not only listed (SOC 2 CC6.3, PCI DSS 7.2.4): an auditor
 * records a review of a stored access review, and the next compliance summary cites it.
 */
const R = '/api/v1/reports';

describe('access-review sign-off', () => {
  const clock = new TestClock(new Date('2026-11-30T12:10:00.000Z'));
  let app: TestApp;
  let db: pg.Client;
  let reviewId: string;
  const auditor = auditorToken('compliance-officer');

  /** The CC6.3 control of a freshly stored SOC 2 summary (a new hour, so not the stored one). */
  const cc63 = async () => {
    clock.advance(61 * 60_000);
    const summary = await app.call('GET', `${R}/compliance?standard=soc2`, { token: auditor });
    expect(summary.status).toBe(200);
    const rows = (summary.body.sections as { rows?: Record<string, unknown>[] }[]).flatMap((s) => s.rows ?? []);
    const control = rows.find((r) => r.control === 'CC6.3' || r.id === 'CC6.3');
    expect(control, JSON.stringify(rows.slice(0, 2))).toBeDefined();
    return control as Record<string, string>;
  };

  beforeAll(async () => {
    app = await startTestApp({ clock });
    db = await connect(app.db.url);
    const generated = await app.call('POST', R, { body: { kind: 'access_review' } });
    expect([201, 202]).toContain(generated.status);
    reviewId = generated.body.report.id;
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('a generated but unsigned access review only warns in the compliance summary', async () => {
    const control = await cc63();
    expect(control.status).toBe('warn');
    expect(JSON.stringify(control)).toContain('not signed off');
  });

  it('an auditor records a review with a decision per grant; it is stored, audited and listed', async () => {
    const signed = await app.call('POST', `${R}/${reviewId}/signoffs`, {
      token: auditor,
      body: {
        remarks: 'Quarterly review with the platform team.',
        decisions: [
          { grant: 'billing-reads-own', decision: 'keep' },
          { grant: 'legacy-batch-reads-all', decision: 'revoke', remark: 'service retired in October' },
        ],
      },
    });
    expect(signed.status).toBe(201);
    expect(signed.body).toMatchObject({ report_id: reviewId, reviewed_by: 'compliance-officer', keep: 1, revoke: 1 });
    expect(signed.body.id).toMatch(/^ars_/);

    const listed = await app.call('GET', `${R}/${reviewId}/signoffs`, { token: auditor });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].decisions[1]).toEqual({ grant: 'legacy-batch-reads-all', decision: 'revoke', remark: 'service retired in October' });

    const audited = await db.query(
      "SELECT actor, details FROM audit_events WHERE action = 'report.access_review_signed_off' AND outcome = 'success'",
    );
    expect(audited.rows).toHaveLength(1);
    expect(audited.rows[0].actor).toBe('compliance-officer');
    expect(audited.rows[0].details).toMatchObject({ report_id: reviewId, keep: 1, revoke: 1 });
  });

  it('the next compliance summary cites the sign-off and passes CC6.3', async () => {
    const control = await cc63();
    expect(control.status).toBe('pass');
    const text = JSON.stringify(control);
    expect(text).toContain('compliance-officer');
    expect(text).toMatch(/Grants to revoke: 1/);
  });

  it('refuses a sign-off of a report that is not an access review (409), bad input (400) and an unknown report (404)', async () => {
    const security = await app.call('GET', '/api/v1/secrets/audit/report?generate_new=true', { token: auditor });
    expect(security.status).toBe(200);
    const notReview = await app.call('POST', `${R}/${security.body.id}/signoffs`, { token: auditor, body: { decisions: [] } });
    expect(notReview.status).toBe(409);
    const bad = await app.call('POST', `${R}/${reviewId}/signoffs`, { token: auditor, body: { decisions: [{ grant: 'x', decision: 'maybe' }] } });
    expect(bad.status).toBe(400);
    const tooLong = await app.call('POST', `${R}/${reviewId}/signoffs`, { token: auditor, body: { remarks: 'x'.repeat(2001), decisions: [] } });
    expect(tooLong.status).toBe(400);
    const unknown = await app.call('POST', `${R}/rpt_doesnotexist123/signoffs`, { token: auditor, body: { decisions: [] } });
    expect(unknown.status).toBe(404);
    expect((await db.query('SELECT count(*)::int AS n FROM access_review_signoffs')).rows[0].n).toBe(1);
  });
});
