import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { type BackendsCpu, backendsCpuSeconds, backendsCpuSpent, processCpuSeconds } from './cpu.js';
import { adminQuery } from './db.js';
import type { FixedResult, LoadJob, MaxResult, TargetSpec, WorkerReply } from './load-types.js';
import { BENCH_DIR, type BenchSettings, ROOT_DIR } from './settings.js';
import { median } from './stats.js';

type JobInput = LoadJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never;

/** The forked load-generator process (bench/lib/load-worker.ts). */
export class LoadGenerator {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: MaxResult | FixedResult) => void; reject: (e: Error) => void }>();

  private ensure(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    const child = fork(join(BENCH_DIR, 'lib', 'load-worker.ts'), [], {
      cwd: ROOT_DIR,
      execArgv: ['--import', '@swc-node/register/esm-register'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`load worker: ${m.error}`));
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`load worker exited with ${code}`));
      this.pending.clear();
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    return child;
  }

  run(job: Extract<JobInput, { kind: 'max' }>): Promise<MaxResult>;
  run(job: Extract<JobInput, { kind: 'fixed' }>): Promise<FixedResult>;
  run(job: JobInput): Promise<MaxResult | FixedResult> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ ...job, id } as LoadJob);
    });
  }

  close(): void {
    if (this.child?.connected) this.child.disconnect();
    this.child = undefined;
  }
}

export interface Measurement {
  label: string;
  /** Median of the measured closed-loop runs, 2xx responses per second. */
  rps: number;
  runs: MaxResult[];
  warmup: MaxResult;
  /** Open-loop run at `fixed.targetRate` (half of `rps` unless the side says otherwise). */
  fixed?: FixedResult;
  /** Problems that make the figure suspect (non-2xx answers, errors, a saturated open loop). */
  problems: string[];
  /** The open-loop run could not be served at its rate: its percentiles measure a queue, not the server. */
  saturated: boolean;
  /**
   * Median over the measured runs of CPU milliseconds per successful request, of the server
   * process and of its PostgreSQL backends: unlike throughput, hardly affected by other work on
   * the machine. Null where the side has no pid / database.
   */
  cpuMsPerRequest: { server: number | null; postgres: number | null };
}

export interface Side {
  label: string;
  /** The requests of one phase ('warmup', 'run1'…, 'fixed'); phases may differ (e.g. unique names). */
  target: (phase: string) => TargetSpec;
  /** Rate of the open-loop run from the medians of every side (default: half this side's median). */
  fixedRate?: (medians: Record<string, number>) => number;
  /** Server process and database, for CPU per request. */
  pid?: number;
  /**
   * Further processes whose CPU counts as this side's server CPU (the floor's companion service,
   * whose sealer chains the floor's audit rows: the service side's own sealer is in its pid).
   */
  extraPids?: number[];
  database?: string;
}

const sumOrNull = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : xs.reduce<number>((a, b) => a + b!, 0));

const pgQuery = (sql: string, params: unknown[]) => adminQuery<{ pid: number }>(sql, params);

async function cpuSnapshot(side: Side): Promise<{ server: number | null; postgres: BackendsCpu | null }> {
  return {
    server: side.pid === undefined ? null : sumOrNull([side.pid, ...(side.extraPids ?? [])].map(processCpuSeconds)),
    postgres: side.database === undefined ? null : await backendsCpuSeconds(side.database, pgQuery),
  };
}

/** Numbers cross the IPC channel as JSON, where NaN becomes null: format defensively. */
const num = (n: number | null | undefined, digits: number) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function problemsOf(label: string, r: MaxResult | FixedResult): string[] {
  const out: string[] = [];
  if (r.kind === 'max' && r.ok === 0) out.push(`${label}: no successful answer at all`);
  if (r.kind === 'fixed' && r.measured === 0) out.push(`${label}: the open-loop run got no successful answer`);
  if (r.non2xx > 0) out.push(`${label}: ${r.non2xx} non-2xx answers ${JSON.stringify(r.statusCodes)}`);
  if (r.errors > 0) out.push(`${label}: ${r.errors} connection errors/timeouts`);
  if (r.kind === 'fixed' && r.achievedRate < r.targetRate * 0.9) {
    out.push(`${label}: open-loop run achieved ${num(r.achievedRate, 0)}/s of ${num(r.targetRate, 0)}/s (saturated)`);
  }
  if (r.kind === 'fixed' && r.maxScheduleLagMs > 100) out.push(`${label}: the load generator fell ${num(r.maxScheduleLagMs, 0)} ms behind its schedule (starved of CPU)`);
  return out;
}

/**
 * The measuring protocol of every throughput comparison, for two (or more) sides at once: a
 * warm-up run per side, then `measuredRuns` rounds in which each side runs once, in alternating
 * order (A B, B A, A B) so background load on a shared machine hits every side alike; the median
 * per side is reported. Then (unless `latency: false`) an open-loop run per side at half its
 * median (or the side's `fixedRate`) for latency percentiles. Same connections and durations
 * for every side.
 */
export async function measureSides(load: LoadGenerator, settings: BenchSettings, sides: Side[], options: { latency?: boolean } = {}): Promise<Measurement[]> {
  const c = settings.connections;
  const warmups: MaxResult[] = [];
  for (const side of sides) warmups.push(await load.run({ kind: 'max', target: side.target('warmup'), connections: c, seconds: settings.warmupSeconds }));
  const runs: MaxResult[][] = sides.map(() => []);
  const cpu: { server: number[]; postgres: number[] }[] = sides.map(() => ({ server: [], postgres: [] }));
  for (let i = 0; i < settings.measuredRuns; i++) {
    const order = sides.map((_, k) => k);
    if (i % 2 === 1) order.reverse();
    for (const k of order) {
      const before = await cpuSnapshot(sides[k]!);
      const r = await load.run({ kind: 'max', target: sides[k]!.target(`run${i + 1}`), connections: c, seconds: settings.runSeconds });
      const after = await cpuSnapshot(sides[k]!);
      runs[k]!.push(r);
      const perRequest = (a: number | null, b: number | null) => (a === null || b === null || r.ok === 0 ? null : ((b - a) * 1000) / r.ok);
      const s = perRequest(before.server, after.server);
      const p = before.postgres && after.postgres ? perRequest(0, backendsCpuSpent(before.postgres, after.postgres)) : null;
      if (s !== null) cpu[k]!.server.push(s);
      if (p !== null) cpu[k]!.postgres.push(p);
    }
  }
  const medians: Record<string, number> = {};
  sides.forEach((side, k) => (medians[side.label] = median(runs[k]!.map((r) => r.rps))));
  const out: Measurement[] = [];
  for (const [k, side] of sides.entries()) {
    const rps = medians[side.label]!;
    const problems = runs[k]!.flatMap((r, i) => problemsOf(`${side.label} run ${i + 1}`, r));
    let fixed: FixedResult | undefined;
    if (options.latency !== false) {
      const wanted = side.fixedRate ? side.fixedRate(medians) : rps / 2;
      const rate = Number.isFinite(wanted) ? Math.max(1, Math.round(wanted)) : 1;
      fixed = await load.run({ kind: 'fixed', target: side.target('fixed'), connections: c, seconds: settings.fixedRateSeconds, warmupSeconds: settings.fixedWarmupSeconds, rate });
      problems.push(...problemsOf(`${side.label} fixed-rate`, fixed));
    }
    console.log(
      `    ${side.label}: ${runs[k]!.map((r) => num(r.rps, 0)).join(' / ')} req/s → median ${num(rps, 0)}` +
        (fixed ? `; open loop @${fixed.targetRate}/s p50 ${num(fixed.latencyMs.p50, 2)} ms p99 ${num(fixed.latencyMs.p99, 2)} ms` : ''),
    );
    for (const p of problems) console.log(`    ! ${p}`);
    const saturated = !!fixed && (fixed.measured === 0 || !(fixed.achievedRate >= fixed.targetRate * 0.9));
    const cpuMsPerRequest = {
      server: cpu[k]!.server.length ? median(cpu[k]!.server) : null,
      postgres: cpu[k]!.postgres.length ? median(cpu[k]!.postgres) : null,
    };
    if (cpuMsPerRequest.server !== null) {
      console.log(`      CPU per request: server ${num(cpuMsPerRequest.server, 3)} ms, PostgreSQL backends ${num(cpuMsPerRequest.postgres, 3)} ms`);
    }
    out.push({ label: side.label, rps, runs: runs[k]!, warmup: warmups[k]!, fixed, problems, saturated, cpuMsPerRequest });
  }
  return out;
}

/** Successful requests a measurement made in all (warm-ups included); in-flight ones at a run's end are not counted. */
export const okTotal = (m: Measurement) => m.warmup.ok + m.runs.reduce((s, r) => s + r.ok, 0) + (m.fixed?.okAll ?? 0);
