/**
 * Strongroom benchmark harness. `npm run bench [-- --quick] [-- --only W1,W2] [-- --no-build] [-- --profile]`
 * See bench/README.md for what each workload measures and how ratios are computed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import type { BenchContext } from './lib/context.js';
import { backgroundCpu } from './lib/cpu.js';
import { dropAllDatabases, postgresVersion } from './lib/db.js';
import { LoadGenerator } from './lib/load.js';
import { stopAllProcesses, takeUnexpectedExits } from './lib/processes.js';
import { machineFacts, renderTable, type WorkloadOutcome, writeLatest } from './lib/report.js';
import { ROOT_DIR, settingsFor, WORKLOADS, type WorkloadId } from './lib/settings.js';
import { adminToken } from './lib/tokens.js';
import { w3 } from './workloads/rotation.js';
import { w4 } from './workloads/listing.js';
import { w5 } from './workloads/audit.js';
import { w6 } from './workloads/coldstart.js';
import { w1, w1b } from './workloads/reads.js';
import { w2 } from './workloads/writes.js';
import { w7, w8 } from './workloads/fleet.js';

type Runner = (ctx: BenchContext) => Promise<Omit<WorkloadOutcome, 'seconds'>>;
const RUNNERS: Record<WorkloadId, { title: string; run: Runner }> = {
  W1: { title: 'authenticated secret value read vs baseline read', run: w1 },
  W1b: { title: 'W1 with audit on vs audit off', run: w1b },
  W2: { title: 'create secret vs baseline INSERT', run: w2 },
  W3: { title: 'bulk rotation of API keys', run: w3 },
  W4: { title: 'list secrets page by page', run: w4 },
  W5: { title: 'security report and CSV audit export', run: w5 },
  W6: { title: 'cold start to /health/ready', run: w6 },
  W7: { title: '3 replicas vs 1 replica on one database, value reads round-robin', run: w7 },
  W8: { title: 'sealing lag under W2 load', run: w8 },
};

function parseArgs(argv: string[]) {
  let quick = false;
  let build = true;
  let profile = false;
  let only: WorkloadId[] = [...WORKLOADS];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--no-build') build = false;
    else if (a === '--profile') profile = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!list) throw new Error('--only needs a list, e.g. --only W1,W2');
      only = list.split(',').map((w) => {
        const id = WORKLOADS.find((x) => x.toLowerCase() === w.trim().toLowerCase());
        if (!id) throw new Error(`unknown workload ${w} (known: ${WORKLOADS.join(', ')})`);
        return id;
      });
    } else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--quick] [--only W1,W1b,W2,W3,W4,W5,W6,W7,W8] [--no-build] [--profile]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return { quick, build, profile, only };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const settings = settingsFor(args.quick, args.profile);
  const started = new Date();
  const t0 = performance.now();

  let build: { ran: boolean; ok: boolean; errors?: string } = { ran: false, ok: true };
  if (args.build) {
    console.log('building the service (npm run build)…');
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT_DIR, encoding: 'utf8' });
    build = { ran: true, ok: b.status === 0 };
    if (b.status !== 0) {
      // tsc emits JavaScript despite type errors (noEmitOnError is off): with other people editing
      // the tree at the same time, measure what was emitted, and say so.
      const errors = `${b.stdout ?? ''}${b.stderr ?? ''}`.trim();
      build.errors = errors.slice(0, 4000);
      if (!existsSync(join(ROOT_DIR, 'dist', 'src', 'main.js'))) throw new Error(`npm run build failed and emitted nothing:\n${errors}`);
      const n = (errors.match(/error TS\d+/g) ?? []).length;
      console.log(`  ! npm run build reported ${n} type error(s) (files: ${[...new Set([...errors.matchAll(/^(\S+\.ts)\(/gm)].map((m) => m[1]))].join(', ')}); measuring the emitted dist anyway`);
    }
  }

  const machine = machineFacts(await postgresVersion());
  console.log(
    `${args.quick ? 'quick' : 'full'} run: ${args.only.join(', ')} on ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}; ` +
      `${settings.connections} connections, warm-up ${settings.warmupSeconds} s + ${settings.measuredRuns} × ${settings.runSeconds} s, open loop ${settings.fixedRateSeconds} s`,
  );

  const load = new LoadGenerator();
  const ctx: BenchContext = { settings, load, token: adminToken(), cache: new Map(), selected: new Set(args.only) };
  const outcomes: WorkloadOutcome[] = [];
  let failed = false;
  for (const id of WORKLOADS) {
    if (!ctx.selected.has(id)) continue;
    const { title, run } = RUNNERS[id];
    console.log(`\n${id}: ${title}`);
    const busy = await backgroundCpu(500);
    if (busy !== null && busy > 0.15) {
      console.log(`    ! other processes keep ${(busy * 100).toFixed(0)}% of the CPU busy: figures of this workload are noisy`);
    }
    const w0 = performance.now();
    const machineLoad = { backgroundCpuBefore: busy, loadavgBefore: loadavg() };
    try {
      const o = await run(ctx);
      outcomes.push({ ...o, seconds: (performance.now() - w0) / 1000, details: { ...o.details, machineLoad: { ...machineLoad, loadavgAfter: loadavg() } } });
      if (busy !== null && busy > 0.15) o.notes.push(`${(busy * 100).toFixed(0)}% of the CPU was busy with other processes before this workload`);
      for (const n of o.notes) console.log(`    note: ${n}`);
    } catch (e) {
      failed = true;
      const message = (e as Error)?.stack ?? String(e);
      console.error(`    ${id} failed: ${message}`);
      outcomes.push({ id, title, status: 'error', seconds: (performance.now() - w0) / 1000, rows: [], notes: [message], details: {} });
      await stopAllProcesses();
    }
    const crashes = takeUnexpectedExits();
    for (const c of crashes) console.log(`    ! ${c}`);
    const last = outcomes[outcomes.length - 1];
    if (last && crashes.length) last.notes.push(...crashes);
    console.log(`    (${((performance.now() - w0) / 1000).toFixed(1)} s)`);
  }
  load.close();
  await stopAllProcesses();
  await dropAllDatabases();

  const totalSeconds = (performance.now() - t0) / 1000;
  const table = renderTable(outcomes);
  console.log(`\n${table}\n`);
  const path = writeLatest({
    date: started.toISOString(),
    mode: args.quick ? 'quick' : 'full',
    workloads: args.only,
    totalSeconds,
    build,
    machine,
    settings,
    table,
    results: outcomes,
  });
  console.log(`wrote ${path} (${totalSeconds.toFixed(0)} s in all)`);
  return failed ? 1 : 0;
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error('\ninterrupted: stopping servers and dropping bench databases…');
  void stopAllProcesses()
    .then(() => dropAllDatabases())
    .finally(() => process.exit(130));
});

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error((e as Error)?.stack ?? String(e));
    await stopAllProcesses().catch(() => undefined);
    await dropAllDatabases().catch(() => undefined);
    process.exit(1);
  },
);
