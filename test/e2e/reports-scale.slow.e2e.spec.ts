import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChainRow, chainHash, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { adminToken } from '../support/tokens.js';

/**
 * Scale: a security report over 100,000 secrets and 1,000,000 audit events (a valid hash chain, so
 * the verifier walks all of it) completes, and the heap of the process serving it (this one) stays
 * within a fixed bound while it runs: figures are aggregated by PostgreSQL and the chain is read
 * in batches, never loaded whole.
 */

const SECRETS = 100_000;
const EVENTS = 1_000_000;
const BATCH = 20_000;
const NOW = new Date('2026-11-30T12:00:00.000Z');
const DAY = 86_400_000;
/**
 * Growth of the live heap (measured right after each garbage collection) allowed while the report
 * is generated; the 1M audit rows alone would take several hundred MB as objects.
 */
const LIVE_HEAP_BOUND = 64 * 1024 * 1024;

describe('security report at scale', () => {
  const clock = new TestClock(NOW);
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ clock });
    const db = await connect(app.db.url);
    try {
      // 100,000 secrets: every 10th expired, every 10th without expiry, every 3rd without owner,
      // every other one rotated; next rotation spread from 30 days ago to 90 days ahead.
      await db.query(
        `INSERT INTO secrets (id, name, secret_type, tags, store, encrypt_locally, current_version, current_store_version,
           created_at, created_by, updated_at, expires_at, last_rotated_at, next_rotation_at, rotation_interval_days, rotation_status)
         SELECT 'sec_scale' || lpad(i::text, 8, '0'), 'scale_' || i, (ARRAY['API_KEY','DATABASE_PASSWORD','JWT_SECRET','ENCRYPTION_KEY'])[1 + i % 4],
           CASE WHEN i % 3 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('owner', 'team-' || (i % 20)) END, 'local', true, 1, 1,
           $1::timestamptz - (i % 200) * interval '1 day', 'scale', $1,
           CASE WHEN i % 10 = 0 THEN $1::timestamptz - interval '1 day' WHEN i % 10 = 1 THEN NULL ELSE $1::timestamptz + (1 + i % 400) * interval '1 day' END,
           CASE WHEN i % 2 = 0 THEN $1::timestamptz - (i % 50) * interval '1 day' END,
           $1::timestamptz + ((i % 120) - 30) * interval '1 day' + interval '1 hour', 90,
           CASE WHEN i % 2 = 0 THEN 'completed' ELSE 'none' END
         FROM generate_series(1, ${SECRETS}) i`,
        [NOW],
      );
      // 20,000 rotations over the last 30 days, 1 in 40 failed.
      await db.query(
        `INSERT INTO secret_rotations (id, secret_id, status, trigger, triggered_by, rotator, attempts, last_error, created_at, updated_at, started_at, finished_at)
         SELECT 'rot_scale' || i, 'sec_scale' || lpad((1 + i % ${SECRETS})::text, 8, '0'), CASE WHEN i % 40 = 0 THEN 'failed' ELSE 'completed' END,
           'schedule', 'system:check_expired_secrets', 'generated', 1, CASE WHEN i % 40 = 0 THEN 'target unreachable' END,
           t, t, t, t
         FROM generate_series(1, 20000) i, LATERAL (SELECT $1::timestamptz - (i % 30) * interval '1 day' - interval '1 minute' AS t) x`,
        [NOW],
      );

      // 1,000,000 audit rows over the last 120 days, chained exactly as the audit log chains them.
      let prev = GENESIS_HASH;
      const start = NOW.getTime() - 120 * DAY;
      const step = Math.floor((120 * DAY - 60_000) / EVENTS);
      for (let first = 1; first <= EVENTS; first += BATCH) {
        const cols = { seq: [] as string[], at: [] as string[], actor: [] as string[], action: [] as string[], secret: [] as (string | null)[], prev: [] as string[], hash: [] as string[] };
        for (let seq = first; seq < first + BATCH && seq <= EVENTS; seq++) {
          const row: Omit<ChainRow, 'hash'> = {
            seq: String(seq),
            occurred_at: new Date(start + seq * step).toISOString(),
            actor: `user-${seq % 50}`,
            roles: ['admin'],
            action: seq % 5 === 0 ? 'secret.read' : 'secret.value_read',
            outcome: 'success',
            secret_id: `sec_scale${String(1 + ((seq * 7919) % SECRETS)).padStart(8, '0')}`,
            secret_name: null,
            request_id: null,
            client_ip: null,
            user_agent: null,
            details: {},
            prev_hash: prev,
          };
          const hash = chainHash(prev, row);
          cols.seq.push(row.seq);
          cols.at.push(row.occurred_at);
          cols.actor.push(row.actor);
          cols.action.push(row.action);
          cols.secret.push(row.secret_id);
          cols.prev.push(prev);
          cols.hash.push(hash);
          prev = hash;
        }
        await db.query(
          `INSERT INTO audit_events (seq, occurred_at, actor, roles, action, outcome, secret_id, secret_name, request_id, client_ip, user_agent, details, prev_hash, hash)
           SELECT s, a, ac, ARRAY['admin'], act, 'success', sid, NULL, NULL, NULL, NULL, '{}'::jsonb, p, h
           FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(s, a, ac, act, sid, p, h)`,
          [cols.seq, cols.at, cols.actor, cols.action, cols.secret, cols.prev, cols.hash],
        );
      }
      await db.query('ANALYZE');
    } finally {
      await db.end();
    }
  }, 600_000);
  afterAll(() => app?.stop());

  it('completes over 100,000 secrets and 1,000,000 audit events with bounded memory', async () => {
    // Live heap: heapUsed right after a full collection, sampled every second while the report
    // is generated (the raw heapUsed also counts garbage not collected yet).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const liveBaseline = process.memoryUsage().heapUsed;
    let livePeak = liveBaseline;
    let peak = liveBaseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      gc();
      livePeak = Math.max(livePeak, process.memoryUsage().heapUsed);
    }, 1000);
    const started = Date.now();
    let report: Record<string, any>;
    try {
      // Large inventories are generated in the background.
      const res = await app.call('POST', '/api/v1/reports', { body: { kind: 'security' } });
      expect(res.status).toBe(202);
      const task = await eventually(async () => {
        const s = await app.call('GET', res.body.status_url);
        return s.body.status === 'completed' || s.body.status === 'failed' ? s.body : null;
      }, 400_000);
      expect(task.status).toBe('completed');
      report = (await app.call('GET', `/api/v1/reports/${task.result.report_id}?format=json`)).body;
    } finally {
      clearInterval(sampler);
    }
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    const liveGrowth = Math.max(0, livePeak - liveBaseline);
    console.log(
      `security report over ${SECRETS} secrets / ${EVENTS} audit rows: ${Date.now() - started} ms; ` +
        `live heap growth ${mb(liveGrowth)} (raw heapUsed peak growth ${mb(peak - liveBaseline)})`,
    );

    expect(report.metrics).toMatchObject({
      secrets_total: SECRETS,
      expired: SECRETS / 10,
      // in the 24 h: rotations with i % 30 = 0, failed when also i % 40 = 0
      rotations_completed: 666 - 166,
      rotations_failed: 166,
      audit_chain_valid: true,
    });
    expect(report.metrics.audit_events_checked).toBeGreaterThanOrEqual(EVENTS);
    // lists are capped, counts are not
    expect(report.sections.find((s: { id: string }) => s.id === 'expired').rows).toHaveLength(250);
    expect(liveGrowth).toBeLessThan(LIVE_HEAP_BOUND);

    // the CSV streams
    const csv = await fetch(`${app.url}/api/v1/reports/${report.id}?format=csv`, { headers: { authorization: `Bearer ${adminToken()}` } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect((await csv.text()).split('\r\n').length).toBeGreaterThan(1000);
  }, 600_000);
});
