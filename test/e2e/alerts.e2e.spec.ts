import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/alert.types.js';
import { SecurityAlerts } from '../../src/alerts/security-alerts.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/test-clock.js';
import { auditorToken, noRoleToken } from '../support/tokens.js';

const S = '/api/v1/secrets';
const A = '/api/v1/alerts';
const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
const PATH_TOKEN = 'T0KEN-in-the-path-abc123';

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  status: number;
  at: number;
}

interface AlertBody {
  id: string;
  kind: string;
  details: Record<string, unknown>;
  [k: string]: unknown;
}

interface Receiver {
  url: string;
  host: string;
  requests: Received[];
  /** Requests for one alert (by the X-Strongroom-Alert-Id header). */
  forAlert(id: string): Received[];
  /** Bodies of the requests answered 200. */
  bodies(): AlertBody[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1; `respond` picks the status of each request. */
async function startReceiver(path: string, respond: (alertId: string, nth: number) => number = () => 200): Promise<Receiver> {
  const requests: Received[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['x-strongroom-alert-id'] ?? '');
      const nth = (seen.get(id) ?? 0) + 1;
      seen.set(id, nth);
      const status = req.url === path && req.method === 'POST' ? respond(id, nth) : 404;
      requests.push({ headers: req.headers, raw: Buffer.concat(chunks), status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${path}`,
    host: `127.0.0.1:${port}`,
    requests,
    forAlert: (id) => requests.filter((r) => r.headers['x-strongroom-alert-id'] === id),
    bodies: () => requests.filter((r) => r.status === 200).map((r) => JSON.parse(r.raw.toString('utf8'))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a receiver does: recompute the HMAC over "t.body" and check the timestamp's age. */
function verify(r: Received, secret = WEBHOOK_SECRET): { t: number } {
  const header = String(r.headers['x-strongroom-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  expect(match, `signature header: ${header}`).not.toBeNull();
  const t = Number(match![1]);
  expect(Math.abs(Date.now() / 1000 - t)).toBeLessThan(300);
  const expected = createHmac('sha256', secret).update(`${t}.`).update(r.raw).digest();
  expect(timingSafeEqual(expected, Buffer.from(match![2]!, 'hex'))).toBe(true);
  expect(r.headers['content-type']).toBe('application/json');
  return { t };
}

async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface ListedAlert {
  id: string;
  kind: string;
  severity: string;
  details: Record<string, unknown>;
  deliveries: { target_host: string; status: string; attempts: number; last_status: number | null; last_error: string | null; delivered_at: string | null }[];
}

describe('security alerts to webhooks (JSON, signed)', () => {
  const clock = new TestClock();
  let app: TestApp;
  let good: Receiver;
  let flaky: Receiver;
  let alerts: SecurityAlerts;

  beforeAll(async () => {
    good = await startReceiver(`/hooks/${PATH_TOKEN}`);
    // Answers 500 to the first two requests for each alert, then 200.
    flaky = await startReceiver('/flaky', (_id, nth) => (nth <= 2 ? 500 : 200));
    app = await startTestApp({
      clock,
      env: {
        ALERT_WEBHOOK_URLS: `${good.url},${flaky.url}`,
        ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ROTATION_MAX_ATTEMPTS: '2',
        ROTATOR_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    alerts = app.app.get(SecurityAlerts);
  });
  afterAll(async () => {
    await app?.stop();
    await good?.close();
    await flaky?.close();
  });

  const listed = async (): Promise<ListedAlert[]> => {
    const res = await app.call('GET', `${A}?limit=200`);
    expect(res.status).toBe(200);
    return res.body.items;
  };
  const delivered = (r: Receiver, kind: string, match: (b: AlertBody) => boolean = () => true) =>
    eventually(async () => r.bodies().find((b) => b.kind === kind && match(b)), 10_000);

  it('(a) a rotation that failed for good arrives signed, without any secret value', async () => {
    const adminValue = 'postgres:Adm1n-Sup3r-S3cret-Passw0rd';
    const roleValue = 'R0le-Curr3nt-Passw0rd-xyz';
    const admin = await app.call('POST', `${S}/`, { body: { name: 'pg_admin', secret_type: 'DATABASE_PASSWORD', value: adminValue } });
    expect(admin.status).toBe(201);
    const port = await closedPort();
    const role = await app.call('POST', `${S}/`, {
      body: {
        name: 'app_user_pw',
        secret_type: 'DATABASE_PASSWORD',
        value: roleValue,
        rotator: { kind: 'postgres_role', host: '127.0.0.1', port, database: 'postgres', role: 'app_user', admin_secret_id: admin.body.id },
      },
    });
    expect(role.status).toBe(201);

    const rotate = await app.call('POST', `${S}/${role.body.id}/rotate`, { body: {} });
    // The first attempt failed; the request answers and the last attempt fails in the background.
    expect(rotate.status).toBe(202);
    expect(rotate.body.status).toBe('in_progress');

    const body = await delivered(good, 'rotation_failed', (b) => b.details.secret_id === role.body.id);
    expect(Object.keys(body).sort()).toEqual(['details', 'id', 'kind', 'occurred_at', 'severity', 'summary']);
    expect(body).toMatchObject({ kind: 'rotation_failed', severity: 'critical', occurred_at: clock.now().toISOString() });
    expect(body.details).toMatchObject({ secret_id: role.body.id, attempts: 2 });
    expect(body.summary).toContain(role.body.id);

    const request = good.forAlert(body.id)[0]!;
    verify(request);
    expect(request.headers['user-agent']).toMatch(/^Strongroom-Alerts\//);
    const raw = request.raw.toString('utf8');
    for (const secretValue of [adminValue, 'Adm1n-Sup3r-S3cret-Passw0rd', roleValue]) expect(raw).not.toContain(secretValue);
  });

  it('(b) warns once per secret per day about secrets expiring within ALERT_EXPIRY_WARNING_DAYS', async () => {
    const expiresAt = new Date(clock.now().getTime() + 3 * 86_400_000).toISOString();
    const s = await app.call('POST', `${S}/`, { body: { name: 'expiring_soon', secret_type: 'API_KEY', expires_at: expiresAt } });
    expect(s.status).toBe(201);
    const later = await app.call('POST', `${S}/`, {
      body: { name: 'expiring_later', secret_type: 'API_KEY', expires_at: new Date(clock.now().getTime() + 30 * 86_400_000).toISOString() },
    });
    expect(later.status).toBe(201);

    const run = await app.call('POST', '/api/v1/jobs/check_expired_secrets/run');
    expect(run.status).toBe(201);
    const body = await delivered(good, 'secret_expiring', (b) => b.details.secret_id === s.body.id);
    expect(body).toMatchObject({ severity: 'warning', details: { secret_id: s.body.id, secret_name: 'expiring_soon', expires_at: expiresAt } });
    verify(good.forAlert(body.id)[0]!);

    // The same day again: no second alert for that secret.
    clock.advance(60_000);
    const again = await app.call('POST', '/api/v1/jobs/check_expired_secrets/run');
    expect(again.status).toBe(201);
    await new Promise((r) => setTimeout(r, 700));
    const forSecret = (await listed()).filter((a) => a.kind === 'secret_expiring' && a.details.secret_id === s.body.id);
    expect(forSecret).toHaveLength(1);
    expect(good.bodies().filter((b) => b.kind === 'secret_expiring' && b.details.secret_id === s.body.id)).toHaveLength(1);
    // Outside the 14-day window: no warning.
    expect((await listed()).some((a) => a.details.secret_id === later.body.id)).toBe(false);
  });

  it('(c) an integrity failure arrives signed', async () => {
    await alerts.raise({
      kind: 'integrity_failure',
      severity: 'critical',
      summary: 'Secret sec_integrity000001 failed its integrity check',
      details: { secret_id: 'sec_integrity000001', version: 3, reason: 'fingerprint mismatch' },
    });
    const body = await delivered(good, 'integrity_failure');
    expect(body).toMatchObject({ severity: 'critical', details: { secret_id: 'sec_integrity000001', version: 3, reason: 'fingerprint mismatch' } });
    verify(good.forAlert(body.id)[0]!);
  });

  it('(d) a receiver that fails twice gets the alert on the third try; the API shows it', async () => {
    await alerts.raise({
      kind: 'access_pattern',
      severity: 'warning',
      summary: 'Unusual read volume by ci-bot',
      details: { actor: 'ci-bot', count: 120 },
    });
    const body = await delivered(flaky, 'access_pattern');
    const tries = flaky.forAlert(body.id);
    expect(tries.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(tries.map((r) => r.headers['x-strongroom-delivery-attempt'])).toEqual(['1', '2', '3']);
    for (const r of tries) verify(r);
    // Backoff: each retry waited longer than the last (50 ms base under NODE_ENV=test, jittered).
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(20);

    const alert = await eventually(async () => {
      const a = (await listed()).find((x) => x.id === body.id);
      return a?.deliveries.every((d) => d.status === 'delivered') ? a : undefined;
    }, 10_000);
    const byHost = new Map(alert.deliveries.map((d) => [d.target_host, d]));
    expect(byHost.get(flaky.host)).toMatchObject({ status: 'delivered', attempts: 3, last_status: 200, last_error: null });
    expect(byHost.get(flaky.host)!.delivered_at).toEqual(expect.any(String));
    expect(byHost.get(good.host)).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200 });
  });

  it('stores an alert with the same dedupe key once', async () => {
    const input: AlertInput = { kind: 'audit_chain_broken', severity: 'critical', summary: 'Audit chain broken at 42', details: { seq: 42 }, dedupeKey: 'chain:42' };
    await alerts.raise(input);
    await alerts.raise(input);
    await delivered(good, 'audit_chain_broken');
    await new Promise((r) => setTimeout(r, 300));
    expect((await listed()).filter((a) => a.kind === 'audit_chain_broken')).toHaveLength(1);
    expect(good.bodies().filter((b) => b.kind === 'audit_chain_broken')).toHaveLength(1);
  });

  it("joins the caller's transaction: rolled back with it, sent after its commit, never throwing into it", async () => {
    const uow = app.app.get(UnitOfWork);
    await expect(
      uow.run(async () => {
        await alerts.raise({ kind: 'access_pattern', severity: 'info', summary: 'rolled back', details: { marker: 'rolled-back' } });
        throw new Error('caller fails');
      }),
    ).rejects.toThrow('caller fails');

    await uow.run(async (tx) => {
      // A failing raise (kind longer than its column) neither throws nor spoils the transaction.
      await expect(alerts.raise({ kind: 'x'.repeat(40) as never, severity: 'info', summary: 'too long', details: {} })).resolves.toBeUndefined();
      await alerts.raise({ kind: 'access_pattern', severity: 'info', summary: 'committed', details: { marker: 'committed' } });
      await tx.query('SELECT 1');
      // Not visible to the delivery worker before the commit.
      await new Promise((r) => setTimeout(r, 200));
      expect(good.bodies().some((b) => b.details.marker === 'committed')).toBe(false);
    });
    await delivered(good, 'access_pattern', (b) => b.details.marker === 'committed');
    const all = await listed();
    expect(all.some((a) => a.details.marker === 'rolled-back')).toBe(false);
    expect(all.some((a) => a.kind.startsWith('xxx'))).toBe(false);
  });

  it('(f) GET /alerts: 401 without a token, 403 without a role, 200 for an auditor; hosts only, paginated', async () => {
    await alerts.raise({ kind: 'access_pattern', severity: 'info', summary: 'listed', details: { marker: 'listed' } });
    await delivered(good, 'access_pattern', (b) => b.details.marker === 'listed');
    expect((await app.call('GET', A, { token: null })).status).toBe(401);
    expect((await app.call('GET', A, { token: noRoleToken() })).status).toBe(403);
    const res = await app.call('GET', A, { token: auditorToken() });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.text).not.toContain(PATH_TOKEN);
    expect(res.text).not.toContain('/hooks/');
    expect(res.body.items[0].deliveries[0]).toEqual(
      expect.objectContaining({ target_host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), status: expect.any(String), attempts: expect.any(Number) }),
    );

    const all = (await listed()).map((a) => a.id);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; next_cursor: string | null } } = await app.call(
        'GET',
        `${A}?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: auditorToken() },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      pages.push(...page.body.items.map((a) => a.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(pages).toEqual(all);
    expect((await app.call('GET', `${A}?limit=501`)).status).toBe(400);
    expect((await app.call('GET', `${A}?cursor=garbage`)).status).toBe(400);
  });
});

describe('security alerts to webhooks (Slack format)', () => {
  let app: TestApp;
  let slack: Receiver;

  beforeAll(async () => {
    slack = await startReceiver('/services/T000/B000/XXXX');
    app = await startTestApp({
      env: { ALERT_WEBHOOK_URLS: slack.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET, ALERT_WEBHOOK_FORMAT: 'slack' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.close();
  });

  it('(e) sends { text } with severity, summary and details, still signed', async () => {
    await app.app.get(SecurityAlerts).raise({
      kind: 'integrity_failure',
      severity: 'critical',
      summary: 'Secret sec_slack00000000001 failed its integrity check',
      details: { secret_id: 'sec_slack00000000001', reason: 'fingerprint mismatch' },
    });
    const request = await eventually(async () => slack.requests.find((r) => r.status === 200), 10_000);
    verify(request);
    const body = JSON.parse(request.raw.toString('utf8'));
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain('CRITICAL');
    expect(body.text).toContain('integrity_failure');
    expect(body.text).toContain('Secret sec_slack00000000001 failed its integrity check');
    expect(body.text).toContain('reason: fingerprint mismatch');
  });
});
