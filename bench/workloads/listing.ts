/**
 * W4: list N secrets page by page (limit 100). First a sequential walk over every page (checks
 * the keyset pagination returns each secret exactly once and records each page's latency), then
 * the first page and the last page are measured interleaved with the usual protocol; both
 * open-loop runs use the same rate (half the first page's maximum) so their p99s compare like
 * for like.
 */
import { type BenchContext, call, expectStatus, withCleanup } from '../lib/context.js';
import { createDatabase } from '../lib/db.js';
import { measureSides } from '../lib/load.js';
import { startService } from '../lib/processes.js';
import { latencyRow, type WorkloadOutcome } from '../lib/report.js';
import { seedServiceSecrets } from '../lib/seed.js';
import { percentiles } from '../lib/stats.js';

const LIMIT = 100;

export async function w4(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const n = ctx.settings.listSecrets;
  return withCleanup(async (defer) => {
    const db = await createDatabase('w4');
    defer(() => db.drop());
    const svc = await startService({ label: 'w4-service', databaseUrl: db.url, profile: ctx.settings.profile });
    defer(() => svc.stop());
    const seedStart = performance.now();
    await seedServiceSecrets(db.url, n, { prefix: 'w4', type: 'API_KEY', valueLength: ctx.settings.valueLength });
    console.log(`    seeded ${n} secrets in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    // The walk.
    const seen = new Set<string>();
    const pageMs: number[] = [];
    let cursor: string | null = null;
    let lastPageCursor: string | null = null;
    const walkStart = performance.now();
    for (;;) {
      const path = `/api/v1/secrets/?limit=${LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await call(svc.url, 'GET', path, { token: ctx.token });
      expectStatus(r, [200], `page ${pageMs.length + 1}`);
      pageMs.push(r.ms);
      for (const item of r.body.items as { id: string }[]) seen.add(item.id);
      if (!r.body.next_cursor) {
        lastPageCursor = cursor;
        break;
      }
      cursor = r.body.next_cursor as string;
      if (pageMs.length > n / LIMIT + 10) throw new Error('the walk did not end: next_cursor never became null');
    }
    const walkSeconds = (performance.now() - walkStart) / 1000;
    const notes: string[] = [];
    if (seen.size !== n) notes.push(`walk returned ${seen.size} distinct secrets of ${n}`);
    const head = percentiles(pageMs.slice(0, 10));
    const tail = percentiles(pageMs.slice(-10));
    console.log(
      `    walk: ${pageMs.length} pages in ${walkSeconds.toFixed(1)} s; first 10 pages median ${head.p50.toFixed(1)} ms, last 10 median ${tail.p50.toFixed(1)} ms`,
    );

    const firstPath = `/api/v1/secrets/?limit=${LIMIT}`;
    const lastPath = `/api/v1/secrets/?limit=${LIMIT}${lastPageCursor ? `&cursor=${encodeURIComponent(lastPageCursor)}` : ''}`;
    const last = await call(svc.url, 'GET', lastPath, { token: ctx.token });
    if (last.body?.items?.length !== LIMIT || last.body?.next_cursor !== null) {
      notes.push(`the "last page" request returned ${last.body?.items?.length} items, next_cursor ${last.body?.next_cursor}`);
    }
    const headers = { authorization: `Bearer ${ctx.token}` };
    const [firstM, lastMM] = await measureSides(ctx.load, ctx.settings, [
      { label: 'first page', pid: svc.pid, database: db.name, target: () => ({ baseUrl: svc.url, method: 'GET', paths: [firstPath], headers }) },
      // The same open-loop rate for both pages: half the first page's maximum.
      { label: 'last page', pid: svc.pid, database: db.name, target: () => ({ baseUrl: svc.url, method: 'GET', paths: [lastPath], headers }), fixedRate: (m) => m['first page']! / 2 },
    ]);
    const first = firstM!;
    const lastM = lastMM!;
    notes.push(...first.problems, ...lastM.problems);
    const p99First = first.fixed!.latencyMs.p99;
    const p99Last = lastM.fixed!.latencyMs.p99;
    return {
      id: 'W4',
      title: `list ${n} secrets page by page`,
      status: 'ok',
      rows: [
        latencyRow(
          { workload: 'W4', metric: `last/first page p99 (${n / 1000}k)`, target: '≤ 1.5×' },
          { p99: p99Last, saturated: lastM.saturated },
          { p99: p99First, saturated: first.saturated },
          1.5,
        ),
        {
          workload: 'W4',
          metric: 'last/first page throughput (info)',
          strongroom: lastM.rps,
          baseline: first.rps,
          unit: 'req/s',
          ratio: lastM.rps / first.rps,
          target: '—',
          pass: null,
        },
        {
          workload: 'W4',
          metric: `sequential walk, ${pageMs.length} pages (info)`,
          strongroom: walkSeconds,
          baseline: null,
          unit: 's',
          ratio: null,
          target: '—',
          pass: null,
        },
      ],
      notes: [
        'W4 "Strongroom" = last page, "Baseline" = first page of the same service',
        ...notes,
      ],
      details: {
        secrets: n,
        pages: pageMs.length,
        distinctSeen: seen.size,
        walkSeconds,
        walkFirst10Ms: head,
        walkLast10Ms: tail,
        walkAllMs: percentiles(pageMs),
        firstPage: { medianRps: first.rps, runsRps: first.runs.map((r) => r.rps), fixed: first.fixed },
        lastPage: { medianRps: lastM.rps, runsRps: lastM.runs.map((r) => r.rps), fixed: lastM.fixed },
      },
    };
  });
}
