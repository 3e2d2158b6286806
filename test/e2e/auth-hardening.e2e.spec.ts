import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { allSealed } from '../support/audit-seal.js';
import { adminToken, hsToken, TEST_JWT_SECRET } from '../support/tokens.js';

const LIST = '/api/v1/secrets';
const now = () => Math.floor(Date.now() / 1000);
/** An HS256 token with exactly these claims (jsonwebtoken's sign would add or drop iat). */
function raw(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ roles: ['admin'], ...claims })}`;
  return `${input}.${createHmac('sha256', TEST_JWT_SECRET).update(input).digest('base64url')}`;
}

describe('JWT claims', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { JWT_MAX_TOKEN_LIFETIME_SECONDS: '7200', JWT_CLOCK_SKEW_SECONDS: '30', AUTH_FAILURE_LIMIT: '1000' } });
  });
  afterAll(() => app?.stop());

  it.each([
    ['no exp', () => raw({ sub: 'u', iat: now() }), /exp claim required/],
    ['a lifetime over the maximum (exp - iat)', () => raw({ sub: 'u', iat: now(), exp: now() + 3 * 3600 }), /lifetime exceeds the maximum of 7200/],
    ['a lifetime over the maximum without iat (exp - now)', () => raw({ sub: 'u', exp: now() + 3 * 3600 }), /lifetime exceeds/],
    ['iat in the future', () => raw({ sub: 'u', iat: now() + 600, exp: now() + 1200 }), /iat is in the future/],
    ['nbf in the future', () => raw({ sub: 'u', iat: now(), nbf: now() + 300, exp: now() + 600 }), /not active/],
    ['a non-numeric iat', () => raw({ sub: 'u', iat: 'yesterday', exp: now() + 600 }), /invalid token/],
    ['no sub', () => raw({ iat: now(), exp: now() + 600 }), /sub claim required/],
    ['an empty sub', () => raw({ sub: '', iat: now(), exp: now() + 600 }), /sub claim required/],
    ['a blank sub', () => raw({ sub: '   ', iat: now(), exp: now() + 600 }), /sub claim required/],
    ['a numeric sub', () => raw({ sub: 42, iat: now(), exp: now() + 600 }), /invalid token/],
    ['a sub over 256 characters', () => raw({ sub: 'u'.repeat(257), iat: now(), exp: now() + 600 }), /sub longer than 256/],
    ['sub system:rotation', () => raw({ sub: 'system:rotation', iat: now(), exp: now() + 600 }), /reserved actor/],
    ['sub SYSTEM:jobs', () => raw({ sub: 'SYSTEM:jobs', iat: now(), exp: now() + 600 }), /reserved actor/],
    ['sub anonymous', () => raw({ sub: 'anonymous', iat: now(), exp: now() + 600 }), /reserved actor/],
    ['sub unknown', () => raw({ sub: ' unknown', iat: now(), exp: now() + 600 }), /reserved actor/],
  ])('refuses a token with %s (401)', async (_case, token, message) => {
    const res = await app.call('GET', LIST, { token: token() });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(res.body.message).toMatch(message);
  });

  it.each([
    ['a lifetime at the maximum', () => raw({ sub: 'u', iat: now(), exp: now() + 7200 })],
    ['no iat and exp within the maximum', () => raw({ sub: 'u', exp: now() + 3600 })],
    ['iat and nbf within the clock skew', () => raw({ sub: 'u', iat: now() + 10, nbf: now() + 10, exp: now() + 600 })],
    ['a sub that merely contains system', () => raw({ sub: 'ops-system:1', iat: now(), exp: now() + 600 })],
  ])('accepts a token with %s', async (_case, token) => {
    expect((await app.call('GET', LIST, { token: token() })).status).toBe(200);
  });

  it('npm run token refuses a --ttl over the maximum and mints tokens the service accepts', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-token-'));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--no-warnings', '--import', '@swc-node/register/esm-register', 'src/auth/token.cli.ts', ...args], {
        env: { PATH: process.env.PATH, NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, JWT_MAX_TOKEN_LIFETIME_SECONDS: '7200' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    try {
      const tooLong = run('--role', 'admin', '--ttl', '3h');
      expect(tooLong.status).toBe(2);
      expect(tooLong.stderr).toMatch(/--ttl must be between 1 second and JWT_MAX_TOKEN_LIFETIME_SECONDS \(7200 s\)/);
      const ok = run('--role', 'admin', '--ttl', '2h');
      expect(ok.status).toBe(0);
      const claims = jwt.verify(ok.stdout.trim(), TEST_JWT_SECRET) as Record<string, number>;
      expect(claims.exp! - claims.iat!).toBe(7200);
      return app.call('GET', LIST, { token: ok.stdout.trim() }).then((res) => expect(res.status).toBe(200));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('failed-authentication limit across replicas', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { AUTH_FAILURE_LIMIT: '4', AUTH_FAILURE_WINDOW_SECONDS: '600' };
    a = await startTestApp({ db, env });
    b = await startTestApp({ db, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('counts failures on every replica together, and never refuses a valid token', async () => {
    for (const app of [a, b, a, b]) expect((await app.call('GET', LIST, { token: 'bad' })).status).toBe(401);
    const limited = await a.call('GET', LIST, { token: 'bad' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect((await b.call('GET', LIST, { token: null })).status).toBe(429);
    // Same address, valid token, on either replica: served.
    expect((await a.call('GET', LIST, { token: adminToken() })).status).toBe(200);
    expect((await b.call('GET', LIST, { token: adminToken() })).status).toBe(200);
  });
});

/** A request whose socket comes from `localAddress` (a loopback address), with extra headers. */
function fromAddress(url: string, localAddress: string, headers: Record<string, string>): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('client addresses behind trusted proxies (TRUST_PROXY)', () => {
  let app: TestApp;
  let db: pg.Client;
  beforeAll(async () => {
    app = await startTestApp({ env: { TRUST_PROXY: '127.0.0.1, 127.0.0.2/32', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '600' } });
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const ipOf = async (requestId: string) =>
    (await db.query('SELECT client_ip FROM audit_events WHERE request_id = $1', [requestId])).rows.map((r) => r.client_ip as string);

  it('takes the right-most untrusted hop, so a forged left-most value neither hides the client nor escapes the limit', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await app.call('GET', LIST, { token: 'bad', headers: { 'x-forwarded-for': `127.0.0.${100 + i}, 127.0.0.9` } });
      expect(res.status).toBe(401);
      expect(await ipOf(res.body.requestId)).toEqual(['127.0.0.9']);
    }
    const limited = await app.call('GET', LIST, { token: 'bad', headers: { 'x-forwarded-for': '127.0.0.200, 127.0.0.9' } });
    expect(limited.status).toBe(429);
    // Another client behind the same proxy is not limited.
    expect((await app.call('GET', LIST, { token: 'bad', headers: { 'x-forwarded-for': '127.0.0.9, 127.0.0.10' } })).status).toBe(401);
  });

  it('skips every trusted hop, and records the client on successful requests too', async () => {
    const res = await app.call('GET', LIST, { headers: { 'x-forwarded-for': '127.0.0.66, 127.0.0.11, 127.0.0.2' } });
    expect(res.status).toBe(200);
    expect(await ipOf(res.headers.get('x-request-id')!)).toEqual(['127.0.0.11']);
    const direct = await app.call('GET', LIST, {});
    expect(await ipOf(direct.headers.get('x-request-id')!)).toEqual(['127.0.0.1']);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const url = `${app.url}${LIST}`;
    const res = await fromAddress(url, '127.0.0.5', { authorization: `Bearer ${adminToken()}`, 'x-forwarded-for': '127.0.0.77' });
    expect(res.status).toBe(200);
    expect(await ipOf(res.requestId)).toEqual(['127.0.0.5']);
  });
});

describe('request ids', () => {
  let app: TestApp;
  let db: pg.Client;
  beforeAll(async () => {
    app = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '1000' } });
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it.each(['has space', 'x'.repeat(65), '<script>alert(1)</script>', "a';--", 'ünï'])('replaces a malformed id (%s) and never stores it', async (given) => {
    for (const token of [undefined, null]) {
      const res = await app.call('GET', LIST, { token, headers: { 'x-request-id': given } });
      const ours = res.headers.get('x-request-id')!;
      expect(ours).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const rows = (await db.query('SELECT details FROM audit_events WHERE request_id = $1', [ours])).rows;
      expect(rows).toHaveLength(1);
      expect(rows[0].details.client_request_id).toBeUndefined();
    }
    const stored = await db.query("SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1 OR strpos(details::text, $1) > 0", [given]);
    expect(stored.rows[0].n).toBe(0);
  });

  it('keeps a well-formed caller id beside its own, never in its place', async () => {
    const given = 'client-trace-0001';
    const first = await app.call('GET', LIST, { headers: { 'x-request-id': given } });
    const second = await app.call('GET', LIST, { token: null, headers: { 'x-request-id': given } });
    expect(first.headers.get('x-request-id')).not.toBe(given);
    expect(second.body.requestId).toBe(second.headers.get('x-request-id'));
    await allSealed(db); // chain order: an unsealed row has no seq yet and would sort last
    const rows = (
      await db.query("SELECT request_id, details FROM audit_events WHERE details->>'client_request_id' = $1 ORDER BY seq", [given])
    ).rows;
    expect(rows.map((r) => r.request_id)).toEqual([first.headers.get('x-request-id'), second.headers.get('x-request-id')]);
    expect((await db.query('SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1', [given])).rows[0].n).toBe(0);
  });
});

describe('audit rows of an unauthenticated flood', () => {
  const LIMIT = 3;
  const WINDOW_SECONDS = 2;
  let app: TestApp;
  let db: pg.Client;
  const clock = new TestClock();
  beforeAll(async () => {
    app = await startTestApp({
      clock,
      env: { TRUST_PROXY: '127.0.0.1', AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS) },
    });
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  const flood = (client: string, n: number) =>
    Promise.all(Array.from({ length: n }, () => app.call('GET', LIST, { token: 'bad', headers: { 'x-forwarded-for': client } })));
  const rowsOf = async (client: string) => {
    await allSealed(db); // chain order: an unsealed row has no seq yet and would sort last
    return (await db.query("SELECT action, details FROM audit_events WHERE client_ip = $1 AND action LIKE 'auth.%' ORDER BY seq", [client])).rows as {
      action: string;
      details: { aggregated?: boolean; count?: number; status?: number };
    }[];
  };
  const total = (rows: Awaited<ReturnType<typeof rowsOf>>) => rows.reduce((sum, r) => sum + (r.details.aggregated ? r.details.count! : 1), 0);

  it('writes at most limit + 2 rows per window, and the counts add up (window closed by the next failure)', async () => {
    const client = '127.0.0.21';
    const statuses = (await flood(client, 40)).map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(LIMIT).fill(401), ...Array(40 - LIMIT).fill(429)]);
    const during = await rowsOf(client);
    expect(during.map((r) => r.action).sort()).toEqual([...Array(LIMIT).fill('auth.denied'), 'auth.rate_limited']);

    clock.advance(WINDOW_SECONDS * 1000 + 1);
    expect((await flood(client, 1))[0]!.status).toBe(401);
    const rows = await rowsOf(client);
    expect(rows.length).toBeLessThanOrEqual(LIMIT + 2 + 1);
    const aggregated = rows.filter((r) => r.details.aggregated);
    expect(aggregated).toHaveLength(1);
    expect(aggregated[0]).toMatchObject({ action: 'auth.rate_limited', details: { aggregated: true, count: 40 - LIMIT - 1 } });
    expect(total(rows)).toBe(41);
    expect((await app.call('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });

  it('writes the aggregated row when the window closes, without another request', async () => {
    const client = '127.0.0.22';
    await flood(client, 15);
    clock.advance(WINDOW_SECONDS * 1000 + 1);
    const rows = await eventually(async () => {
      const r = await rowsOf(client);
      return r.some((x) => x.details.aggregated) ? r : undefined;
    }, 20_000);
    expect(rows).toHaveLength(LIMIT + 2);
    expect(total(rows)).toBe(15);
    expect((await db.query('SELECT count(*)::int AS n FROM auth_failure_windows WHERE client_address = $1', [client])).rows[0].n).toBe(0);
  });
});

describe('the failed-authentication limit on the embedded database (PGlite)', () => {
  let app: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { DATABASE_URL: '', AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_SECONDS: '60' } });
  }, 120_000);
  afterAll(() => app?.stop());

  it('limits, lets valid tokens through and aggregates the flood there too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await app.call('GET', LIST, { token: 'bad' })).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
    expect((await app.call('GET', LIST, { token: adminToken() })).status).toBe(200);
    clock.advance(61_000);
    expect((await app.call('GET', LIST, { token: 'bad' })).status).toBe(401);
    const events = await app.call('GET', '/api/v1/audit/events?action=auth.rate_limited&limit=50');
    expect(events.status).toBe(200);
    const aggregated = (events.body.items as { details: { aggregated?: boolean; count?: number } }[]).filter((e) => e.details.aggregated);
    expect(aggregated.map((e) => e.details.count)).toEqual([3]);
  });
});
