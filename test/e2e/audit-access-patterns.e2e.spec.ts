import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AlertKind } from '../../src/alerts/alert.types.js';
import { SecurityAlerts } from '../../src/alerts/security-alerts.js';
import type { AuditAction } from '../../src/audit-log/audit-catalogue.js';
import { AuditLog } from '../../src/audit-log/audit-log.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/test-clock.js';
import { adminToken, auditorToken, noRoleToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Finding {
  id: string;
  kind: string;
  actor: string | null;
  client_ip: string | null;
  secret_id: string | null;
  details: Record<string, unknown>;
  detected_at: string;
}

/**
 * audit_secrets_access finds planted patterns. "Now" is 03:00 UTC; the baseline week before the
 * 12-hour window is written through the AuditLog service (so the chain stays valid), the window's
 * events through the API.
 */
describe('access-pattern analysis (audit_secrets_access)', () => {
  const now = new Date('2026-12-10T03:00:00.000Z');
  const clock = new TestClock(now);
  let app: TestApp;
  const alerts: { kind: string; summary: string }[] = [];

  beforeAll(async () => {
    app = await startTestApp({ clock });
    const raise = app.app.get(SecurityAlerts);
    vi.spyOn(raise, 'raise').mockImplementation(async (a) => {
      alerts.push(a);
    });
  });
  afterAll(() => app?.stop());

  const record = (actor: string, at: Date, action: AuditAction, secretId: string | null = null) =>
    app.app.get(AuditLog).record({ action, outcome: 'success', actor, roles: ['admin'], secretId, clientIp: '10.0.0.9', occurredAt: at });

  const findings = async (): Promise<Finding[]> => {
    const out: Finding[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.call('GET', `/api/v1/audit/findings?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: auditorToken() });
      expect(res.status).toBe(200);
      out.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out;
  };

  it('finds value-read spikes, repeated denials, unusual hours, reads of deleted/expired secrets and new actors', async () => {
    const target = (await app.call('POST', S, { body: { name: 'pattern_target', secret_type: 'API_KEY' } })).body.id as string;

    // History: the log reaches back beyond the baseline week.
    await record('old-timer', new Date(now.getTime() - 9 * DAY), 'secret.listed');
    for (let d = 1; d <= 7; d++) {
      const day = new Date(Date.UTC(2026, 11, 10 - d));
      // alice reads two values a day, at 10:00 and 14:00.
      for (const h of [10, 14]) await record('alice', new Date(day.getTime() + h * HOUR), 'secret.value_read', target);
      // bob works 09:00-17:00.
      for (let h = 9; h <= 17; h++) await record('bob', new Date(day.getTime() + h * HOUR), 'secret.read', target);
      // dave reads a lot, around the clock (the control: 25 reads in the window are normal for him).
      for (let h = 0; h < 20; h++) await record('dave', new Date(day.getTime() + h * HOUR + 30 * 60_000), 'secret.value_read', target);
      await record('ops-admin', new Date(day.getTime() + 12 * HOUR), 'secret.listed');
    }

    // The window (now, 03:00 UTC).
    for (let i = 0; i < 25; i++) expect((await app.call('GET', `${S}/${target}/value`, { token: adminToken('alice') })).status).toBe(200);
    for (let i = 0; i < 25; i++) await app.call('GET', `${S}/${target}/value`, { token: adminToken('dave') });
    expect((await app.call('GET', `${S}/${target}`, { token: adminToken('bob') })).status).toBe(200);
    expect((await app.call('GET', `${S}/${target}/value`, { token: adminToken('carol') })).status).toBe(200);
    for (let i = 0; i < 12; i++) expect((await app.call('GET', S, { token: noRoleToken('mallory') })).status).toBe(403);
    for (let i = 0; i < 12; i++) expect((await app.call('GET', `${S}/${target}/value`, { token: null })).status).toBe(401);

    const gone = (await app.call('POST', S, { body: { name: 'pattern_deleted', secret_type: 'API_KEY' } })).body.id as string;
    expect((await app.call('DELETE', `${S}/${gone}`)).status).toBe(204);
    expect((await app.call('GET', `${S}/${gone}/value`)).status).toBe(404);

    const expiring = (
      await app.call('POST', S, { body: { name: 'pattern_expired', secret_type: 'API_KEY', expires_at: new Date(now.getTime() + HOUR).toISOString() } })
    ).body.id as string;
    clock.advance(2 * HOUR);
    expect((await app.call('GET', `${S}/${expiring}/value`)).status).toBe(200);

    const run = await app.call('POST', '/api/v1/jobs/audit_secrets_access/run');
    expect(run.status).toBe(201);
    expect(run.body.status).toBe('succeeded');
    expect(run.body.counts).toMatchObject({ value_read_spike: 1, deleted_or_expired_read: 2, new_actor: 1, errors: 0 });

    const found = await findings();
    const of = (kind: string) => found.filter((f) => f.kind === kind);
    expect(of('value_read_spike').map((f) => f.actor)).toEqual(['alice']);
    expect(of('value_read_spike')[0]!.details).toMatchObject({ window_reads: 25, baseline_reads: 14 });
    expect(of('repeated_denials').map((f) => f.actor ?? `ip:${f.client_ip}`).sort()).toEqual(['ip:127.0.0.1', 'mallory']);
    expect(of('unusual_hour').map((f) => f.actor).sort()).toEqual(['alice', 'bob']);
    expect(of('unusual_hour').find((f) => f.actor === 'bob')!.details).toMatchObject({ hour_utc: 3, hour_start: '2026-12-10T03:00:00Z' });
    expect(of('new_actor').map((f) => f.actor)).toEqual(['carol']);
    const reads = of('deleted_or_expired_read').map((f) => [f.secret_id, f.details.state]);
    expect(reads).toEqual(expect.arrayContaining([[gone, 'deleted'], [expiring, 'expired']]));
    expect(reads).toHaveLength(2);

    // Newest first; every finding raised one access_pattern alert.
    const times = found.map((f) => f.detected_at);
    expect(times).toEqual([...times].sort().reverse());
    expect(alerts.filter((a) => a.kind === AlertKind.AccessPattern)).toHaveLength(found.length);

    // Running again finds the same things and stores (and alerts) nothing new.
    clock.advance(60_000); // a job runs once per minute slot
    const again = await app.call('POST', '/api/v1/jobs/audit_secrets_access/run');
    expect(again.body.counts).toMatchObject({ new_findings: 0 });
    expect(await findings()).toHaveLength(found.length);
    expect(alerts).toHaveLength(found.length);

    // The planted rows kept the chain intact.
    expect((await app.call('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: true });
    expect((await app.call('GET', '/api/v1/audit/findings', { token: noRoleToken() })).status).toBe(403);
    expect((await app.call('GET', '/api/v1/audit/findings?cursor=nonsense')).status).toBe(400);
  });
});
