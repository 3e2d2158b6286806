import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { allSealed } from '../support/audit-seal.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { adminToken, auditorToken, noRoleToken } from '../support/tokens.js';

/**
 * Reports through HTTP on data this test makes: a known inventory of secrets, rotations (one of
 * them failing), value and metadata reads, a few findings; then the stats, every report kind in
 * JSON, CSV and PDF, signature verification with the CLI, roles and the download audit row.
 * Every expected number below is counted from what the test did.
 */

const S = '/api/v1/secrets';
const R = '/api/v1/reports';
const DAY = 86_400_000;

// Timeline (UTC): T0 in Q1, T1 late in Q3, access review and annual in early Q4.
const T0 = new Date('2026-03-20T10:00:00.000Z');
const T1 = new Date('2026-09-29T10:00:00.000Z');
const Q4 = new Date('2026-10-02T10:00:00.000Z');

const require = createRequire(import.meta.url);
const standardFontDataUrl = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';

/** Text of every page (items joined by spaces). */
async function pdfText(buffer: Buffer): Promise<string[]> {
  const pdf = await getDocument({ data: new Uint8Array(buffer), standardFontDataUrl, verbosity: 0, isEvalSupported: false }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const content = await (await pdf.getPage(n)).getTextContent();
      pages.push(
        content.items
          .map((item) => ('str' in item ? item.str : ''))
          .join(' ')
          .replace(/\s+/g, ' '),
      );
    }
    return pages;
  } finally {
    await pdf.destroy();
  }
}

/** Records of a CSV (RFC 4180, CRLF), empty lines as empty records. */
function parseCsv(input: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') {
      quoted = true;
      any = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      any = true;
    } else if (ch === '\r' && input[i + 1] === '\n') {
      if (any || field !== '') record.push(field);
      records.push(record);
      record = [];
      field = '';
      any = false;
      i++;
    } else {
      field += ch;
      any = true;
    }
  }
  return records;
}

/** CSV blocks: title line, header, rows; keyed by title. */
function csvBlocks(csv: string): Map<string, string[][]> {
  const blocks = new Map<string, string[][]>();
  let current: string[][] | null = null;
  for (const r of parseCsv(csv)) {
    if (r.length === 0) {
      current = null;
    } else if (!current) {
      current = [];
      blocks.set(r[0]!, current);
    } else {
      current.push(r);
    }
  }
  return blocks;
}

type Doc = {
  id: string;
  kind: string;
  title: string;
  period: { from: string; to: string };
  generated_at: string;
  integrity: { sha256: string; signature: string; key_id: string };
  summary: Array<{ key: string; label: string; value: string | number }>;
  metrics: Record<string, unknown>;
  sections: Array<{ id: string; kind: string; title: string; rows?: Array<Record<string, unknown>>; points?: Array<{ label: string; value: number }> }>;
};

const section = (doc: Doc, id: string) => {
  const s = doc.sections.find((x) => x.id === id);
  if (!s) throw new Error(`no section ${id} in ${doc.kind} report`);
  return s;
};
const rowsOf = (doc: Doc, id: string) => section(doc, id).rows ?? [];

describe('reports (security, compliance, access review, annual) through HTTP', () => {
  const clock = new TestClock(T0);
  const keys = generateKeyPairSync('ed25519');
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-reports-'));
  const publicKeyFile = join(dir, 'report-signing.pub.pem');
  let app: TestApp;

  const ids: Record<string, string> = {};
  let failureReason = '';
  let firstSecurity: Doc;
  let secondSecurity: Doc;
  let soc2Stored: Doc;
  let accessReview: Doc;
  let findingIds: string[] = [];

  const moveTo = (when: Date) => clock.advance(when.getTime() - clock.now().getTime());
  const create = async (body: Record<string, unknown>) => {
    const res = await app.call('POST', `${S}/`, { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids[body.name as string] = res.body.id;
    return res.body;
  };
  const readValue = async (name: string, token = adminToken()) => expect((await app.call('GET', `${S}/${ids[name]}/value`, { token })).status).toBe(200);
  const download = async (id: string, format: 'json' | 'csv' | 'pdf', token: string = auditorToken()) => {
    const res = await fetch(`${app.url}${R}/${id}?format=${format}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return { headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const json = async (id: string) => JSON.parse((await download(id, 'json')).bytes.toString('utf8')) as Doc;
  const generate = async (body: Record<string, unknown>) => {
    const res = await app.call('POST', R, { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe('completed');
    return json(res.body.report.id);
  };

  /** Runs `report:verify` as a user would; resolves to the exit status and output. */
  const verifyCli = (file: string, ...args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--no-warnings', '--import', '@swc-node/register/esm-register', 'src/reports/cli/report-verify.cli.ts', file, ...args],
        { cwd: process.cwd(), env: { ...process.env, AUDIT_SIGNING_KEY: '' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });

  beforeAll(async () => {
    const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    app = await startTestApp({ clock, env: { AUDIT_SIGNING_KEY: privatePem, ROTATOR_ALLOWED_HOSTS: '127.0.0.1' } });

    // --- T0 (Q1): two auditors are seen with their role; three secrets are created -------------
    expect((await app.call('GET', `${S}/`, { token: auditorToken('dormant-auditor') })).status).toBe(200);
    expect((await app.call('GET', `${S}/`, { token: auditorToken('busy-auditor') })).status).toBe(200);
    await create({ name: 'old_unused', secret_type: 'API_KEY', tags: { owner: 'team-a' }, expires_at: '2027-12-31T00:00:00.000Z', rotation_interval_days: 365 });
    await create({ name: 'old_overdue', secret_type: 'DATABASE_PASSWORD', tags: { team: 'db' }, expires_at: '2027-12-31T00:00:00.000Z', rotation_interval_days: 30 });
    await create({ name: 'old_rotated', secret_type: 'JWT_SECRET', rotation_interval_days: 30 });

    // --- T1 (late Q3): seven more secrets, rotations, reads ------------------------------------
    moveTo(T1);
    const at = (days: number) => new Date(T1.getTime() + days * DAY).toISOString();
    await create({ name: 'api_expired', secret_type: 'API_KEY', tags: { owner: 'payments' }, expires_at: at(-1) });
    await create({ name: 'api_exp_5d', secret_type: 'API_KEY', tags: { owner: 'payments' }, expires_at: at(5) });
    await create({ name: 'db_exp_20d', secret_type: 'DATABASE_PASSWORD', tags: { team: 'db' }, expires_at: at(20) });
    await create({ name: 'enc_key', secret_type: 'ENCRYPTION_KEY', expires_at: at(200) });
    await create({ name: 'webhook', secret_type: 'WEBHOOK_SECRET', tags: { owner: 'web' } });
    await create({ name: 'oauth_tok', secret_type: 'OAUTH_TOKEN', value: 'oauth-token-value', tags: { owner: 'web' }, expires_at: at(365) });
    await create({
      name: 'db_failing',
      secret_type: 'DATABASE_PASSWORD',
      tags: { owner: 'db' },
      expires_at: at(365),
    });
    // The admin credential does not exist, so every attempt fails and the rotation fails for good.
    // Stored directly: the API refuses a rotator that names no admin credential.
    const stale = await connect(app.db.url);
    try {
      await stale.query('UPDATE secrets SET rotator = $1 WHERE id = $2', [
        { kind: 'postgres_role', host: '127.0.0.1', port: 1, database: 'app', role: 'app_user', admin_secret_id: 'sec_AAAAAAAAAAAAAAAA' },
        ids.db_failing,
      ]);
    } finally {
      await stale.end();
    }

    expect((await app.call('POST', `${S}/${ids.old_rotated}/rotate`)).status).toBe(200);
    expect((await app.call('POST', `${S}/${ids.webhook}/rotate`)).status).toBe(200);
    const failed = await app.call('POST', `${S}/${ids.db_failing}/rotate`);
    // One attempt in the request (202), the rest in the background until it fails for good.
    expect(failed.status).toBe(202);
    // Watched in the database: reading the history through the API would add metadata reads to
    // the access review below.
    const done = await eventually(async () => {
      const c = await connect(app.db.url);
      try {
        const { rows } = await c.query("SELECT last_error FROM secret_rotations WHERE id = $1 AND status = 'failed'", [failed.body.id]);
        return rows[0];
      } finally {
        await c.end();
      }
    });
    failureReason = done.last_error;
    expect(failureReason).toBeTruthy();

    await readValue('old_overdue');
    await readValue('old_overdue');
    await readValue('webhook');
    await readValue('api_exp_5d');
    await readValue('oauth_tok', adminToken('second-admin'));
    expect((await app.call('GET', `${S}/${ids.webhook}`, { token: auditorToken('busy-auditor') })).status).toBe(200);

    // Findings come from the access-pattern analysis (another module); two open, one resolved.
    const db = await connect(app.db.url);
    try {
      findingIds = ['fnd_test_critical_01', 'fnd_test_warning_01', 'fnd_test_resolved_1'];
      await db.query(
        `INSERT INTO security_findings (id, kind, severity, summary, actor, client_ip, secret_id, details, detected_at, status, dedupe_key) VALUES
         ($1, 'value_read_spike', 'critical', 'ops-admin read old_overdue twice in one minute', 'ops-admin', NULL, $4, '{}', $5, 'open', 'test:1'),
         ($2, 'unusual_hour', 'warning', 'second-admin read a value at an unusual hour', 'second-admin', NULL, NULL, '{}', $5, 'open', 'test:2'),
         ($3, 'new_actor', 'info', 'busy-auditor seen for the first time', 'busy-auditor', NULL, NULL, '{}', $5, 'resolved', 'test:3')`,
        [...findingIds, ids.old_overdue, T1],
      );
    } finally {
      await db.end();
    }
    clock.advance(60_000); // T1 + 1 min
  });
  afterAll(() => app?.stop());

  it('GET /secrets/stats counts exactly what was done (auditor)', async () => {
    const res = await app.call('GET', `${S}/stats`, { token: auditorToken() });
    expect(res.status).toBe(200);
    const now = clock.now();
    expect(res.body).toEqual({
      generated_at: now.toISOString(),
      total: 10,
      by_type: { API_KEY: 3, DATABASE_PASSWORD: 3, ENCRYPTION_KEY: 1, JWT_SECRET: 1, OAUTH_TOKEN: 1, WEBHOOK_SECRET: 1 },
      by_store: { local: 10 },
      by_rotation_status: { none: 7, completed: 2, failed: 1 },
      expired: 1,
      expiring_within_7_days: 1,
      expiring_within_30_days: 2,
      rotation_overdue: 1,
      rotations: { last_24h: { succeeded: 2, failed: 1 }, last_7d: { succeeded: 2, failed: 1 }, last_30d: { succeeded: 2, failed: 1 } },
      value_reads_last_24h: 5,
      oldest_rotation_age_seconds: (now.getTime() - T0.getTime()) / 1000,
      oldest_rotation: { secret_id: ids.old_overdue, secret_name: 'old_overdue', since: T0.toISOString(), age_seconds: (now.getTime() - T0.getTime()) / 1000 },
      open_security_findings: { total: 2, critical: 1, warning: 1, info: 0 },
    });
  });

  it('generates the security report with the numbers the test produced, and every deduction', async () => {
    firstSecurity = await generate({ kind: 'security' });
    const now = clock.now();
    expect(firstSecurity.period).toEqual({ from: new Date(now.getTime() - DAY).toISOString(), to: new Date(now.getTime() - 1).toISOString() });
    // 100 - expired 1x5 - overdue 1x2 - failed rotation 1x3 - expiring in 7 d 1x1 - unused 2x1
    //     - no owner/expiry 3x1 - no integrity check 5 - critical finding 10 - warning finding 3
    const expectedScore = 100 - (5 + 2 + 3 + 1 + 2 + 3 + 5 + 10 + 3);
    expect(firstSecurity.metrics).toMatchObject({
      security_score: expectedScore,
      secrets_total: 10,
      expired: 1,
      expiring_7d: 1,
      expiring_30d: 2,
      rotation_overdue: 1,
      never_rotated: 8,
      unused_90d: 2,
      without_owner: 2,
      without_expiry: 2,
      without_owner_or_expiry: 3,
      rotations_completed: 2,
      rotations_failed: 1,
      value_reads: 5,
      open_findings: 2,
      open_findings_critical: 1,
      open_findings_warning: 1,
      integrity_check_status: null,
      audit_chain_valid: true,
      previous_report_id: null,
    });
    expect(firstSecurity.summary.find((s) => s.key === 'security_score')!.value).toBe(expectedScore);
    expect((firstSecurity as Doc & { score: unknown }).score).toEqual({ value: expectedScore, max: 100 });

    const deductions = rowsOf(firstSecurity, 'score-deductions').map((d) => [d.rule, d.count, d.points]);
    expect(deductions).toEqual([
      ['expired', 1, 5],
      ['rotation_overdue', 1, 2],
      ['rotation_failed', 1, 3],
      ['expiring_7d', 1, 1],
      ['unused_90d', 2, 2],
      ['no_owner_or_expiry', 3, 3],
      ['integrity_stale', 1, 5],
      ['critical_findings', 1, 10],
      ['warning_findings', 1, 3],
    ]);
    expect(rowsOf(firstSecurity, 'score-deductions').every((d) => typeof d.reason === 'string' && d.reason.length > 0)).toBe(true);

    const names = (id: string) => rowsOf(firstSecurity, id).map((r) => r.name);
    expect(names('expired')).toEqual(['api_expired']);
    expect(names('expiring')).toEqual(['api_exp_5d', 'db_exp_20d']);
    expect(names('rotation-overdue')).toEqual(['old_overdue']);
    expect(names('unused')).toEqual(['old_rotated', 'old_unused']);
    expect(new Set(names('never-rotated'))).toEqual(new Set(['old_unused', 'old_overdue', 'api_expired', 'api_exp_5d', 'db_exp_20d', 'enc_key', 'oauth_tok', 'db_failing']));
    expect(Object.fromEntries(rowsOf(firstSecurity, 'without-owner-or-expiry').map((r) => [r.name, r.missing]))).toEqual({
      old_rotated: 'owner tag, expiry',
      enc_key: 'owner tag',
      webhook: 'expiry',
    });
    expect(rowsOf(firstSecurity, 'failed-rotations')).toEqual([
      expect.objectContaining({ secret: 'db_failing', secret_id: ids.db_failing, reason: failureReason, attempts: 5 }),
    ]);
    expect(rowsOf(firstSecurity, 'rotation-failure-reasons')).toEqual([{ reason: failureReason, count: 1 }]);
    expect(rowsOf(firstSecurity, 'rotations-in-period')).toEqual([
      { status: 'completed', trigger: 'manual', count: 2 },
      { status: 'failed', trigger: 'manual', count: 1 },
    ]);
    expect(rowsOf(firstSecurity, 'secrets-by-type-store')).toContainEqual({ type: 'API_KEY', store: 'local', count: 3 });
    expect(section(firstSecurity, 'secrets-by-type').points).toContainEqual({ label: 'DATABASE_PASSWORD', value: 3 });
    const perDay = section(firstSecurity, 'rotations-per-day').points!;
    expect(perDay).toHaveLength(30);
    expect(perDay.at(-1)).toEqual({ label: '29 Sep', value: 2 });
    expect(perDay.reduce((sum, p) => sum + p.value, 0)).toBe(2);
    expect(rowsOf(firstSecurity, 'findings').map((f) => [f.severity, f.status])).toEqual([
      ['critical', 'open'],
      ['warning', 'open'],
      ['info', 'resolved'],
    ]);
    expect(rowsOf(firstSecurity, 'audit-chain')).toContainEqual({ item: 'Chain valid', value: true });
    expect(rowsOf(firstSecurity, 'integrity')).toEqual([]);
    expect(rowsOf(firstSecurity, 'changes')).toEqual([]);
  });

  it('downloads the security report as CSV and PDF with the same figures', async () => {
    const csv = await download(firstSecurity.id, 'csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="strongroom-security-2026-09-29.csv"');
    const blocks = csvBlocks(csv.bytes.toString('utf8'));
    expect(blocks.get('Summary')).toContainEqual(['Security score (0-100)', String(firstSecurity.metrics.security_score)]);
    expect(blocks.get('Summary')).toContainEqual(['Expired secrets', '1']);
    expect(blocks.get('Expired secrets')!.slice(1).map((r) => r[0])).toEqual(['api_expired']);
    expect(blocks.get('Failed rotations')![1]).toContain(failureReason);
    expect(blocks.get('Security score: deductions')).toHaveLength(1 + 9);
    expect(blocks.get('Rotations completed per day (last 30 days)')!.at(-1)).toEqual(['29 Sep', '2']);
    for (const s of firstSecurity.sections) expect(blocks.has(s.title), s.title).toBe(true);

    const pdf = await download(firstSecurity.id, 'pdf');
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe('attachment; filename="strongroom-security-2026-09-29.pdf"');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = await pdfText(pdf.bytes);
    const all = pages.join('\n');
    expect(pages[0]).toContain('Security report');
    expect(pages[0]).toContain('29 Sep 2026, 10:01 UTC');
    expect(pages[0]).toContain(firstSecurity.integrity.sha256);
    expect(pages[0]).toContain(firstSecurity.integrity.key_id);
    expect(pages[0]).toContain(String(firstSecurity.metrics.security_score));
    for (const s of firstSecurity.sections) expect(all, s.title).toContain(s.title);
    expect(all).toContain('api_expired');
    expect(all).toContain('db_failing');
    expect(all).toContain('old_overdue');
    expect(all).toMatch(/Unused 90d .*2 1 5 2/);
    pages.forEach((text, i) => expect(text).toContain(`Page ${i + 1} of ${pages.length}`));
  });

  it('verifies the downloaded JSON with report:verify, and rejects it once one number is edited', async () => {
    const raw = (await download(firstSecurity.id, 'json')).bytes.toString('utf8');
    const file = join(dir, 'security.json');
    writeFileSync(file, raw);
    const ok = await verifyCli(file, '--public-key', publicKeyFile);
    expect(ok.out).toContain('VALID');
    expect(ok.code).toBe(0);

    const tampered = join(dir, 'security-tampered.json');
    const score = firstSecurity.metrics.security_score as number;
    expect(raw).toContain(`"security_score": ${score}`);
    writeFileSync(tampered, raw.replace(`"security_score": ${score}`, `"security_score": ${score + 30}`));
    const bad = await verifyCli(tampered, '--public-key', publicKeyFile);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('SHA-256 mismatch');

    const otherKey = join(dir, 'other.pub.pem');
    writeFileSync(otherKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect((await verifyCli(file, '--public-key', otherKey)).code).toBe(1);
    expect((await verifyCli(join(dir, 'missing.json'), '--public-key', publicKeyFile)).code).toBe(2);
    expect((await verifyCli(file)).code).toBe(2); // no key given and none configured
  }, 240_000); // five runs of the CLI, each a fresh Node process compiling on the fly

  it('GET /secrets/audit/report returns the latest stored report, or a fresh one that compares with it', async () => {
    const latest = await app.call('GET', `${S}/audit/report`, { token: auditorToken() });
    expect(latest.status).toBe(200);
    expect(latest.body.id).toBe(firstSecurity.id);
    expect(latest.body.integrity).toEqual(firstSecurity.integrity);

    // An hour later the expired key is rotated (a rotation renews an expired secret's expiry).
    clock.advance(3_600_000);
    expect((await app.call('POST', `${S}/${ids.api_expired}/rotate`)).status).toBe(200);
    clock.advance(60_000);
    const fresh = await app.call('GET', `${S}/audit/report?generate_new=true`);
    expect(fresh.status).toBe(200);
    secondSecurity = fresh.body as Doc;
    expect(secondSecurity.id).not.toBe(firstSecurity.id);
    // no expired secret now; 3 rotations completed and the failed one still within 24 h
    expect(secondSecurity.metrics).toMatchObject({
      security_score: 100 - (2 + 3 + 1 + 2 + 3 + 5 + 10 + 3),
      expired: 0,
      rotations_completed: 3,
      rotations_failed: 1,
      previous_report_id: firstSecurity.id,
    });
    const changes = Object.fromEntries(rowsOf(secondSecurity, 'changes').map((r) => [r.metric, [r.previous, r.current, r.change]]));
    expect(changes.Expired).toEqual([1, 0, -1]);
    expect(changes['Security score']).toEqual([firstSecurity.metrics.security_score, secondSecurity.metrics.security_score, 5]);
    expect(changes['Rotations completed in the period']).toEqual([2, 3, 1]);
    expect(changes['Secrets created since the previous report']).toEqual([null, 0, null]);

    const again = await app.call('GET', `${S}/audit/report?generate_new=false`, { token: auditorToken() });
    expect(again.body.id).toBe(secondSecurity.id);

    const pdf = await app.call('GET', `${S}/audit/report?format=pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');

    // stored and audited: a report.generated row for the fresh report, report.read for each request
    const db = await connect(app.db.url);
    try {
      // In chain order: an unsealed row (seq NULL) would sort last, so wait for the seal first.
      await allSealed(db);
      const rows = await db.query("SELECT action, actor FROM audit_events WHERE details->>'report_id' = $1 ORDER BY seq", [secondSecurity.id]);
      expect(rows.rows.map((r) => r.action)).toEqual(['report.generated', 'report.read', 'report.read', 'report.read']);
    } finally {
      await db.end();
    }
  });

  it('gives the current compliance summary per standard, each control with status, evidence and rule', async () => {
    const res = await app.call('GET', `${R}/compliance?standard=pci_dss`, { token: auditorToken() });
    expect(res.status).toBe(200);
    const doc = res.body as Doc;
    expect(doc.kind).toBe('compliance');
    expect(doc.period.from).toBe('2026-09-01T00:00:00.000Z');
    const controls = Object.fromEntries(rowsOf(doc, 'controls').map((c) => [c.control, c.status]));
    expect(controls).toEqual({
      '3.5': 'pass', // every secret in the local store, envelope-encrypted
      '3.6': 'warn', // no integrity check has run
      '3.7': 'pass', // keys (old_rotated JWT, enc_key) neither expired nor overdue
      '7.2.4': 'fail', // no access review yet
      '8.3': 'fail', // db_failing's latest rotation failed
      '10.2': 'pass',
      '10.3': 'pass',
      '10.4': 'fail', // an open critical finding
    });
    expect(doc.metrics).toMatchObject({
      overall_status: 'fail',
      controls_pass: 4,
      controls_warn: 1,
      controls_fail: 3,
      rotations_completed: 3,
      rotations_failed: 1,
      expired: 0,
      rotation_overdue: 1,
      latest_rotation_failed: 1,
      key_secrets: 2,
      value_reads: 5,
      open_critical_findings: 1,
      audit_chain_valid: true,
    });
    const rotation = rowsOf(doc, 'controls').find((c) => c.control === '8.3')!;
    expect(String(rotation.evidence).split('\n')).toContain('Latest rotation failed: 1');
    expect(rotation.rules).toBe('credential_rotation');
    expect(rotation.rule_text).toContain('fail: a secret is expired or its latest rotation failed');
    expect(rowsOf(doc, 'rules')).toContainEqual({ rule: 'Credential rotation', text: expect.stringContaining('warn: a secret is overdue for rotation') });
    expect(rotation.decided_by).toContain('Credential rotation: fail');

    for (const standard of ['soc2', 'gdpr', 'hipaa']) {
      const other = await app.call('GET', `${R}/compliance?standard=${standard}`);
      expect(other.status).toBe(200);
      expect(rowsOf(other.body as Doc, 'controls').length).toBeGreaterThanOrEqual(5);
    }
    const soc2 = Object.fromEntries(rowsOf((await app.call('GET', `${R}/compliance?standard=soc2`)).body as Doc, 'controls').map((c) => [c.control, c.status]));
    expect(soc2).toEqual({ 'CC6.1': 'warn', 'CC6.3': 'fail', 'CC6.6': 'fail', 'CC7.1': 'warn', 'CC7.2': 'fail' });

    const csv = await fetch(`${app.url}${R}/compliance?standard=pci_dss&format=csv`, { headers: { authorization: `Bearer ${auditorToken()}` } });
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="strongroom-pci-dss-2026-09.csv"');
    const controlsCsv = csvBlocks(await csv.text()).get('Controls')!;
    expect(controlsCsv[0]).toEqual(['Control', 'Requirement', 'Status', 'Finding', 'Evidence', 'Rule']);
    expect(controlsCsv.slice(1).map((r) => [r[0], r[2]])).toContainEqual(['8.3', 'fail']);

    const pdf = await fetch(`${app.url}${R}/compliance?standard=pci_dss`, { headers: { authorization: `Bearer ${auditorToken()}`, accept: 'application/pdf' } });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const text = (await pdfText(Buffer.from(await pdf.arrayBuffer()))).join('\n');
    expect(text).toContain('PCI DSS v4.0 compliance summary');
    for (const title of ['Controls', 'Measured evidence', 'Controls by status', 'Rules']) expect(text).toContain(title);
    expect(text).toContain('Key management');
    expect(text).toContain('FAIL');

    // What the auditor was handed is stored under a stable id: asking again, or POSTing the same
    // standard and period within the hour, answers the same report.
    const handed = (await app.call('GET', `${R}/compliance?standard=soc2`, { token: auditorToken() })).body as Doc;
    expect(handed.id).toBe(((await app.call('GET', `${R}/compliance?standard=soc2`)).body as Doc).id);
    expect((await app.call('GET', `${R}/${handed.id}`, { token: auditorToken() })).status).toBe(200);
    clock.advance(60_000);
    const again = await app.call('POST', R, { body: { kind: 'compliance', standard: 'soc2', from: '2026-09-01', to: '2026-09-30' } });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body).toMatchObject({ deduplicated: true, report: { id: handed.id } });
    soc2Stored = await json(handed.id);
    expect(soc2Stored.period.from).toBe('2026-09-01T00:00:00.000Z');
    for (const format of ['csv', 'pdf'] as const) expect((await download(soc2Stored.id, format)).bytes.length).toBeGreaterThan(500);
  });

  it('reviews access for the previous quarter: per actor, per secret, and actors who never used their access', async () => {
    moveTo(Q4);
    accessReview = await generate({ kind: 'access_review' });
    expect(accessReview.period).toEqual({ from: '2026-07-01T00:00:00.000Z', to: '2026-09-30T23:59:59.999Z' });
    expect(accessReview.metrics).toMatchObject({
      actors: 3,
      secrets_accessed: 9,
      value_reads: 5,
      metadata_reads: 1,
      changes: 10, // 7 created at T1 + 3 rotated
      dormant_actors: 1,
    });
    const t1 = T1.toISOString();
    const lastRotation = new Date(T1.getTime() + 60_000 + 3_600_000).toISOString();
    const byActor = Object.fromEntries(rowsOf(accessReview, 'by-actor').map((r) => [r.actor, r]));
    expect(byActor['ops-admin']).toMatchObject({ roles: 'admin', secrets: 9, value_reads: 4, metadata_reads: 0, changes: 10, first_access: t1, last_access: lastRotation });
    expect(byActor['second-admin']).toMatchObject({ secrets: 1, value_reads: 1, metadata_reads: 0, changes: 0, first_access: t1, last_access: t1 });
    expect(byActor['busy-auditor']).toMatchObject({ roles: 'auditor', secrets: 1, value_reads: 0, metadata_reads: 1, changes: 0 });
    const webhook = rowsOf(accessReview, 'by-secret').find((r) => r.secret === 'webhook')!;
    expect(webhook).toMatchObject({ secret_id: ids.webhook, actors: 2, value_reads: 1, metadata_reads: 1, changes: 2 });
    const pairs = rowsOf(accessReview, 'by-actor-and-secret').filter((r) => r.secret === 'old_overdue');
    expect(pairs).toEqual([expect.objectContaining({ actor: 'ops-admin', value_reads: 2, changes: 0, first_access: t1, last_access: t1 })]);
    expect(rowsOf(accessReview, 'dormant-actors')).toEqual([{ actor: 'dormant-auditor', roles: 'auditor', last_seen: T0.toISOString() }]);
    expect(section(accessReview, 'accesses-by-actor').points).toContainEqual({ label: 'ops-admin', value: 14 });

    const csv = csvBlocks((await download(accessReview.id, 'csv')).bytes.toString('utf8'));
    expect(csv.get('Actors with access who did not use it')!.slice(1)).toEqual([['dormant-auditor', 'auditor', T0.toISOString()]]);
    const pages = await pdfText((await download(accessReview.id, 'pdf')).bytes);
    const text = pages.join('\n');
    for (const s of accessReview.sections) expect(text).toContain(s.title);
    expect(text).toContain('dormant-auditor');
    expect(text).toContain('1 Jul 2026 \u2013 30 Sep 2026');
    expect(text).toContain('no user directory');
  });

  it('puts the year’s security scores and compliance summaries side by side', async () => {
    clock.advance(60_000);
    const annual = await generate({ kind: 'annual', from: '2026-01-01', to: '2026-12-31' });
    expect(annual.period).toEqual({ from: '2026-01-01T00:00:00.000Z', to: new Date(clock.now().getTime() - 1).toISOString() });
    const s1 = firstSecurity.metrics.security_score as number;
    const s2 = secondSecurity.metrics.security_score as number;
    expect(annual.metrics).toMatchObject({
      security_reports: 2,
      average_security_score: (s1 + s2) / 2,
      lowest_security_score: Math.min(s1, s2),
      highest_security_score: Math.max(s1, s2),
      latest_security_score: s2,
      compliance_summaries: 4, // one per standard, stored when the auditor asked for it
      months_with_failed_controls: 1,
    });
    const months = rowsOf(annual, 'year-side-by-side');
    expect(months.map((m) => m.month)).toEqual(['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10']);
    const sep = months.find((m) => m.month === '2026-09')!;
    const m = soc2Stored.metrics;
    expect(sep).toMatchObject({
      security_reports: 2,
      average_score: (s1 + s2) / 2,
      lowest_score: Math.min(s1, s2),
      highest_score: Math.max(s1, s2),
      soc2: `${m.overall_status} (${m.controls_pass}/${m.controls_warn}/${m.controls_fail})`,
      pci_dss: 'fail (4/1/3)',
    });
    expect(rowsOf(annual, 'compliance-summaries')).toHaveLength(4);
    expect(rowsOf(annual, 'compliance-summaries')).toContainEqual(expect.objectContaining({ month: '2026-09', standard: 'soc2', report_id: soc2Stored.id }));
    expect(section(annual, 'score-by-month').points).toContainEqual({ label: 'Sep 2026', value: (s1 + s2) / 2 });

    const text = (await pdfText((await download(annual.id, 'pdf')).bytes)).join('\n');
    for (const s of annual.sections) expect(text).toContain(s.title);
    expect(text).toContain(String((s1 + s2) / 2));
    const csv = csvBlocks((await download(annual.id, 'csv')).bytes.toString('utf8'));
    expect(csv.get('Security scores and compliance by month')!.find((r) => r[0] === '2026-09')![2]).toBe(String((s1 + s2) / 2));

    // every kind verifies offline
    for (const doc of [soc2Stored, accessReview, annual]) {
      const file = join(dir, `${doc.id}.json`);
      writeFileSync(file, (await download(doc.id, 'json')).bytes);
      const result = await verifyCli(file, '--public-key', publicKeyFile);
      expect(result.code, result.out).toBe(0);
    }
  }, 180_000);

  it('lists stored reports, newest first, with kind, period, generated_at and sha256, paginated', async () => {
    const seen: Array<{ id: string; kind: string; sha256: string; period: { from: string; to: string }; generated_at: string }> = [];
    let cursor: string | null = null;
    do {
      const page = await app.call('GET', `${R}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: auditorToken() });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor);
    // Newest first; the compliance summaries and the second security report share a clock time.
    expect(seen.map((r) => r.kind).slice(0, 2)).toEqual(['annual', 'access_review']);
    expect(seen.map((r) => r.kind).slice(2).sort()).toEqual(['compliance', 'compliance', 'compliance', 'compliance', 'security', 'security']);
    expect(seen.at(-1)!.id).toBe(firstSecurity.id);
    const times = seen.map((r) => Date.parse(r.generated_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(seen.find((r) => r.id === firstSecurity.id)).toMatchObject({ sha256: firstSecurity.integrity.sha256, period: firstSecurity.period, generated_at: firstSecurity.generated_at });
    const only = await app.call('GET', `${R}?kind=security`);
    expect(only.body.items.map((r: { id: string }) => r.id)).toEqual([secondSecurity.id, firstSecurity.id]);
    expect((await app.call('GET', `${R}?cursor=nonsense`)).status).toBe(400);
  });

  it('lets an auditor download, refuses a token without role (403) or none (401), and audits downloads', async () => {
    const res = await app.call('GET', `${R}/${accessReview.id}?format=pdf`, { token: auditorToken('external-auditor') });
    expect(res.status).toBe(200);
    expect((await app.call('GET', `${R}/${accessReview.id}`, { token: noRoleToken() })).status).toBe(403);
    expect((await app.call('GET', `${R}/${accessReview.id}`, { token: null })).status).toBe(401);
    expect((await app.call('GET', `${S}/stats`, { token: noRoleToken() })).status).toBe(403);
    expect((await app.call('GET', `${R}/compliance?standard=soc2`, { token: null })).status).toBe(401);
    // auditors may ask for a kind's scheduled period (deduplicated), not for custom periods
    expect((await app.call('POST', R, { body: { kind: 'security', from: '2026-09-01' }, token: auditorToken() })).status).toBe(403);
    expect((await app.call('POST', R, { body: { kind: 'access_review', background: true }, token: auditorToken() })).status).toBe(403);
    const scheduled = await app.call('POST', R, { body: { kind: 'access_review' }, token: auditorToken() });
    expect(scheduled.status).toBe(201);
    expect(scheduled.body).toMatchObject({ status: 'completed', deduplicated: true, report: { id: accessReview.id } });
    expect((await app.call('GET', `${R}/rpt_doesnotexist000000`)).status).toBe(404);
    expect((await app.call('GET', `${R}/${accessReview.id}?format=docx`)).status).toBe(400);
    expect((await app.call('POST', R, { body: { kind: 'compliance' } })).status).toBe(400);
    expect((await app.call('POST', R, { body: { kind: 'security', from: '2026-10-02', to: '2026-09-01' } })).status).toBe(400);

    // Accept header instead of ?format=
    const viaAccept = await fetch(`${app.url}${R}/${accessReview.id}`, { headers: { authorization: `Bearer ${auditorToken()}`, accept: 'text/csv' } });
    expect(viaAccept.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(viaAccept.headers.get('content-disposition')).toBe('attachment; filename="strongroom-access-review-2026-q3.csv"');

    const db = await connect(app.db.url);
    try {
      const rows = await db.query(
        "SELECT actor, roles, outcome, details FROM audit_events WHERE action = 'report.downloaded' AND actor = 'external-auditor' ORDER BY seq",
      );
      expect(rows.rows).toEqual([
        expect.objectContaining({ roles: ['auditor'], outcome: 'success', details: expect.objectContaining({ report_id: accessReview.id, kind: 'access_review', format: 'pdf', route: '/api/v1/reports/:id' }) }),
      ]);
      const denied = await db.query("SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.forbidden' AND actor = 'nobody'");
      expect(denied.rows[0].n).toBe(2);
    } finally {
      await db.end();
    }
  });

  it('generates in the background when asked, returning a task whose result names the report', async () => {
    // The previous quarter is stored already: answered from storage, nothing queued.
    const stored = await app.call('POST', R, { body: { kind: 'access_review', background: true } });
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ status: 'completed', deduplicated: true, report: { id: accessReview.id } });

    const res = await app.call('POST', R, { body: { kind: 'access_review', from: '2026-04-01', to: '2026-06-30', background: true } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'pending', task_id: expect.stringMatching(/^task_/) });
    const done = await eventually(async () => {
      const s = await app.call('GET', res.body.status_url);
      return s.body.status === 'completed' ? s.body : null;
    });
    expect(done.result).toMatchObject({ kind: 'access_review', report_id: expect.stringMatching(/^rpt_/) });
    const doc = await json(done.result.report_id as string);
    expect(doc.period).toEqual({ from: '2026-04-01T00:00:00.000Z', to: '2026-06-30T23:59:59.999Z' });
    expect(doc.metrics).toMatchObject({ value_reads: 0, changes: 0 });
    // and once stored, the same period is served from storage
    const again = await app.call('POST', R, { body: { kind: 'access_review', from: '2026-04-01', to: '2026-06-30', background: true } });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ deduplicated: true, report: { id: doc.id } });
  });

  it('registers the four scheduled report jobs; the monthly one stores a summary per standard', async () => {
    const jobs = await app.call('GET', '/api/v1/jobs');
    const names = (jobs.body.jobs as Array<{ name: string }>).map((j) => j.name);
    for (const name of ['generate_security_report', 'generate_compliance_report', 'generate_access_review', 'generate_annual_assessment']) {
      expect(names).toContain(name);
    }
    const run = await app.call('POST', '/api/v1/jobs/generate_compliance_report/run');
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ status: 'succeeded', counts: { reports: 4, errors: 0 } });
    const stored = await app.call('GET', `${R}?kind=compliance&limit=10`);
    const september = (stored.body.items as Array<{ standard: string; period: { from: string; to: string }; generated_by: string }>).filter(
      (r) => r.generated_by === 'system:generate_compliance_report',
    );
    expect(september.map((r) => r.standard).sort()).toEqual(['gdpr', 'hipaa', 'pci_dss', 'soc2']);
    expect(september.every((r) => r.period.from === '2026-09-01T00:00:00.000Z' && r.period.to === '2026-09-30T23:59:59.999Z')).toBe(true);

    const security = await app.call('POST', '/api/v1/jobs/generate_security_report/run');
    expect(security.body).toMatchObject({ status: 'succeeded', counts: { reports: 1, security_score: expect.any(Number) } });
  });
});
