import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachedReportJson } from '../../src/reports/render/pdf-attachment.js';
import { parsePublicKey, verifyReport } from '../../src/reports/report-integrity.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { connect } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { auditorToken } from '../support/tokens.js';

/**
 * Every report kind in every format, checked from the files themselves: the PDF's fonts are
 * embedded and its text (poppler's pdftotext) has a Polish and a CJK name exactly and no evidence
 * word split across lines; it is tagged and PDF/A; its attached JSON verifies with report:verify;
 * the XLSX has one sheet per section with typed dates (read back with exceljs); each CSV in the
 * ZIP is one table. Needs poppler-utils (pdftotext, pdfinfo, pdffonts), installed by .ci/run.
 */

const S = '/api/v1/secrets';
const R = '/api/v1/reports';
const T0 = new Date('2026-09-20T10:00:00.000Z');
const OWNER = 'Łukasz Żółć / 张伟';
const run = promisify(execFile);

type Doc = {
  id: string;
  kind: string;
  standard?: string;
  period: { from: string; to: string };
  sections: Array<{ id: string; kind: string; title: string; columns?: Array<{ key: string; label: string }>; rows?: Array<Record<string, unknown>> }>;
};

describe('report formats an auditor can use as they are', () => {
  const clock = new TestClock(T0);
  const keys = generateKeyPairSync('ed25519');
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-report-formats-'));
  const publicKeyFile = join(dir, 'report-signing.pub.pem');
  let app: TestApp;
  const docs: Doc[] = [];
  const ids: Record<string, string> = {};

  const download = async (id: string, format: string) => {
    const res = await fetch(`${app.url}${R}/${id}?format=${format}`, { headers: { authorization: `Bearer ${auditorToken()}` } });
    expect(res.status).toBe(200);
    return { headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    app = await startTestApp({ clock, env: { AUDIT_SIGNING_KEY: privatePem } });
    const create = async (body: Record<string, unknown>) => {
      const res = await app.call('POST', `${S}/`, { body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[body.name as string] = res.body.id;
    };
    await create({ name: 'payments_api', secret_type: 'API_KEY', tags: { owner: OWNER }, expires_at: '2026-09-21T00:00:00.000Z' });
    await create({ name: 'svc_account', secret_type: 'SERVICE_ACCOUNT_KEY', value: '{"type":"service_account","private_key_id":"k1"}', tags: { owner: 'Αλέξανδρος / Дмитрий' }, rotation_interval_days: 1 });
    await create({ name: 'legacy_token', secret_type: 'API_KEY', tags: { owner: 'Αλέξανδρος / Дмитрий' }, expires_at: '2026-09-22T00:00:00.000Z' });
    expect((await app.call('GET', `${S}/${ids.payments_api}/value`)).status).toBe(200);

    // An integrity check that found a problem, stored as the integrity module stores it (its own
    // tables): the report must name the secret and the version.
    const db = await connect(app.db.url);
    try {
      await db.query(
        `INSERT INTO integrity_checks (id, task_id, status, triggered_by, started_at, finished_at, secrets_checked, versions_checked, failures)
         VALUES ('chk_formats_test_01', 'tsk_formats_test_01', 'completed', 'ops-admin', $1, $1, 2, 2, 1)`,
        [T0],
      );
      await db.query(
        `INSERT INTO integrity_failures (check_id, secret_id, secret_name, version, problem, detail)
         VALUES ('chk_formats_test_01', $1, 'svc_account', 1, 'fingerprint_mismatch', 'stored fingerprint differs from the value')`,
        [ids.svc_account],
      );
    } finally {
      await db.end();
    }

    clock.advance(3 * 86_400_000); // 23 Sep: payments_api expired, svc_account overdue
    const security = await app.call('GET', `${S}/audit/report?generate_new=true`, { token: auditorToken() });
    expect(security.status).toBe(200);
    docs.push(security.body);
    for (const standard of ['soc2', 'pci_dss', 'gdpr', 'hipaa']) {
      const res = await app.call('GET', `${R}/compliance?standard=${standard}`, { token: auditorToken() });
      expect(res.status).toBe(200);
      docs.push(res.body);
    }
    for (const kind of ['access_review', 'annual']) {
      const res = await app.call('POST', R, { body: { kind }, token: auditorToken() });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      docs.push(JSON.parse((await download(res.body.report.id, 'json')).bytes.toString('utf8')));
    }
  }, 240_000);
  afterAll(() => app?.stop());

  it('stores what the auditor was handed under a stable id, named by kind, standard and period', async () => {
    const soc2 = docs.find((d) => d.standard === 'soc2')!;
    expect((await app.call('GET', `${R}/compliance?standard=soc2`, { token: auditorToken() })).body.id).toBe(soc2.id);
    const res = await download(soc2.id, 'pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="strongroom-soc2-2026-09.pdf"');
    const names = await Promise.all(docs.map(async (d) => (await download(d.id, 'xlsx')).headers.get('content-disposition')));
    expect(names).toEqual([
      'attachment; filename="strongroom-security-2026-09-23.xlsx"',
      'attachment; filename="strongroom-soc2-2026-09.xlsx"',
      'attachment; filename="strongroom-pci-dss-2026-09.xlsx"',
      'attachment; filename="strongroom-gdpr-2026-09.xlsx"',
      'attachment; filename="strongroom-hipaa-2026-09.xlsx"',
      'attachment; filename="strongroom-access-review-2026-q2.xlsx"',
      'attachment; filename="strongroom-annual-2025.xlsx"',
    ]);
  });

  it('PDFs: embedded Unicode fonts, names printed exactly, tagged PDF/A, the signed JSON attached and verifying', async () => {
    for (const doc of docs) {
      const file = join(dir, `${doc.id}.pdf`);
      writeFileSync(file, (await download(doc.id, 'pdf')).bytes);

      const fonts = (await run('pdffonts', [file])).stdout.split('\n').slice(2).filter(Boolean);
      expect(fonts.length, doc.kind).toBeGreaterThan(0);
      for (const line of fonts) expect(line, `${doc.kind}: ${line}`).toMatch(/\s+yes\s+yes\s+yes\s+\d+\s+\d+\s*$/); // emb sub uni
      expect(fonts.join('\n')).toContain('NotoSans');

      const info = (await run('pdfinfo', [file])).stdout;
      expect(info).toMatch(/^Tagged:\s+yes$/m);
      expect(info).toMatch(/^PDF version:\s+1\.7$/m);
      const meta = (await run('pdfinfo', ['-meta', file])).stdout;
      expect(meta).toContain('<pdfaid:part>3</pdfaid:part>');
      expect(meta).toContain('<pdfaid:conformance>B</pdfaid:conformance>');
      const catalog = readFileSync(file).toString('latin1');
      expect(catalog).toMatch(/\/Lang \(en\)/);

      // The attached JSON is the signed report (the CLI itself runs once below: each run compiles).
      const attached = attachedReportJson(readFileSync(file));
      expect(attached, doc.kind).toBeDefined();
      expect(verifyReport(JSON.parse(attached!), parsePublicKey(readFileSync(publicKeyFile, 'utf8')))).toMatchObject({ valid: true, report_id: doc.id });
    }
    const soc2 = join(dir, `${docs[1]!.id}.pdf`);
    const verified = await run(process.execPath, ['--no-warnings', '--import', '@swc-node/register/esm-register', 'src/reports/cli/report-verify.cli.ts', soc2, '--public-key', publicKeyFile], {
      env: { ...process.env, AUDIT_SIGNING_KEY: '' },
    });
    expect(verified.stdout).toContain(`VALID ${soc2} (attached report.json): compliance report ${docs[1]!.id}`);
    const security = join(dir, `${docs[0]!.id}.pdf`);
    const text = (await run('pdftotext', ['-enc', 'UTF-8', security, '-'])).stdout;
    expect(text).toContain(OWNER);
    expect(text).toContain('Αλέξανδρος / Дмитрий');
    expect(text).toContain('svc_account');
    expect(text).toContain(ids.svc_account);
    expect(text).toContain('Fingerprint mismatch');
  }, 300_000);

  it('wraps evidence only between words: every word of the controls table is whole in the PDF text', async () => {
    for (const doc of docs.filter((d) => d.kind === 'compliance')) {
      const file = join(dir, `${doc.id}.pdf`);
      // A break after "/" or "-" is a word boundary; join those so "owner/" + "team" reads whole.
      const text = (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).stdout.replace(/([/-])\n/g, '$1');
      const tokens = new Set(text.split(/\s+/));
      const rows = doc.sections.find((s) => s.id === 'controls')!.rows!;
      const words = rows.flatMap((r) => ['title', 'evidence', 'decided_by', 'rule_text'].flatMap((k) => String(r[k] ?? '').split(/\s+/))).filter((w) => w.length > 1);
      expect(words.length).toBeGreaterThan(50);
      // pdftotext drops the hyphen of a line ending in one ("tamper-" + "evident"): a break at the hyphen.
      const missing = [...new Set(words)].filter((w) => !tokens.has(w) && !(w.includes('-') && tokens.has(w.replace(/-/g, ''))));
      expect(missing, doc.standard).toEqual([]);
      // readable, not machine output
      expect(text).not.toMatch(/\w+=\w+;/);
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    }
  }, 120_000);

  it('XLSX: one sheet per section after the summary, frozen header rows, typed date and number cells', async () => {
    for (const doc of docs) {
      const book = new ExcelJS.Workbook();
      await book.xlsx.load((await download(doc.id, 'xlsx')).bytes as unknown as ArrayBuffer);
      expect(book.worksheets.length, doc.kind).toBe(doc.sections.length + 1);
      expect(book.worksheets[0]!.name).toBe('Summary');
      for (const sheet of book.worksheets) expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      const summary = book.worksheets[0]!;
      const generated = summary.getColumn(1).values.indexOf('Generated at');
      expect(summary.getRow(generated).getCell(2).value).toBeInstanceOf(Date);
    }
    const security = new ExcelJS.Workbook();
    await security.xlsx.load((await download(docs[0]!.id, 'xlsx')).bytes as unknown as ArrayBuffer);
    const expired = security.worksheets.find((w) => w.name === 'Expired secrets')!;
    const header = (expired.getRow(1).values as unknown[]).slice(1);
    const row = (expired.getRow(2).values as unknown[]).slice(1);
    expect(row[header.indexOf('Secret')]).toBe('payments_api');
    expect(row.some((v) => v instanceof Date)).toBe(true);
    expect(row.some((v) => typeof v === 'number')).toBe(true);
    expect(row).toContain(OWNER);
  }, 120_000);

  it('ZIP: one CSV per table, each loading as one rectangular table, and a manifest naming them', async () => {
    for (const doc of docs) {
      const res = await download(doc.id, 'zip');
      expect(res.headers.get('content-type')).toBe('application/zip');
      const files = unzipSync(new Uint8Array(res.bytes));
      const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as { report_id: string; files: Array<{ file: string; section: string; rows: number; columns: string[] }> };
      expect(manifest.report_id).toBe(doc.id);
      expect(manifest.files.map((f) => f.section)).toEqual(['summary', ...doc.sections.map((s) => s.id)]);
      expect(Object.keys(files).sort()).toEqual([...manifest.files.map((f) => f.file), 'manifest.json'].sort());
      for (const entry of manifest.files) {
        const records = parseCsv(strFromU8(files[entry.file]!));
        expect(records[0], entry.file).toEqual(entry.columns);
        expect(records.length - 1, entry.file).toBe(entry.rows);
        for (const r of records) expect(r.length, entry.file).toBe(entry.columns.length);
      }
    }
  }, 120_000);
});

/** RFC 4180 records (CRLF), quoted fields with "" escapes. */
function parseCsv(input: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && input[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  return records;
}
