import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, TEST_ENCRYPTION_KEY } from '../support/app.js';
import { allSealed } from '../support/audit-seal.js';
import { type ChildApp, startChildApp } from '../support/child-app.js';
import { connect, createTestDatabase, type TestDatabase } from '../support/database.js';
import { adminToken, auditorToken, TEST_JWT_SECRET } from '../support/tokens.js';

/**
 * Three service processes on one database, writing audit rows at once with no shared lock, one of
 * them sealing. Slow (child processes, seconds of load): run with the slow suite.
 */
const S = '/api/v1/secrets';
const LEADER_LOG = 'this replica now seals the audit log';
const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('three replicas writing audit rows at once', () => {
  let db: TestDatabase;
  let pgc: pg.Client;
  const dirs: string[] = [];
  let replicas: ChildApp[] = [];

  const env = () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-fleet-'));
    dirs.push(dir);
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '6',
      DATA_DIR: dir,
      JWT_SECRET: TEST_JWT_SECRET,
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      AUDIT_SIGNING_KEY: signingKey,
      JOBS_ENABLED: 'false',
      AUDIT_SEAL_INTERVAL_MS: '10',
      AUDIT_SEALER_TAKEOVER_MS: '200',
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    pgc = await connect(db.url);
    // One after the other: the first runs the migrations.
    for (let i = 0; i < 3; i++) replicas.push(await startChildApp(env(), 120_000));
  }, 400_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await pgc?.end();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const call = async (base: string, method: string, path: string, body?: unknown, token = adminToken()) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  /**
   * Round-robin load over the live replicas for `ms`: creates, value reads, metadata reads (each
   * one audit row; no denials, whose rows may be aggregated). Counts the requests answered.
   */
  async function load(ms: number, targets: () => ChildApp[], workers = 6): Promise<{ answered: number; failed: number }> {
    const seed = await call(targets()[0]!.url, 'POST', S, { name: `fleet_seed_${Date.now()}`, secret_type: 'API_KEY' });
    expect(seed.status).toBe(201);
    let answered = 1;
    let failed = 0;
    let n = 0;
    const until = Date.now() + ms;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        while (Date.now() < until) {
          const i = n++;
          const live = targets();
          const base = live[i % live.length]!.url;
          try {
            const r =
              i % 3 === 0
                ? await call(base, 'POST', S, { name: `fleet_${w}_${i}`, secret_type: 'API_KEY' })
                : i % 3 === 1
                  ? await call(base, 'GET', `${S}/${seed.body.id}/value`)
                  : await call(base, 'GET', `${S}/${seed.body.id}`, undefined, auditorToken());
            if (r.status >= 500) failed++;
            answered++;
          } catch {
            failed++; // a replica killed under the request: not answered
          }
        }
      }),
    );
    return { answered, failed };
  }

  const chainFacts = async () =>
    (
      await pgc.query(
        `SELECT count(*)::int AS n, count(seq)::int AS sealed, count(DISTINCT seq)::int AS distinct_seq,
                coalesce(max(seq), 0)::int AS max_seq, coalesce(min(seq), 0)::int AS min_seq FROM audit_events`,
      )
    ).rows[0] as { n: number; sealed: number; distinct_seq: number; max_seq: number; min_seq: number };

  it('keeps one gapless chain: every answered request has exactly one sealed row, and it verifies', async () => {
    const { answered, failed } = await load(20_000, () => replicas);
    expect(failed).toBe(0);
    expect(answered).toBeGreaterThan(50);
    await allSealed(pgc);
    const facts = await chainFacts();
    expect(facts).toEqual({ n: answered, sealed: answered, distinct_seq: answered, max_seq: answered, min_seq: 1 });
    // Exactly one replica seals.
    expect(replicas.filter((r) => r.output().includes(LEADER_LOG))).toHaveLength(1);

    const verify = await call(replicas[1]!.url, 'GET', '/api/v1/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ valid: true, checked: answered, first_invalid_id: null });
  }, 180_000);

  it('survives kill -9 of the sealing replica mid-pass: another takes over, nothing sealed twice or skipped', async () => {
    const leader = replicas.find((r) => r.output().includes(LEADER_LOG))!;
    const others = replicas.filter((r) => r !== leader);
    const before = await chainFacts();
    let live = replicas;
    // Kill the sealer while rows pour in (its passes run every 10 ms under load).
    const loading = load(12_000, () => live);
    await eventually(async () => (await chainFacts()).n > before.n + 100, 60_000);
    leader.process.kill('SIGKILL');
    live = others;
    await leader.stop('SIGKILL');
    replicas = others;
    await eventually(async () => others.some((r) => r.output().includes(LEADER_LOG)), 30_000);
    await loading;

    await allSealed(pgc);
    const facts = await chainFacts();
    // Every committed row (including any of the killed replica's requests that committed) sealed
    // exactly once, in one gapless run of seq.
    expect(facts.sealed).toBe(facts.n);
    expect(facts.distinct_seq).toBe(facts.n);
    expect(facts.min_seq).toBe(1);
    expect(facts.max_seq).toBe(facts.n);
    const verify = await call(others[0]!.url, 'GET', '/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ valid: true, checked: facts.n, first_invalid_id: null });
    expect(others.filter((r) => r.output().includes(LEADER_LOG))).toHaveLength(1);
  }, 180_000);
});
