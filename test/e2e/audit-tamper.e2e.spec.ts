import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AlertKind } from '../../src/alerts/alert.types.js';
import { SecurityAlerts } from '../../src/alerts/security-alerts.js';
import { chainHash, type ChainRow } from '../../src/audit/audit-chain.js';
import { AuditCheckpointer } from '../../src/audit/checkpoints/audit-checkpointer.js';
import { runAuditVerify } from '../../src/audit/cli/audit-verify.js';
import type { ExportVerdict } from '../../src/audit/export-verifier.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { allSealed } from '../support/audit-seal.js';
import { connect } from '../support/database.js';
import { auditorToken } from '../support/tokens.js';

/**
 * Tampering with the stored audit log as a database superuser (trigger disabled): every kind of
 * change must be caught by GET /api/v1/audit/verify and by the offline verifier on an export.
 */
const dir = mkdtempSync(join(tmpdir(), 'audit-tamper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Scenario {
  name: string;
  /** Tampers through `db`; returns the seq /verify must name first and a pattern for its reason. */
  tamper: (db: pg.Client, ctx: { head: number; app: TestApp }) => Promise<{ first: string; reason: RegExp }>;
}

async function rows(db: pg.Client, fromSeq: number): Promise<ChainRow[]> {
  const r = await db.query(
    `SELECT seq::text AS seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, actor, roles, action,
            outcome, secret_id, secret_name, request_id, client_ip, user_agent, details, prev_hash, hash
     FROM audit_events WHERE seq >= $1 ORDER BY audit_events.seq`,
    [fromSeq],
  );
  return r.rows as ChainRow[];
}

const scenarios: Scenario[] = [
  {
    name: 'editing a row',
    tamper: async (db) => {
      await db.query(`UPDATE audit_events SET details = details || '{"status": 200}'::jsonb WHERE seq = 3`);
      return { first: '3', reason: /edited/ };
    },
  },
  {
    name: 'editing a row and recomputing every later hash',
    tamper: async (db, { head }) => {
      // A careful forger: the edited row and everything after it chain perfectly again. Only the
      // signed checkpoint (head of the chain as it was) can tell.
      await db.query(`UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2`);
      let prev: string | undefined;
      for (const row of await rows(db, 2)) {
        const fixed = { ...row, prev_hash: prev ?? row.prev_hash };
        const hash = chainHash(fixed.prev_hash, fixed);
        await db.query('UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3', [fixed.prev_hash, hash, row.seq]);
        prev = hash;
      }
      return { first: String(head), reason: /differs from signed checkpoint/ };
    },
  },
  {
    name: 'deleting a row',
    tamper: async (db) => {
      await db.query('DELETE FROM audit_events WHERE seq = 4');
      return { first: '5', reason: /missing/ };
    },
  },
  {
    name: 'deleting the oldest rows',
    tamper: async (db) => {
      await db.query('DELETE FROM audit_events WHERE seq <= 2');
      return { first: '3', reason: /missing/ };
    },
  },
  {
    name: 'reordering two rows',
    tamper: async (db) => {
      await db.query('UPDATE audit_events SET seq = -1 WHERE seq = 3');
      await db.query('UPDATE audit_events SET seq = 3 WHERE seq = 4');
      await db.query('UPDATE audit_events SET seq = 4 WHERE seq = -1');
      return { first: '3', reason: /reordered/ };
    },
  },
  {
    name: 'dropping the newest rows',
    tamper: async (db, { head, app }) => {
      // The periodic checkpoint has signed the head; then the newest rows disappear.
      await app.app.get(AuditCheckpointer).checkpointNow();
      const last = (await db.query('SELECT max(seq)::int AS n FROM audit_events')).rows[0].n as number;
      expect(last).toBeGreaterThan(head);
      await db.query('DELETE FROM audit_events WHERE seq > $1', [last - 3]);
      return { first: String(last - 2), reason: /newest rows were removed/ };
    },
  },
  {
    name: 'dropping the newest rows and moving the checkpoint back',
    tamper: async (db, { app }) => {
      await app.app.get(AuditCheckpointer).checkpointNow();
      const last = (await db.query('SELECT max(seq)::int AS n FROM audit_events')).rows[0].n as number;
      await db.query('DELETE FROM audit_events WHERE seq > $1', [last - 3]);
      const kept = (await db.query('SELECT seq, hash FROM audit_events WHERE seq = $1', [last - 3])).rows[0];
      await db.query('UPDATE audit_checkpoints SET head_seq = $1, head_hash = $2', [kept.seq, kept.hash]);
      return { first: '', reason: /invalid signature/ };
    },
  },
];

describe.each(scenarios)('audit log tampering: $name', ({ tamper }) => {
  let app: TestApp;
  let db: pg.Client;
  beforeAll(async () => {
    app = await startTestApp();
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });
  afterEach(() => vi.restoreAllMocks());

  it('is caught by /audit/verify (gauge, alert, finding) and by the offline verifier', async () => {
    // Some history: writes, value reads, a denial, then a verification (which signs the head).
    const a = await app.call('POST', '/api/v1/secrets', { body: { name: 'tamper_a', secret_type: 'API_KEY' } });
    const b = await app.call('POST', '/api/v1/secrets', { body: { name: 'tamper_b', secret_type: 'JWT_SECRET' } });
    await app.call('GET', `/api/v1/secrets/${a.body.id}/value`);
    await app.call('GET', `/api/v1/secrets/${b.body.id}/value`, { token: null });
    await app.call('GET', `/api/v1/secrets/${b.body.id}`, { token: auditorToken() });
    await app.call('GET', `/api/v1/secrets/${a.body.id}/versions`);
    const before = await app.call('GET', '/api/v1/audit/verify');
    expect(before.body).toEqual({ valid: true, checked: 6, first_invalid_id: null, reason: null, unsealed: 0 });
    await app.call('GET', '/api/v1/secrets');
    await app.call('GET', `/api/v1/secrets/${b.body.id}/value`);
    const head = 6;
    // Tamper with the sealed chain (rows are sealed in the background shortly after commit).
    await allSealed(db);

    await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    const expected = await tamper(db, { head, app });
    await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');

    const raise = vi.spyOn(app.app.get(SecurityAlerts), 'raise');
    const verify = await app.call('GET', '/api/v1/audit/verify', { token: auditorToken() });
    expect(verify.status).toBe(200);
    expect(verify.body.valid).toBe(false);
    expect(verify.body.first_invalid_id).toBe(expected.first || null);
    expect(verify.body.reason).toMatch(expected.reason);
    expect(raise).toHaveBeenCalledWith(expect.objectContaining({ kind: AlertKind.AuditChainBroken, severity: 'critical' }));
    const metrics = await app.call('GET', '/metrics', { token: null });
    expect(metrics.text).toMatch(/^audit_chain_valid 0$/m);
    const findings = await app.call('GET', '/api/v1/audit/findings?kind=audit_chain_broken');
    expect(findings.body.items).toHaveLength(1);

    const offline = await exportAndVerify(app);
    expect(offline.code).toBe(1);
    expect(offline.verdict.valid).toBe(false);
    expect(offline.verdict.reason).toBeTruthy();
    if (/checkpoint/.test(String(expected.reason))) {
      // The export carries every signed checkpoint, so the offline verifier may name an earlier one
      // than /verify does (one signed at boot over the first rows): never before the edited row 2.
      expect(Number(offline.verdict.first_invalid_id)).toBeGreaterThanOrEqual(2);
      expect(Number(offline.verdict.first_invalid_id)).toBeLessThanOrEqual(Number(expected.first));
    } else if (expected.first && !/newest/.test(String(expected.reason))) {
      expect(offline.verdict.first_invalid_id).toBe(expected.first);
    }
  });
});

describe('an untouched log', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('verifies, online and offline, and keeps verifying as it grows', async () => {
    for (let i = 0; i < 3; i++) {
      const s = await app.call('POST', '/api/v1/secrets', { body: { name: `untouched_${i}`, secret_type: 'API_KEY' } });
      await app.call('GET', `/api/v1/secrets/${s.body.id}/value`);
      expect((await app.call('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
      const offline = await exportAndVerify(app);
      expect(offline.verdict).toMatchObject({ valid: true, first_invalid_id: null, partial: false });
      expect(offline.verdict.checkpoints_checked).toBeGreaterThan(0);
      expect(offline.code).toBe(0);
    }
    const metrics = await app.call('GET', '/metrics', { token: null });
    expect(metrics.text).toMatch(/^audit_chain_valid 1$/m);
  });
});

async function exportAndVerify(app: TestApp): Promise<{ code: number; verdict: ExportVerdict }> {
  const key = (await app.call('GET', '/api/v1/audit/public-key')).body.public_key_pem as string;
  const res = await app.call('GET', '/api/v1/audit/export');
  expect(res.status).toBe(200);
  const file = join(dir, `export-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, res.text);
  const out: string[] = [];
  const code = await runAuditVerify([file, '--public-key', key, '--json'], { out: (l) => out.push(l), err: () => undefined });
  return { code, verdict: JSON.parse(out[0]!) as ExportVerdict };
}
