/**
 * W1: authenticated GET /api/v1/secrets/{id}/value against the baseline's GET /secrets/:id.
 * W1b: the same service measurement with SECURITY_AUDIT_ENABLED=false.
 *
 * One session serves both: every side that the selected workloads need (service with audit,
 * service without audit, baseline) is started on a fresh database of its own, seeded with the
 * same number of secrets of the same value length, checked with a few reads, and then measured
 * interleaved (see measureSides). Requests go round-robin over the seeded secrets.
 */
import { randomBytes } from 'node:crypto';
import { allSettledOrThrow, type BenchContext, call, expectStatus, withCleanup } from '../lib/context.js';
import { createDatabase, withClient } from '../lib/db.js';
import { type Measurement, measureSides, okTotal, type Side } from '../lib/load.js';
import { startBaseline, startService } from '../lib/processes.js';
import { cpuRow, latencyRow, type ResultRow, type WorkloadOutcome } from '../lib/report.js';
import { randomValue, type SeededSecret, seedBaselineSecrets, seedServiceSecrets } from '../lib/seed.js';

interface ReadSession {
  on?: Measurement;
  off?: Measurement;
  base?: Measurement;
  audit: Record<string, { requests: number; auditRows: number }>;
  problems: string[];
}

async function countAudit(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]!.n));
}

/** The baseline's rows: generated like the service's seed (same count, value length and envelope format). */
function baselineRows(ctx: BenchContext): SeededSecret[] {
  return Array.from({ length: ctx.settings.readSetSize }, (_, i) => ({
    id: `sec_${randomBytes(12).toString('base64url')}`,
    name: `w1-${i}`,
    type: 'API_KEY',
    value: randomValue(ctx.settings.valueLength),
  }));
}

async function readSession(ctx: BenchContext): Promise<ReadSession> {
  const cached = ctx.cache.get('reads') as ReadSession | undefined;
  if (cached) return cached;
  const wantOn = ctx.selected.has('W1') || ctx.selected.has('W1b');
  const wantOff = ctx.selected.has('W1b');
  const wantBase = ctx.selected.has('W1');
  const session = await withCleanup(async (defer) => {
    const sides: Side[] = [];
    const dbOf: Record<string, string> = {};
    const auditBefore: Record<string, number> = {};

    const addService = async (audit: boolean): Promise<Side> => {
      const label = `service, audit ${audit ? 'on' : 'off'}`;
      const db = await createDatabase(`w1_svc_${audit ? 'audit' : 'noaudit'}`);
      defer(() => db.drop());
      const svc = await startService({
        label: `w1-service-audit-${audit ? 'on' : 'off'}`,
        databaseUrl: db.url,
        env: { SECURITY_AUDIT_ENABLED: String(audit) },
        profile: ctx.settings.profile,
      });
      defer(() => svc.stop());
      const { all } = await seedServiceSecrets(db.url, ctx.settings.readSetSize, { prefix: 'w1', type: 'API_KEY', valueLength: ctx.settings.valueLength });
      for (const s of all.slice(0, 3)) {
        const r = await call(svc.url, 'GET', `/api/v1/secrets/${s.id}/value`, { token: ctx.token });
        expectStatus(r, [200], `${label} pre-flight read`);
        if (r.body?.value !== s.value) throw new Error(`${label} pre-flight read returned a different value`);
      }
      dbOf[label] = db.url;
      auditBefore[label] = await countAudit(db.url);
      const paths = all.map((s) => `/api/v1/secrets/${s.id}/value`);
      return { label, pid: svc.pid, database: db.name, target: () => ({ baseUrl: svc.url, method: 'GET', paths, headers: { authorization: `Bearer ${ctx.token}` } }) };
    };
    const addBaseline = async (): Promise<Side> => {
      const db = await createDatabase('w1_base');
      defer(() => db.drop());
      const base = await startBaseline({ label: 'w1-baseline', databaseUrl: db.url, poolSize: ctx.settings.poolSize });
      defer(() => base.stop());
      const all = baselineRows(ctx);
      await seedBaselineSecrets(db.url, all);
      for (const s of all.slice(0, 3)) {
        const r = await call(base.url, 'GET', `/secrets/${s.id}`);
        expectStatus(r, [200], 'baseline pre-flight read');
        if (r.body?.value !== s.value) throw new Error('baseline pre-flight read returned a different value');
      }
      const paths = all.map((s) => `/secrets/${s.id}`);
      return { label: 'baseline', pid: base.pid, database: db.name, target: () => ({ baseUrl: base.url, method: 'GET', paths, headers: {} }) };
    };
    // Start-up is not measured here: start every side at once.
    sides.push(
      ...(await allSettledOrThrow<Side>([
        ...(wantOn ? [addService(true)] : []),
        ...(wantOff ? [addService(false)] : []),
        ...(wantBase ? [addBaseline()] : []),
      ])),
    );

    const ms = await measureSides(ctx.load, ctx.settings, sides);
    const byLabel = Object.fromEntries(ms.map((m) => [m.label, m]));
    const problems = ms.flatMap((m) => m.problems);
    // Every successful read must have written exactly one audit row (audit on) or none (off).
    const audit: ReadSession['audit'] = {};
    for (const [label, url] of Object.entries(dbOf)) {
      const m = byLabel[label]!;
      const rows = (await countAudit(url)) - auditBefore[label]!;
      const ok = okTotal(m);
      audit[label] = { requests: ok, auditRows: rows };
      const slack = ctx.settings.connections * (ctx.settings.measuredRuns + 2);
      if (label.endsWith('on') && (rows < ok || rows > ok + slack)) problems.push(`${label}: ${ok} successful reads but ${rows} new audit rows`);
      if (label.endsWith('off') && rows > 0) problems.push(`${label}: audit is off but ${rows} audit rows were written`);
    }
    return {
      on: byLabel['service, audit on'],
      off: byLabel['service, audit off'],
      base: byLabel['baseline'],
      audit,
      problems,
    } satisfies ReadSession;
  });
  ctx.cache.set('reads', session);
  return session;
}

const detailsOf = (m: Measurement | undefined) =>
  m && {
    medianRps: m.rps,
    cpuMsPerRequest: m.cpuMsPerRequest,
    runsRps: m.runs.map((r) => r.rps),
    warmupRps: m.warmup.rps,
    fixedRate: m.fixed && { targetRate: m.fixed.targetRate, achievedRate: m.fixed.achievedRate, latencyMs: m.fixed.latencyMs, maxScheduleLagMs: m.fixed.maxScheduleLagMs },
    problems: m.problems,
  };

export async function w1(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const s = await readSession(ctx);
  const svc = s.on!;
  const base = s.base!;
  const p99s = svc.fixed!.latencyMs.p99;
  const p99b = base.fixed!.latencyMs.p99;
  const rows: ResultRow[] = [
    { workload: 'W1', metric: 'GET value: throughput', strongroom: svc.rps, baseline: base.rps, unit: 'req/s', ratio: svc.rps / base.rps, target: '≥ 0.5×', pass: svc.rps / base.rps >= 0.5 },
    latencyRow({ workload: 'W1', metric: 'GET value: p99 @ half max', target: '≤ 2×' }, { p99: p99s, saturated: svc.saturated }, { p99: p99b, saturated: base.saturated }, 2),
    cpuRow('W1', 'GET value: CPU ms/request, server+PG (info)', svc, base),
  ];
  return {
    id: 'W1',
    title: 'authenticated secret value read vs baseline read',
    status: 'ok',
    rows,
    notes: [...s.problems],
    details: { service: detailsOf(svc), baseline: detailsOf(base), audit: s.audit },
  };
}

export async function w1b(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const s = await readSession(ctx);
  const on = s.on!;
  const off = s.off!;
  return {
    id: 'W1b',
    title: 'W1 with audit on vs audit off',
    status: 'ok',
    rows: [
      { workload: 'W1b', metric: 'GET value: audit on / off', strongroom: on.rps, baseline: off.rps, unit: 'req/s', ratio: on.rps / off.rps, target: '≥ 0.8×', pass: on.rps / off.rps >= 0.8 },
      cpuRow('W1b', 'GET value: CPU ms/request, server+PG (info)', on, off),
    ],
    notes: [...(ctx.selected.has('W1') ? [] : s.problems), 'W1b "Baseline" column = the service with SECURITY_AUDIT_ENABLED=false'],
    details: { auditOn: detailsOf(on), auditOff: detailsOf(off), audit: s.audit },
  };
}
