/**
 * W7: three replicas vs one, on the same database: value reads, the load split evenly
 * (round-robin) over the replicas. Reports each replica's CPU, the database's (its backends) and
 * the lock waits seen in pg_stat_activity while the three served.
 * W8: sealing lag under W2's load (creates): the age of the oldest unsealed audit row and the
 * number of unsealed rows, sampled every 50 ms while the creates run.
 */
import { randomBytes } from 'node:crypto';
import { allSettledOrThrow, type BenchContext, call, expectStatus, withCleanup } from '../lib/context.js';
import { backendsCpuSeconds, backendsCpuSpent, processCpuSeconds } from '../lib/cpu.js';
import { adminQuery, createDatabase, withClient } from '../lib/db.js';
import type { MaxResult, TargetSpec } from '../lib/load-types.js';
import { type ManagedProcess, startBaseline, startService } from '../lib/processes.js';
import type { ResultRow, WorkloadOutcome } from '../lib/report.js';
import { randomValue, seedBaselineSecrets, seedServiceSecrets } from '../lib/seed.js';
import { median, percentiles } from '../lib/stats.js';

const pgPids = (sql: string, params: unknown[]) => adminQuery<{ pid: number }>(sql, params);

/** Samples pg_stat_activity every 100 ms: backends of `database` waiting on a lock, and on which. */
function lockWaitSampler(database: string) {
  let samples = 0;
  let waiting = 0;
  let maxWaiting = 0;
  const kinds: Record<string, number> = {};
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const rows = await adminQuery<{ event: string; n: number }>(
        "SELECT wait_event AS event, count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' GROUP BY 1",
        [database],
      ).catch(() => []);
      samples++;
      const n = rows.reduce((s, r) => s + r.n, 0);
      waiting += n;
      maxWaiting = Math.max(maxWaiting, n);
      for (const r of rows) kinds[r.event] = (kinds[r.event] ?? 0) + r.n;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return { samples, meanWaiting: samples ? waiting / samples : 0, maxWaiting, byEvent: kinds };
  };
}

type FleetRun = { rps: number; ok: number; non2xx: number; replicaCpuSeconds: number[]; postgresCpuSeconds: number };
type LockSample = Awaited<ReturnType<ReturnType<typeof lockWaitSampler>>>;

/**
 * The W7 protocol for one kind of server: warm-up, then `measuredRuns` runs of one process and of
 * all three, alternated; each closed-loop run splits the connections evenly over its processes.
 */
async function measureFleet(ctx: BenchContext, dbName: string, procs: ManagedProcess[], target: (p: ManagedProcess) => TargetSpec) {
  const c = ctx.settings.connections;
  const run = async (over: ManagedProcess[], seconds: number): Promise<FleetRun> => {
    const cpu0 = over.map((p) => processCpuSeconds(p.pid) ?? 0);
    const pg0 = await backendsCpuSeconds(dbName, pgPids);
    const share = Math.max(1, Math.round(c / over.length));
    const results: MaxResult[] = await Promise.all(over.map((p) => ctx.load.run({ kind: 'max', target: target(p), connections: share, seconds })));
    const pg1 = await backendsCpuSeconds(dbName, pgPids);
    const ok = results.reduce((s, r) => s + r.ok, 0);
    const secs = Math.max(...results.map((r) => r.seconds));
    return {
      rps: secs > 0 ? ok / secs : 0,
      ok,
      non2xx: results.reduce((s, r) => s + r.non2xx + r.errors, 0),
      replicaCpuSeconds: over.map((p, i) => (processCpuSeconds(p.pid) ?? 0) - cpu0[i]!),
      postgresCpuSeconds: backendsCpuSpent(pg0, pg1),
    };
  };
  const first = procs[0]!;
  await run([first], ctx.settings.warmupSeconds);
  await run(procs, ctx.settings.warmupSeconds);
  const one: FleetRun[] = [];
  const three: FleetRun[] = [];
  const locks: LockSample[] = [];
  for (let i = 0; i < ctx.settings.measuredRuns; i++) {
    const order = i % 2 === 0 ? ['one', 'three'] : ['three', 'one'];
    for (const side of order) {
      if (side === 'one') one.push(await run([first], ctx.settings.runSeconds));
      else {
        const stop = lockWaitSampler(dbName);
        three.push(await run(procs, ctx.settings.runSeconds));
        locks.push(await stop());
      }
    }
  }
  return { one, three, locks, oneRps: median(one.map((r) => r.rps)), threeRps: median(three.map((r) => r.rps)) };
}

const perReq = (s: number, ok: number) => (ok > 0 ? (s * 1000) / ok : 0);
const fleetCpu = (r: FleetRun) => perReq(r.replicaCpuSeconds.reduce((a, b) => a + b, 0), r.ok);

export async function w7(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  return withCleanup(async (defer) => {
    const db = await createDatabase('w7_fleet');
    defer(() => db.drop());
    // The first replica runs the migrations; the others start on the migrated database.
    const first = await startService({ label: 'w7-replica-1', databaseUrl: db.url, profile: ctx.settings.profile });
    defer(() => first.stop());
    const rest = await allSettledOrThrow<ManagedProcess>(
      [2, 3].map((i) => startService({ label: `w7-replica-${i}`, databaseUrl: db.url, profile: ctx.settings.profile })),
    );
    for (const r of rest) defer(() => r.stop());
    const replicas = [first, ...rest];
    const { all } = await seedServiceSecrets(db.url, ctx.settings.readSetSize, { prefix: 'w7', type: 'API_KEY', valueLength: ctx.settings.valueLength });
    for (const r of replicas) {
      const res = await call(r.url, 'GET', `/api/v1/secrets/${all[0]!.id}/value`, { token: ctx.token });
      expectStatus(res, [200], `${r.label} pre-flight read`);
    }
    const paths = all.map((s) => `/api/v1/secrets/${s.id}/value`);
    const svc = await measureFleet(ctx, db.name, replicas, (p) => ({ baseUrl: p.url, method: 'GET', paths, headers: { authorization: `Bearer ${ctx.token}` } }));
    // Afterwards (their idle loops would otherwise share the CPU): the control, three bare
    // baseline processes vs one on a database of their own, under the same protocol. It shows
    // what a third process costs on this machine with no framework and no audit at all.
    for (const r of replicas) await r.stop();
    const bdb = await createDatabase('w7_baseline');
    defer(() => bdb.drop());
    const b1 = await startBaseline({ label: 'w7-baseline-1', databaseUrl: bdb.url, poolSize: ctx.settings.poolSize });
    defer(() => b1.stop());
    const brest = await allSettledOrThrow<ManagedProcess>(
      [2, 3].map((i) => startBaseline({ label: `w7-baseline-${i}`, databaseUrl: bdb.url, poolSize: ctx.settings.poolSize })),
    );
    for (const r of brest) defer(() => r.stop());
    const bRows = Array.from({ length: ctx.settings.readSetSize }, (_, i) => ({
      id: `sec_${randomBytes(12).toString('base64url')}`,
      name: `w7-${i}`,
      type: 'API_KEY',
      value: randomValue(ctx.settings.valueLength),
    }));
    await seedBaselineSecrets(bdb.url, bRows);
    const bPaths = bRows.map((s) => `/secrets/${s.id}`);
    const base = await measureFleet(ctx, bdb.name, [b1, ...brest], (p) => ({ baseUrl: p.url, method: 'GET', paths: bPaths, headers: {} }));

    const lockMean = svc.locks.reduce((s, l) => s + l.meanWaiting, 0) / Math.max(1, svc.locks.length);
    const lockMax = Math.max(0, ...svc.locks.map((l) => l.maxWaiting));
    const byEvent: Record<string, number> = {};
    for (const l of svc.locks) for (const [k, v] of Object.entries(l.byEvent)) byEvent[k] = (byEvent[k] ?? 0) + v;
    const last3 = svc.three[svc.three.length - 1]!;
    const last1 = svc.one[svc.one.length - 1]!;
    console.log(`    1 replica: ${svc.one.map((r) => r.rps.toFixed(0)).join(' / ')} req/s; 3 replicas: ${svc.three.map((r) => r.rps.toFixed(0)).join(' / ')} req/s`);
    console.log(
      `      CPU s (last run of 3): ${last3.replicaCpuSeconds.map((s, i) => `replica ${i + 1} ${s.toFixed(2)}`).join(', ')}, PostgreSQL ${last3.postgresCpuSeconds.toFixed(2)}; ` +
        `1 replica: ${last1.replicaCpuSeconds[0]!.toFixed(2)}, PostgreSQL ${last1.postgresCpuSeconds.toFixed(2)}`,
    );
    console.log(`      lock waits (3 replicas): mean ${lockMean.toFixed(2)} backends waiting, max ${lockMax} ${JSON.stringify(byEvent)}`);
    console.log(
      `    control, bare baseline: 1 process ${base.one.map((r) => r.rps.toFixed(0)).join(' / ')} req/s; 3 processes ${base.three.map((r) => r.rps.toFixed(0)).join(' / ')} req/s ` +
        `→ ${(base.threeRps / base.oneRps).toFixed(2)}×; CPU ms/request ${fleetCpu(base.three[base.three.length - 1]!).toFixed(3)} (3) vs ${fleetCpu(base.one[base.one.length - 1]!).toFixed(3)} (1)`,
    );
    const problems = [...svc.one, ...svc.three, ...base.one, ...base.three].filter((r) => r.non2xx > 0).map((r) => `${r.non2xx} non-2xx answers or errors in a run`);
    const rows: ResultRow[] = [
      { workload: 'W7', metric: 'GET value: 3 replicas / 1 replica, same DB', strongroom: svc.threeRps, baseline: svc.oneRps, unit: 'req/s', ratio: svc.threeRps / svc.oneRps, target: '≥ 1.0×', pass: svc.threeRps / svc.oneRps >= 1.0 },
      { workload: 'W7', metric: 'CPU ms/request, replicas / PostgreSQL (info)', strongroom: fleetCpu(last3), baseline: fleetCpu(last1), unit: 'ms', ratio: null, target: '—', pass: null },
      { workload: 'W7', metric: 'backends waiting on a lock, mean (max) (info)', strongroom: lockMean, baseline: lockMax, unit: 'backends', ratio: null, target: '—', pass: null },
      {
        workload: 'W7',
        metric: 'control: bare baseline, 3 processes / 1 (info)',
        strongroom: base.threeRps,
        baseline: base.oneRps,
        unit: 'req/s',
        ratio: base.threeRps / base.oneRps,
        target: '—',
        pass: null,
      },
    ];
    return {
      id: 'W7',
      title: '3 replicas vs 1 replica on one database, value reads round-robin',
      status: 'ok',
      rows,
      notes: [
        ...problems,
        'W7 "Baseline" column = one replica (the other two idle); the CPU row gives ms/request of all replicas (3) vs the one; the lock row gives mean (Strongroom) and max (Baseline column)',
        'control row: the bare baseline server (bench/baseline/server.ts), three processes vs one on a database of its own, same protocol, run after the replicas were stopped',
      ],
      details: { one: svc.one, three: svc.three, locks: svc.locks, control: { one: base.one, three: base.three } },
    };
  });
}

export async function w8(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  return withCleanup(async (defer) => {
    const db = await createDatabase('w8_seal');
    defer(() => db.drop());
    const svc = await startService({ label: 'w8-service', databaseUrl: db.url, profile: ctx.settings.profile });
    defer(() => svc.stop());
    const run = Date.now().toString(36);
    const target: TargetSpec = {
      baseUrl: svc.url,
      method: 'POST',
      paths: ['/api/v1/secrets/'],
      headers: { authorization: `Bearer ${ctx.token}` },
      createBody: { namePrefix: `w8-${run}`, secretType: 'API_KEY', valueLength: ctx.settings.valueLength },
    };
    const lags: number[] = [];
    let maxUnsealed = 0;
    let stop = false;
    const sampler = withClient(db.url, async (c) => {
      while (!stop) {
        const r = await c.query<{ n: number; lag: number | null }>(
          'SELECT count(*)::int AS n, extract(epoch FROM clock_timestamp() - min(inserted_at))::float8 AS lag FROM audit_events WHERE seq IS NULL',
        );
        lags.push(Math.max(0, r.rows[0]!.lag ?? 0));
        maxUnsealed = Math.max(maxUnsealed, r.rows[0]!.n);
        await new Promise((res) => setTimeout(res, 50));
      }
    });
    const result = await ctx.load.run({ kind: 'max', target, connections: ctx.settings.connections, seconds: ctx.settings.runSeconds * ctx.settings.measuredRuns });
    stop = true;
    await sampler;
    const p = percentiles(lags);
    const [{ unsealed, total }] = await withClient(db.url, async (c) =>
      (await c.query<{ unsealed: number; total: number }>('SELECT count(*) FILTER (WHERE seq IS NULL)::int AS unsealed, count(*)::int AS total FROM audit_events')).rows,
    );
    console.log(`    creates ${result.rps.toFixed(0)} req/s; seal lag p50 ${p.p50.toFixed(3)} s, p99 ${p.p99.toFixed(3)} s, max ${Math.max(0, ...lags).toFixed(3)} s; unsealed rows max ${maxUnsealed}`);
    return {
      id: 'W8',
      title: 'sealing lag under W2 load',
      status: 'ok',
      rows: [
        { workload: 'W8', metric: 'seal lag p99 under creates', strongroom: p.p99, baseline: null, unit: 's', ratio: null, target: '≤ 1 s', pass: p.p99 <= 1 },
        { workload: 'W8', metric: 'unsealed rows, max (info)', strongroom: maxUnsealed, baseline: null, unit: 'rows', ratio: null, target: 'bounded', pass: null },
      ],
      notes: [`${result.ok} creates at ${result.rps.toFixed(0)} req/s; ${lags.length} samples every 50 ms; after the run ${unsealed} of ${total} rows unsealed`],
      details: { lagSeconds: p, maxLagSeconds: Math.max(0, ...lags), maxUnsealed, creates: result },
    };
  });
}
