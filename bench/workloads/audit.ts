/**
 * W5: the security report and the CSV audit export over a large audit log.
 *
 *   1. fresh database, the service starts (migrations);
 *   2. seed S secrets and E_small audit events (valid hash chain, under the chain lock) with COPY;
 *   3. CSV export (rows/s, peak RSS) and COPY … TO STDOUT (rows/s); the report (informational);
 *   4. service down; append events up to E_large; 5. service up again (a fresh process, so
 *      the two peak RSS figures compare): export (rows/s vs COPY, peak RSS vs step 3), then the
 *      report, timed.
 * Before each report the harness removes the stored reports, so the report is generated, not
 * returned from the hour's stored one (reports are deduplicated per period).
 */
import { type BenchContext, call, withCleanup } from '../lib/context.js';
import { copyOutCount, createDatabase, withClient } from '../lib/db.js';
import { type ManagedProcess, startService } from '../lib/processes.js';
import { notAvailableRow, type ResultRow, type WorkloadOutcome } from '../lib/report.js';
import { RssSampler } from '../lib/rss.js';
import { seedAuditEvents, seedServiceSecrets } from '../lib/seed.js';

const REPORT_LIMIT_S = 10;
const EXPORT_RATIO = 0.5;
const RSS_LIMIT_MB = 64;
const EXPORT_PATH = '/api/v1/audit/export?format=csv';
const REPORT_PATH = '/api/v1/secrets/audit/report?generate_new=true';

interface ExportRun {
  status: number;
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  rss: ReturnType<RssSampler['stop']>;
  tableRows: number;
}

/** Stored reports go, so the next report request generates one (they are deduplicated per period). */
async function forgetStoredReports(url: string): Promise<void> {
  await withClient(url, (c) => c.query('DELETE FROM reports'));
}

async function countEvents(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]!.n));
}

/** Streams the export, counting lines (minus a header line), while sampling the service's RSS. */
async function runExport(svc: ManagedProcess, token: string, dbUrl: string): Promise<ExportRun> {
  const tableRows = await countEvents(dbUrl);
  // Every 20 ms rather than 100: a small export lasts well under a second and its peak must not be missed.
  const sampler = new RssSampler(svc.pid, 20);
  const t0 = performance.now();
  const res = await fetch(svc.url + EXPORT_PATH, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(600_000) });
  let lines = 0;
  let bytes = 0;
  let firstByte: number | undefined;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (firstByte === undefined && value.length > 0) firstByte = value[0];
      bytes += value.length;
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const rss = sampler.stop();
  // A header line starts with a letter (a column name); data rows start with the seq (a digit).
  const header = firstByte !== undefined && !(firstByte >= 48 && firstByte <= 57) ? 1 : 0;
  const rows = Math.max(0, lines - header);
  return { status: res.status, rows, bytes, seconds, rowsPerSecond: rows / seconds, rss, tableRows };
}

async function runReport(svc: ManagedProcess, token: string): Promise<{ status: number; seconds: number; rss: ReturnType<RssSampler['stop']>; body: string }> {
  const sampler = new RssSampler(svc.pid);
  const t0 = performance.now();
  let r = await call(svc.url, 'GET', REPORT_PATH, { token });
  // An asynchronous report (202 + task) is followed to completion.
  const statusUrl = r.status === 202 && typeof r.body?.status_url === 'string' ? (r.body.status_url as string) : undefined;
  if (statusUrl) {
    for (let i = 0; i < 2400; i++) {
      const s = await call(svc.url, 'GET', statusUrl, { token });
      if (s.body?.status === 'completed' || s.body?.status === 'failed') {
        r = s;
        break;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { status: r.status, seconds, rss: sampler.stop(), body: r.text.slice(0, 500) };
}

export async function w5(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const { reportSecrets, auditEventsSmall: small, auditEventsLarge: large, profile } = ctx.settings;
  const k = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
  return withCleanup(async (defer) => {
    const db = await createDatabase('w5');
    defer(() => db.drop());
    let svc = await startService({ label: 'w5-small', databaseUrl: db.url, profile });
    let stopped = false;
    defer(() => (stopped ? undefined : svc.stop()));

    let t = performance.now();
    const { all } = await seedServiceSecrets(db.url, reportSecrets, { prefix: 'w5', mixed: true, valueLength: ctx.settings.valueLength });
    await seedAuditEvents(db.url, small, all);
    console.log(`    seeded ${reportSecrets} secrets and ${small} audit events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // Small size.
    const exportSmall = await runExport(svc, ctx.token, db.url);
    const copySmall = await copyOutCount(db.url, 'SELECT * FROM audit_events');
    await forgetStoredReports(db.url);
    const reportSmall = await runReport(svc, ctx.token);
    await svc.stop();
    stopped = true;
    const exportAvailable = exportSmall.status !== 404;
    const reportAvailable = reportSmall.status !== 404;
    console.log(
      `    ${k(small)} events: export ${exportAvailable ? `${exportSmall.rows} rows in ${exportSmall.seconds.toFixed(2)} s, peak RSS ${exportSmall.rss.peakMb.toFixed(0)} MB` : '404'}; ` +
        `COPY ${copySmall.rows} rows in ${copySmall.seconds.toFixed(2)} s; report ${reportAvailable ? `${reportSmall.status} in ${reportSmall.seconds.toFixed(2)} s` : '404'}`,
    );

    const notes: string[] = [];
    const details: Record<string, unknown> = { secrets: reportSecrets, small, large, exportSmall, copySmall, reportSmall };
    const rows: ResultRow[] = [];
    if (!exportAvailable && !reportAvailable) {
      rows.push(
        notAvailableRow('W5', `security report (${k(reportSecrets)} secrets, ${k(large)} events)`, `≤ ${REPORT_LIMIT_S} s`, 'GET report → 404'),
        notAvailableRow('W5', `CSV export vs COPY (${k(large)} rows)`, `≥ ${EXPORT_RATIO}×`, 'GET export → 404'),
        notAvailableRow('W5', `export peak RSS, ${k(large)} vs ${k(small)}`, `≤ +${RSS_LIMIT_MB} MB`, 'GET export → 404'),
      );
      return { id: 'W5', title: 'security report and CSV audit export', status: 'not available', rows, notes, details };
    }

    // Large size.
    const have = await countEvents(db.url);
    t = performance.now();
    await seedAuditEvents(db.url, Math.max(0, large - have), all);
    console.log(`    appended ${Math.max(0, large - have)} audit events in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    svc = await startService({ label: 'w5-large', databaseUrl: db.url, profile });
    stopped = false;
    let exportLarge: ExportRun | undefined;
    let copyLarge: Awaited<ReturnType<typeof copyOutCount>> | undefined;
    if (exportAvailable) {
      exportLarge = await runExport(svc, ctx.token, db.url);
      copyLarge = await copyOutCount(db.url, 'SELECT * FROM audit_events');
      details.exportLarge = exportLarge;
      details.copyLarge = copyLarge;
      for (const e of [exportSmall, exportLarge]) {
        if (e.status !== 200) notes.push(`export answered ${e.status}`);
        else if (Math.abs(e.rows - e.tableRows) > 5) notes.push(`export returned ${e.rows} rows of ${e.tableRows}`);
      }
    }
    if (reportAvailable) await forgetStoredReports(db.url);
    const reportLarge = reportAvailable ? await runReport(svc, ctx.token) : undefined;
    details.reportLarge = reportLarge;
    await svc.stop();
    stopped = true;

    if (reportLarge) {
      const ok = reportLarge.status >= 200 && reportLarge.status < 300;
      if (!ok) notes.push(`report answered ${reportLarge.status}: ${reportLarge.body}`);
      rows.push({
        workload: 'W5',
        metric: `security report (${k(reportSecrets)} secrets, ${k(large)} events)`,
        strongroom: reportLarge.seconds,
        baseline: null,
        unit: 's',
        ratio: null,
        target: `≤ ${REPORT_LIMIT_S} s`,
        pass: ok && reportLarge.seconds <= REPORT_LIMIT_S,
      });
    } else {
      rows.push(notAvailableRow('W5', `security report (${k(reportSecrets)} secrets, ${k(large)} events)`, `≤ ${REPORT_LIMIT_S} s`, 'GET report → 404'));
    }
    if (exportLarge && copyLarge) {
      const copyRate = copyLarge.rows / copyLarge.seconds;
      const ratio = exportLarge.rowsPerSecond / copyRate;
      const growth = exportLarge.rss.peakMb - exportSmall.rss.peakMb;
      rows.push(
        {
          workload: 'W5',
          metric: `CSV export vs COPY (${k(large)} rows)`,
          strongroom: exportLarge.rowsPerSecond,
          baseline: copyRate,
          unit: 'rows/s',
          ratio,
          target: `≥ ${EXPORT_RATIO}×`,
          pass: exportLarge.status === 200 && ratio >= EXPORT_RATIO,
        },
        {
          workload: 'W5',
          metric: `export peak RSS, ${k(large)} vs ${k(small)}`,
          strongroom: exportLarge.rss.peakMb,
          baseline: exportSmall.rss.peakMb,
          unit: 'MB',
          ratio: null,
          target: `≤ +${RSS_LIMIT_MB} MB`,
          pass: growth <= RSS_LIMIT_MB,
          text: { ratio: `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB` },
        },
      );
    } else {
      rows.push(
        notAvailableRow('W5', `CSV export vs COPY (${k(large)} rows)`, `≥ ${EXPORT_RATIO}×`, 'GET export → 404'),
        notAvailableRow('W5', `export peak RSS, ${k(large)} vs ${k(small)}`, `≤ +${RSS_LIMIT_MB} MB`, 'GET export → 404'),
      );
    }
    const anyMeasured = rows.some((r) => r.pass !== null);
    return { id: 'W5', title: 'security report and CSV audit export', status: anyMeasured ? 'ok' : 'not available', rows, notes, details };
  });
}
