/**
 * W1: authenticated GET /api/v1/secrets/{id}/value against the baseline's GET /secrets/:id.
 * W1b: the same service measurement with SECURITY_AUDIT_ENABLED=false.
 * W1 also measures the floor (bench/baseline/floor.ts): the service's own SQL per read (the value
 * SELECT, the group-committed audit INSERT, the consumers upsert) without the framework, on a
 * database of its own that a real service process also runs on (its sealer chains the floor's
 * audit rows; that process's CPU counts as the floor's server CPU).
 *
 * One session serves both: every side that the selected workloads need (service with audit,
 * service without audit, baseline) is started on a fresh database of its own, seeded with the
 * same number of secrets of the same value length, checked with a few reads, and then measured
 * interleaved (see measureSides). Requests go round-robin over the seeded secrets.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { allSettledOrThrow, type BenchContext, call, expectStatus, withCleanup } from '../lib/context.js';
import { createDatabase, withClient } from '../lib/db.js';
import { type Measurement, measureSides, okTotal, type Side } from '../lib/load.js';
import { startBaseline, startFloor, startService } from '../lib/processes.js';
import { cpuRow, latencyRow, type ResultRow, type WorkloadOutcome } from '../lib/report.js';
import { randomValue, type SeededSecret, seedBaselineSecrets, seedServiceSecrets } from '../lib/seed.js';

interface ReadSession {
  on?: Measurement;
  off?: Measurement;
  base?: Measurement;
  floor?: Measurement;
  /** The floor's audit chain as its companion service's GET /api/v1/audit/verify judged it after the run. */
  floorVerify?: unknown;
  audit: Record<string, { requests: number; auditRows: number }>;
  problems: string[];
}

async function countAudit(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]!.n));
}

/**
 * After a floor run: waits until the companion service's sealer has chained every row (at most
 * `timeoutMs`), then asks that service's GET /api/v1/audit/verify. Returns the problems found and
 * the verify answer. Shared by W1 and W2.
 */
export async function verifyFloorChain(dbUrl: string, serviceUrl: string, token: string, label: string, timeoutMs = 60_000): Promise<{ problems: string[]; verify: unknown }> {
  const unsealed = () =>
    withClient(dbUrl, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE seq IS NULL')).rows[0]!.n));
  const deadline = Date.now() + timeoutMs;
  let left = await unsealed();
  while (left > 0 && Date.now() < deadline) {
    await delay(100);
    left = await unsealed();
  }
  const problems: string[] = [];
  if (left > 0) problems.push(`${label}: ${left} audit rows still unsealed ${timeoutMs / 1000} s after the run`);
  const r = await call(serviceUrl, 'GET', '/api/v1/audit/verify', { token });
  if (r.status !== 200 || r.body?.valid !== true) problems.push(`${label}: GET /api/v1/audit/verify answered ${r.status} ${r.text.slice(0, 300)}`);
  else console.log(`    ${label}: audit chain verified by the service (${r.body.checked} rows, ${r.body.unsealed} unsealed)`);
  return { problems, verify: r.body };
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
  const wantFloor = ctx.selected.has('W1');
  let floorService: { url: string; db: string } | undefined;
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
    const addFloor = async (): Promise<Side> => {
      const label = 'floor';
      const db = await createDatabase('w1_floor');
      defer(() => db.drop());
      // The real service first: its migrations make the schema, its sealer chains the floor's rows.
      const svc = await startService({ label: 'w1-floor-companion-service', databaseUrl: db.url });
      defer(() => svc.stop());
      const { all } = await seedServiceSecrets(db.url, ctx.settings.readSetSize, { prefix: 'w1', type: 'API_KEY', valueLength: ctx.settings.valueLength });
      const floor = await startFloor({ label: 'w1-floor', databaseUrl: db.url, poolSize: ctx.settings.poolSize });
      defer(() => floor.stop());
      for (const s of all.slice(0, 3)) {
        const r = await call(floor.url, 'GET', `/api/v1/secrets/${s.id}/value`, { token: ctx.token });
        expectStatus(r, [200], 'floor pre-flight read');
        if (r.body?.value !== s.value) throw new Error('floor pre-flight read returned a different value');
      }
      dbOf[label] = db.url;
      auditBefore[label] = await countAudit(db.url);
      floorService = { url: svc.url, db: db.url };
      const paths = all.map((s) => `/api/v1/secrets/${s.id}/value`);
      return {
        label,
        pid: floor.pid,
        extraPids: [svc.pid],
        database: db.name,
        target: () => ({ baseUrl: floor.url, method: 'GET', paths, headers: { authorization: `Bearer ${ctx.token}` } }),
      };
    };
    // Start-up is not measured here: start every side at once.
    sides.push(
      ...(await allSettledOrThrow<Side>([
        ...(wantOn ? [addService(true)] : []),
        ...(wantOff ? [addService(false)] : []),
        ...(wantBase ? [addBaseline()] : []),
        ...(wantFloor ? [addFloor()] : []),
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
      if ((label.endsWith('on') || label === 'floor') && (rows < ok || rows > ok + slack)) problems.push(`${label}: ${ok} successful reads but ${rows} new audit rows`);
      if (label.endsWith('off') && rows > 0) problems.push(`${label}: audit is off but ${rows} audit rows were written`);
    }
    let floorVerify: unknown;
    if (floorService) {
      const v = await verifyFloorChain(floorService.db, floorService.url, ctx.token, 'floor');
      problems.push(...v.problems);
      floorVerify = v.verify;
    }
    return {
      on: byLabel['service, audit on'],
      floor: byLabel['floor'],
      floorVerify,
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
  const floor = s.floor;
  if (floor) {
    rows.push(
      { workload: 'W1', metric: 'floor (same SQL, no framework) vs baseline: throughput (info)', strongroom: floor.rps, baseline: base.rps, unit: 'req/s', ratio: floor.rps / base.rps, target: '—', pass: null },
      cpuRow('W1', 'floor vs baseline: CPU ms/request, server+PG (info)', floor, base),
      { workload: 'W1', metric: 'service vs floor: throughput (info)', strongroom: svc.rps, baseline: floor.rps, unit: 'req/s', ratio: svc.rps / floor.rps, target: '—', pass: null },
    );
  }
  return {
    id: 'W1',
    title: 'authenticated secret value read vs baseline read',
    status: 'ok',
    rows,
    notes: [...s.problems],
    details: { service: detailsOf(svc), baseline: detailsOf(base), floor: detailsOf(floor), floorVerify: s.floorVerify, audit: s.audit },
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
