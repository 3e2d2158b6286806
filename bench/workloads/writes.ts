/**
 * W2: POST /api/v1/secrets/ (validation, seal, secret + version + payload rows and the audit row
 * in one transaction) against the baseline's POST /secrets (seal, one INSERT of the same data).
 * Both servers run at once, each on a fresh database, and are measured interleaved. Every
 * request carries a unique name; the value has the same length on both sides.
 */
import { allSettledOrThrow, type BenchContext, call, expectStatus, withCleanup } from '../lib/context.js';
import { createDatabase, withClient } from '../lib/db.js';
import { measureSides, okTotal } from '../lib/load.js';
import { type ManagedProcess, startBaseline, startService } from '../lib/processes.js';
import { cpuRow, latencyRow, type WorkloadOutcome } from '../lib/report.js';
import { randomValue } from '../lib/seed.js';

async function countRows(url: string, table: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n));
}

export async function w2(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const vlen = ctx.settings.valueLength;
  const run = Date.now().toString(36);
  return withCleanup(async (defer) => {
    const sdb = await createDatabase('w2_svc');
    defer(() => sdb.drop());
    const bdb = await createDatabase('w2_base');
    defer(() => bdb.drop());
    // Start-up is not measured here: start both at once.
    const starting = [
      startService({ label: 'w2-service', databaseUrl: sdb.url, profile: ctx.settings.profile }),
      startBaseline({ label: 'w2-baseline', databaseUrl: bdb.url, poolSize: ctx.settings.poolSize }),
    ] as const;
    for (const p of starting) void p.then((proc) => defer(() => proc.stop()), () => undefined);
    const [svc, base] = (await allSettledOrThrow<ManagedProcess>(starting)) as [ManagedProcess, ManagedProcess];

    // Pre-flight: one create on each side reads back.
    const value = randomValue(vlen);
    const created = await call(svc.url, 'POST', '/api/v1/secrets/', { token: ctx.token, body: { name: `w2-preflight-${run}`, secret_type: 'API_KEY', value } });
    expectStatus(created, [201], 'service pre-flight create');
    if ((await call(svc.url, 'GET', `/api/v1/secrets/${created.body.id}/value`, { token: ctx.token })).body?.value !== value) {
      throw new Error('service pre-flight: the created secret does not read back');
    }
    const bcreated = await call(base.url, 'POST', '/secrets', { body: { name: `w2-preflight-${run}`, secret_type: 'API_KEY', value } });
    expectStatus(bcreated, [201], 'baseline pre-flight create');
    if ((await call(base.url, 'GET', `/secrets/${bcreated.body.id}`)).body?.value !== value) {
      throw new Error('baseline pre-flight: the created secret does not read back');
    }
    const svcBefore = await countRows(sdb.url, 'secrets');
    const baseBefore = await countRows(bdb.url, 'baseline_secrets');

    const [s, b] = await measureSides(ctx.load, ctx.settings, [
      {
        label: 'service',
        pid: svc.pid,
        database: sdb.name,
        target: (phase) => ({
          baseUrl: svc.url,
          method: 'POST',
          paths: ['/api/v1/secrets/'],
          headers: { authorization: `Bearer ${ctx.token}` },
          createBody: { namePrefix: `w2-${run}-${phase}`, secretType: 'API_KEY', valueLength: vlen },
        }),
      },
      {
        label: 'baseline',
        pid: base.pid,
        database: bdb.name,
        target: (phase) => ({
          baseUrl: base.url,
          method: 'POST',
          paths: ['/secrets'],
          headers: {},
          createBody: { namePrefix: `w2-${run}-${phase}`, secretType: 'API_KEY', valueLength: vlen },
        }),
      },
    ]);
    const svcM = s!;
    const baseM = b!;
    // Every 201 must be a row (in-flight requests at the end of a run may add a few more).
    const slack = ctx.settings.connections * (ctx.settings.measuredRuns + 2);
    const check = (label: string, added: number, ok: number) =>
      added < ok || added > ok + slack ? [`${label}: ${ok} creates answered 201 but ${added} rows were added`] : [];
    const notes = [
      ...svcM.problems,
      ...baseM.problems,
      ...check('service', (await countRows(sdb.url, 'secrets')) - svcBefore, okTotal(svcM)),
      ...check('baseline', (await countRows(bdb.url, 'baseline_secrets')) - baseBefore, okTotal(baseM)),
    ];
    const ratio = svcM.rps / baseM.rps;
    return {
      id: 'W2',
      title: 'create secret vs baseline INSERT',
      status: 'ok',
      rows: [
        { workload: 'W2', metric: 'POST secret: throughput', strongroom: svcM.rps, baseline: baseM.rps, unit: 'req/s', ratio, target: '≥ 0.4×', pass: ratio >= 0.4 },
        latencyRow(
          { workload: 'W2', metric: 'POST secret: p99 @ half max (info)', target: '—' },
          { p99: svcM.fixed!.latencyMs.p99, saturated: svcM.saturated },
          { p99: baseM.fixed!.latencyMs.p99, saturated: baseM.saturated },
          null,
        ),
        cpuRow('W2', 'POST secret: CPU ms/request, server+PG (info)', svcM, baseM),
      ],
      notes,
      details: {
        service: { medianRps: svcM.rps, cpuMsPerRequest: svcM.cpuMsPerRequest, runsRps: svcM.runs.map((r) => r.rps), fixed: svcM.fixed },
        baseline: { medianRps: baseM.rps, cpuMsPerRequest: baseM.cpuMsPerRequest, runsRps: baseM.runs.map((r) => r.rps), fixed: baseM.fixed },
      },
    };
  });
}
