/**
 * W6: cold start, from spawning `node dist/src/main.js` to the first 200 of /health/ready
 * (polled every 20 ms), on an empty database: a fresh external PostgreSQL database (migrations
 * run), and embedded (no DATABASE_URL, an empty DATA_DIR: PGlite initialises its data directory).
 * The baseline figure is the baseline server's own start (plain JS, connects its pool and
 * creates its one table), for scale only: the targets are absolute.
 */
import { type BenchContext, withCleanup } from '../lib/context.js';
import { createDatabase } from '../lib/db.js';
import { startBaseline, startService } from '../lib/processes.js';
import type { WorkloadOutcome } from '../lib/report.js';
import { median } from '../lib/stats.js';

export async function w6(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const runs = ctx.settings.coldStartRuns;
  const external: number[] = [];
  const embedded: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    external.push(
      await withCleanup(async (defer) => {
        const db = await createDatabase('w6_ext');
        defer(() => db.drop());
        const p = await startService({ label: `w6-external-${i + 1}`, databaseUrl: db.url, profile: ctx.settings.profile });
        defer(() => p.stop());
        return p.readyMs / 1000;
      }),
    );
    embedded.push(
      await withCleanup(async (defer) => {
        const p = await startService({ label: `w6-embedded-${i + 1}`, profile: ctx.settings.profile, timeoutMs: 120_000 });
        defer(() => p.stop());
        return p.readyMs / 1000;
      }),
    );
    baseline.push(
      await withCleanup(async (defer) => {
        const db = await createDatabase('w6_base');
        defer(() => db.drop());
        const p = await startBaseline({ label: `w6-baseline-${i + 1}`, databaseUrl: db.url, poolSize: ctx.settings.poolSize });
        defer(() => p.stop());
        return p.readyMs / 1000;
      }),
    );
  }
  const ext = median(external);
  const emb = median(embedded);
  const base = median(baseline);
  console.log(`    external ${external.map((s) => s.toFixed(2)).join(' / ')} s; embedded ${embedded.map((s) => s.toFixed(2)).join(' / ')} s; baseline ${baseline.map((s) => s.toFixed(2)).join(' / ')} s`);
  return {
    id: 'W6',
    title: 'cold start to /health/ready on an empty database',
    status: 'ok',
    rows: [
      { workload: 'W6', metric: 'cold start, external PostgreSQL', strongroom: ext, baseline: base, unit: 's', ratio: ext / base, target: '≤ 3 s', pass: ext <= 3 },
      { workload: 'W6', metric: 'cold start, embedded (PGlite)', strongroom: emb, baseline: base, unit: 's', ratio: emb / base, target: '≤ 8 s', pass: emb <= 8 },
    ],
    notes: ['W6 "Baseline" = the baseline server\'s own cold start (for scale; the targets are absolute)'],
    details: { runs, externalSeconds: external, embeddedSeconds: embedded, baselineSeconds: baseline },
  };
}
