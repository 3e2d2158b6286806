import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { AuditAction } from '../../src/audit-log/audit-catalogue.js';
import { ChainVerifier } from '../../src/audit/audit-chain.js';
import { AuditLog } from '../../src/audit-log/audit-log.service.js';
import { walkChain } from '../../src/audit/chain-walk.js';
import { runAuditVerify } from '../../src/audit/cli/audit-verify.js';
import type { ExportVerdict } from '../../src/audit/export-verifier.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { allSealed } from '../support/audit-seal.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { adminToken, auditorToken, hsToken, noRoleToken } from '../support/tokens.js';

const A = '/api/v1/audit';
const S = '/api/v1/secrets';
const run = promisify(execFile);

/** The verifier CLI from source (npm run audit:verify runs its compiled copy in dist/). */
const VERIFY_CLI = ['--no-warnings', '--import', '@swc-node/register/esm-register', 'src/audit/cli/audit-verify.cli.ts'];

describe('audit log API', () => {
  let app: TestApp;
  let db: pg.Client;
  const dir = mkdtempSync(join(tmpdir(), 'audit-e2e-'));
  beforeAll(async () => {
    // The concurrency test sends many unauthenticated requests from one address.
    app = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '100000' } });
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await app.call('POST', S, { body: { name, secret_type: 'API_KEY', ...extra } });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].n);

  it('lists events newest first with filters and keyset pagination; reading is itself audited', async () => {
    const s = await create('events_a');
    await app.call('GET', `${S}/${s.id}/value`, { token: adminToken('reader-1') });
    await app.call('GET', `${S}/${s.id}/value`, { token: adminToken('reader-1') });
    await app.call('GET', `${S}/${s.id}/value`, { token: null });

    const all = await app.call('GET', `${A}/events`, { token: auditorToken() });
    expect(all.status).toBe(200);
    const seqs = all.body.items.map((e: { seq: string }) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(all.body.items[0]).toMatchObject({ action: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const reads = await app.call('GET', `${A}/events?actor=reader-1&action=secret.value_read&secret_id=${s.id}&outcome=success`);
    expect(reads.body.items).toHaveLength(2);
    expect(reads.body.items.every((e: { actor: string; secret_name: string }) => e.actor === 'reader-1' && e.secret_name === 'events_a')).toBe(true);
    const denied = await app.call('GET', `${A}/events?outcome=denied&secret_id=${s.id}`);
    expect(denied.body.items.map((e: { action: string }) => e.action)).toEqual(['auth.denied']);

    const first = await app.call('GET', `${A}/events?limit=2`);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next_cursor).toBe(first.body.items[1].seq);
    const second = await app.call('GET', `${A}/events?limit=2&cursor=${first.body.next_cursor}`);
    expect(Number(second.body.items[0].seq)).toBe(Number(first.body.items[1].seq) - 1);

    const future = await app.call('GET', `${A}/events?from=2999-01-01T00:00:00Z`);
    expect(future.body).toEqual({ items: [], next_cursor: null });
    const past = await app.call('GET', `${A}/events?to=2000-01-01T00:00:00Z`);
    expect(past.body.items).toEqual([]);
    expect((await app.call('GET', `${A}/events?outcome=maybe`)).status).toBe(400);
    expect((await app.call('GET', `${A}/events?cursor=abc`)).status).toBe(400);
    expect((await app.call('GET', `${A}/events`, { token: noRoleToken() })).status).toBe(403);

    const audited = await app.call('GET', `${A}/events?action=audit.events_read&actor=compliance-officer`);
    expect(audited.body.items.length).toBeGreaterThanOrEqual(1);
    expect(audited.body.items[0].details).toMatchObject({ method: 'GET', route: '/api/v1/audit/events' });
  });

  it('publishes the Ed25519 public key to admins and auditors', async () => {
    const res = await app.call('GET', `${A}/public-key`, { token: auditorToken() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ algorithm: 'Ed25519', key_id: expect.stringMatching(/^ed25519:[0-9a-f]{32}$/), public_key_pem: expect.stringContaining('BEGIN PUBLIC KEY') });
    expect(res.text).not.toContain('PRIVATE');
  });

  it('writes 200 concurrent requests into one gapless chain that verifies', async () => {
    const s = await create('concurrent_target');
    const before = await count('SELECT count(*) AS n FROM audit_events');
    const requests = Array.from({ length: 200 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return app.call('GET', `${S}/${s.id}/value`);
        case 1:
          return app.call('POST', S, { body: { name: `concurrent_${i}`, secret_type: 'JWT_SECRET' } });
        case 2:
          return app.call('GET', `${S}/${s.id}`, { token: auditorToken(`auditor-${i}`) });
        case 3:
          return app.call('GET', `${S}/${s.id}/value`, { token: null });
        default:
          return app.call('PUT', `${S}/${s.id}/value`, { body: { value: `v-${i}-${'x'.repeat(20)}` } });
      }
    });
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(statuses.filter((c) => c >= 500)).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM audit_events')).toBe(before + 200);
    await allSealed(db);
    expect(await count('SELECT max(seq) - count(*) AS n FROM audit_events')).toBe(0);
    const verify = await app.call('GET', `${A}/verify`);
    expect(verify.body).toMatchObject({ valid: true, first_invalid_id: null, reason: null });
    expect(verify.body.checked).toBe(before + 200);
  });

  it('audits odd inputs (oversized path parameter; a token subject with NUL and lone surrogates, refused) and still verifies', async () => {
    const long = await app.call('GET', `${S}/sec_${'A'.repeat(60)}/value`, { token: null });
    expect(long.status).toBe(401);
    // A sub that text columns cannot hold as it is (NUL, lone surrogates) is refused, not mangled:
    // stored with U+FFFD it would name (and a lockout would match) another subject.
    const odd = await app.call('GET', `${S}/types`, { token: hsToken({ sub: 'odd\u0000\ud800sub\udc00', roles: ['admin'] }) });
    expect(odd.status).toBe(401);
    await allSealed(db);
    const rows = await db.query("SELECT actor, secret_id FROM audit_events WHERE request_id IN ($1, $2) ORDER BY audit_events.seq", [
      long.headers.get('x-request-id'),
      odd.headers.get('x-request-id'),
    ]);
    expect(rows.rows).toEqual([
      { actor: 'anonymous', secret_id: `sec_${'A'.repeat(36)}` },
      { actor: 'anonymous', secret_id: null },
    ]);
    expect((await app.call('GET', `${A}/verify`)).body.valid).toBe(true);
  });

  it('judges rows with tricky text the same way on the fast path (PostgreSQL-rendered) as ChainVerifier', async () => {
    const audit = app.app.get(AuditLog);
    const tricky = ['quote " backslash \\ slash /', 'tab\tnewline\ncr\r\u0001\u001f\u007f', 'é ß 中文 😀 \u2028\u2029', '', 'null', '{"json":1}'];
    for (const [i, t] of tricky.entries()) {
      await audit.record({
        action: AuditAction.SecretRead,
        outcome: 'success',
        actor: `tricky ${t}`,
        roles: ['admin', `r${t}`],
        secretName: t,
        userAgent: t,
        requestId: `tricky-${i}`,
        details: { [`key ${t}`]: t, b: 1.5, a: -0, z: 1e21, B: null, é: true },
      });
    }
    await allSealed(db);
    const head = (await db.query('SELECT max(seq)::text AS n FROM audit_events')).rows[0].n as string;
    const chain = new ChainVerifier();
    const walked = await walkChain(app.app.get(DataSource), chain, '1', head);
    expect(chain.verdict()).toMatchObject({ valid: true, checked: Number(head) });
    expect(walked.rejudged).toBe(0);
    // A changed row fails the fast way and is named by ChainVerifier.
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    try {
      const victim = (await db.query("SELECT seq::text AS seq FROM audit_events WHERE request_id = 'tricky-2'")).rows[0].seq as string;
      await db.query("UPDATE audit_events SET user_agent = user_agent || ' ' WHERE seq = $1", [victim]);
      const again = new ChainVerifier();
      expect((await walkChain(app.app.get(DataSource), again, '1', head)).rejudged).toBe(1);
      expect(again.verdict()).toMatchObject({ valid: false, first_invalid_id: victim });
      await db.query("UPDATE audit_events SET user_agent = rtrim(user_agent, ' ') WHERE seq = $1", [victim]);
    } finally {
      await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
    expect((await app.call('GET', `${A}/verify`)).body.valid).toBe(true);
  });

  it('never writes secret values into audit rows (canaries)', async () => {
    const canary = (n: number) => `CANARY${n}xQ7${'z'.repeat(24)}`;
    const s = await create('canary_secret', { value: canary(1), description: 'holds a canary value' });
    await app.call('GET', `${S}/${s.id}/value`);
    await app.call('PUT', `${S}/${s.id}/value`, { body: { value: canary(2) } });
    await app.call('GET', `${S}/${s.id}/value?version=1`);
    await app.call('POST', `${S}/bulk`, { body: { secrets: [{ name: 'canary_bulk', secret_type: 'API_KEY', value: canary(3) }] } });
    // Refused inputs carrying a value: bad value for the type, unknown field, malformed JSON.
    await app.call('POST', S, { body: { name: 'canary_bad', secret_type: 'ENCRYPTION_KEY', value: canary(4) } });
    await app.call('POST', S, { body: { name: 'canary_extra', secret_type: 'API_KEY', value: canary(5), surprise: canary(6) } });
    await app.call('PUT', `${S}/${s.id}/value`, { body: `{"value": "${canary(7)}"`, headers: { 'content-type': 'application/json' } });
    await app.call('PUT', `${S}/${s.id}/value`, { body: { value: canary(8) }, token: null });
    await app.call('POST', `${S}/${s.id}/rotate`, { body: {} });

    expect(await count("SELECT count(*) AS n FROM audit_events WHERE audit_events::text LIKE '%CANARY%'")).toBe(0);
    const exported = await app.call('GET', `${A}/export`);
    expect(exported.text).not.toContain('CANARY');
    const csv = await app.call('GET', `${A}/export?format=csv`);
    expect(csv.text).not.toContain('CANARY');
    const events = await app.call('GET', `${A}/events?limit=500`);
    expect(events.text).not.toContain('CANARY');
  });

  it('fails closed: when audit rows cannot be written, values are not served and changes are not made', async () => {
    const s = await create('fail_closed', { value: 'fail-closed-value-0123456789' });
    await db.query(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$`);
    await db.query('CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()');
    try {
      const read = await app.call('GET', `${S}/${s.id}/value`);
      expect(read.status).toBe(503);
      expect(read.body).toMatchObject({ statusCode: 503, code: 'audit_unavailable', requestId: expect.any(String) });
      expect(read.text).not.toContain('fail-closed-value');
      expect(read.body).not.toHaveProperty('value');

      const created = await app.call('POST', S, { body: { name: 'never_created', secret_type: 'API_KEY' } });
      expect(created.status).toBe(503);
      expect(await count("SELECT count(*) AS n FROM secrets WHERE name = 'never_created'")).toBe(0);

      const changed = await app.call('PUT', `${S}/${s.id}/value`, { body: { value: 'should-not-be-stored-01234' } });
      expect(changed.status).toBe(503);
      expect(await count('SELECT count(*) AS n FROM secret_versions WHERE secret_id = $1', [s.id])).toBe(1);

      expect((await app.call('GET', `${A}/events`)).status).toBe(503);
    } finally {
      await db.query('DROP TRIGGER test_refuse_audit ON audit_events');
      await db.query('DROP FUNCTION test_refuse_audit()');
    }
    const again = await app.call('GET', `${S}/${s.id}/value`);
    expect(again.status).toBe(200);
    expect(again.body.value).toBe('fail-closed-value-0123456789');
    expect((await app.call('GET', `${A}/verify`)).body.valid).toBe(true);
  });

  it('streams a CSV export, one row per event, with formula-looking cells neutralised', async () => {
    await app.call('GET', `${S}/sec_AAAAAAAAAAAAAAAA`, { token: null, headers: { 'user-agent': '=HYPERLINK("http://evil.example","x")' } });
    await allSealed(db);
    const total = await count('SELECT count(*) AS n FROM audit_events');
    const res = await app.call('GET', `${A}/export?format=csv`, { token: auditorToken() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="strongroom-audit-.*\.csv"/);
    const lines = res.text.trimEnd().split('\n');
    expect(lines[0]).toBe('seq,occurred_at,actor,roles,action,outcome,secret_id,secret_name,request_id,client_ip,user_agent,details,prev_hash,hash');
    // One record per event (quoted cells may hold line breaks, so count record starts).
    expect(res.text.match(/^\d+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/gm)).toHaveLength(total);
    expect(lines[1]).toMatch(/^1,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/);
    expect(res.text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(res.text).not.toMatch(/,=HYPERLINK/);
    // The export itself is audited (after the range was fixed, so it is not in this file).
    const exported = await app.call('GET', `${A}/events?action=audit.exported&limit=1`);
    expect(exported.body.items[0]).toMatchObject({ actor: 'compliance-officer', details: { format: 'csv', last_seq: String(total) } });
  });

  it('exports JSON Lines that the offline verifier (npm run audit:verify) accepts, and rejects once edited', async () => {
    const key = (await app.call('GET', `${A}/public-key`)).body.public_key_pem as string;
    const res = await app.call('GET', `${A}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'export', format: 'strongroom.audit.export.v1', complete: true, first_seq: '1' });
    expect(lines.at(-1)).toMatchObject({ type: 'end' });
    const events = lines.filter((l) => l.type === 'event');
    const checkpoints = lines.filter((l) => l.type === 'checkpoint');
    expect(events.length).toBe(lines.at(-1).events);
    expect(checkpoints.at(-1).head_seq).toBe(events.at(-1).seq);

    const file = join(dir, 'export.jsonl');
    writeFileSync(file, res.text);
    const keyFile = join(dir, 'audit-public.pem');
    writeFileSync(keyFile, key);

    // As a process, as an auditor would run it (test/cli.e2e.spec.ts runs the built one).
    const ok = await run(process.execPath, [...VERIFY_CLI, file, '--public-key', keyFile], { cwd: process.cwd() });
    expect(ok.stdout).toMatch(/^VALID: \d+ rows chain correctly/);

    // The key also works as PEM text and as the base64 of the PEM.
    for (const given of [key, Buffer.from(key).toString('base64')]) {
      const out: string[] = [];
      expect(await runAuditVerify([file, '--public-key', given, '--json'], { out: (l) => out.push(l), err: () => undefined })).toBe(0);
      expect((JSON.parse(out[0]!) as ExportVerdict).checked).toBe(events.length);
    }

    // Edit one row in the file: exit code 1, and the row is named.
    const victim = events[Math.floor(events.length / 2)];
    const edited = res.text.replace(JSON.stringify(victim.request_id), JSON.stringify('forged-request-id'));
    expect(edited).not.toBe(res.text);
    writeFileSync(file, edited);
    const bad = await run(process.execPath, [...VERIFY_CLI, file, '--public-key', keyFile]).catch((e: { code: number; stdout: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stdout: string }).stdout).toContain(`first bad row: seq ${victim.seq}`);

    // Drop the newest rows from the file: caught by the signed checkpoint.
    const truncated = res.text
      .trimEnd()
      .split('\n')
      .filter((l) => !(JSON.parse(l).type === 'event' && Number(JSON.parse(l).seq) > Number(events.at(-1).seq) - 2))
      .map((l) => (JSON.parse(l).type === 'end' ? JSON.stringify({ ...JSON.parse(l), events: events.length - 2 }) : l))
      .join('\n');
    writeFileSync(file, truncated + '\n');
    const out: string[] = [];
    expect(await runAuditVerify([file, '--public-key', keyFile, '--json'], { out: (l) => out.push(l), err: () => undefined })).toBe(1);
    expect(JSON.parse(out[0]!).reason).toMatch(/rows missing at the end/);

    // Usage errors: exit code 2.
    const usage = await run(process.execPath, [...VERIFY_CLI, file]).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
    expect((usage as { stderr: string }).stderr).toMatch(/--public-key is required/);
    const errs: string[] = [];
    expect(await runAuditVerify([file, '--public-key', 'not a key'], { out: () => undefined, err: (l) => errs.push(l) })).toBe(2);
    expect(await runAuditVerify([join(dir, 'missing.jsonl'), '--public-key', keyFile], { out: () => undefined, err: (l) => errs.push(l) })).toBe(2);
    expect(readFileSync(keyFile, 'utf8')).toContain('PUBLIC KEY');
  }, 120_000);

  it('exports a time range as a contiguous piece of the chain, verifiable with --allow-partial', async () => {
    for (let i = 0; i < 4; i++) await app.call('GET', `${S}/types`);
    const all = (await app.call('GET', `${A}/events?limit=500`)).body.items as { seq: string; occurred_at: string }[];
    const mid = all[Math.floor(all.length / 2)]!;
    const res = await app.call('GET', `${A}/export?from=${encodeURIComponent(mid.occurred_at)}`);
    const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ complete: false, from: mid.occurred_at });
    const file = join(dir, 'partial.jsonl');
    writeFileSync(file, res.text);
    const key = (await app.call('GET', `${A}/public-key`)).body.public_key_pem as string;
    const out: string[] = [];
    expect(await runAuditVerify([file, '--public-key', key, '--json'], { out: (l) => out.push(l), err: () => undefined })).toBe(1);
    expect(JSON.parse(out[0]!).reason).toMatch(/--allow-partial/);
    expect(await runAuditVerify([file, '--public-key', key, '--allow-partial', '--json'], { out: (l) => out.push(l), err: () => undefined })).toBe(0);
    expect(JSON.parse(out[1]!)).toMatchObject({ valid: true, partial: true });
    expect((await app.call('GET', `${A}/export?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z`)).status).toBe(400);
    expect((await app.call('GET', `${A}/export?format=xml`)).status).toBe(400);
  });
});

describe('audit retention', () => {
  let app: TestApp;
  let db: pg.Client;
  const clock = new TestClock(new Date('2026-01-01T12:00:00.000Z'));
  beforeAll(async () => {
    app = await startTestApp({ clock, env: { AUDIT_RETENTION_DAYS: '30' } });
    db = await connect(app.db.url);
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
  });

  it('prunes rows past AUDIT_RETENTION_DAYS as a prefix, recording the cut so the rest still verifies', async () => {
    const old = await app.call('POST', S, { body: { name: 'retention_old', secret_type: 'API_KEY' } });
    for (let i = 0; i < 4; i++) await app.call('GET', `${S}/${old.body.id}/value`);
    await allSealed(db);
    const oldRows = await db.query('SELECT max(seq)::int AS n FROM audit_events');
    clock.advanceDays(40);
    await app.call('GET', `${S}/${old.body.id}/value`);
    await app.call('GET', `${S}/${old.body.id}/value`, { token: null });

    const job = await app.call('POST', '/api/v1/jobs/audit_secrets_access/run');
    expect(job.status).toBe(201);
    expect(job.body).toMatchObject({ status: 'succeeded', counts: { audit_rows_pruned: oldRows.rows[0].n, errors: 0 } });
    const left = await db.query('SELECT min(seq)::int AS first, count(*)::int AS n FROM audit_events');
    expect(left.rows[0].first).toBe(oldRows.rows[0].n + 1);
    const cut = await db.query("SELECT first_seq::int AS first_seq, first_prev_hash FROM audit_checkpoints WHERE kind = 'prune'");
    expect(cut.rows).toEqual([{ first_seq: oldRows.rows[0].n + 1, first_prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const pruned = await app.call('GET', `${A}/events?action=audit.pruned`);
    expect(pruned.body.items[0].details).toMatchObject({ deleted: oldRows.rows[0].n, retention_days: 30 });

    expect((await app.call('GET', `${A}/verify`)).body).toMatchObject({ valid: true, first_invalid_id: null });
    const key = (await app.call('GET', `${A}/public-key`)).body.public_key_pem as string;
    const dir = mkdtempSync(join(tmpdir(), 'audit-retention-'));
    try {
      const file = join(dir, 'after-prune.jsonl');
      writeFileSync(file, (await app.call('GET', `${A}/export`)).text);
      const out: string[] = [];
      expect(await runAuditVerify([file, '--public-key', key, '--json'], { out: (l) => out.push(l), err: () => undefined })).toBe(0);

      // Deleting more of the oldest rows (without a signed cut) is still caught.
      await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      await db.query('DELETE FROM audit_events WHERE seq = $1', [oldRows.rows[0].n + 1]);
      await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      const verify = await app.call('GET', `${A}/verify`);
      expect(verify.body).toMatchObject({ valid: false, first_invalid_id: String(oldRows.rows[0].n + 2) });
      writeFileSync(file, (await app.call('GET', `${A}/export`)).text);
      expect(await runAuditVerify([file, '--public-key', key], { out: () => undefined, err: () => undefined })).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses DELETE on audit_events outside the retention transaction', async () => {
    await expect(db.query('DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)')).rejects.toThrow(/append-only/);
    await expect(db.query("UPDATE audit_events SET actor = 'x' WHERE seq = (SELECT max(seq) FROM audit_events)")).rejects.toThrow(/append-only/);
  });
});
