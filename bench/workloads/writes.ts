/**
 * W2: POST /api/v1/secrets/ (validation, seal, secret + version + payload rows and the audit row
 * in one transaction) against the baseline's POST /secrets (seal, one INSERT of the same data).
 * Both servers run at once, each on a fresh database, and are measured interleaved. Every
 * request carries a unique name; the value has the same length on both sides.
 * A third side, the floor (bench/baseline/floor.ts), runs the service's own create statements
 * (START TRANSACTION, INSERT secrets, local_secret_payloads, secret_versions, audit_events,
 * COMMIT) without the framework, on a database of its own that a real service process also runs
 * on (its sealer chains the floor's audit rows; that process's CPU counts as the floor's server CPU).
 */
import { allSettledOrThrow, type BenchContext, call, expectStatus, withCleanup } from '../lib/context.js';
import { createDatabase, withClient } from '../lib/db.js';
import { measureSides, okTotal } from '../lib/load.js';
import { type ManagedProcess, startBaseline, startFloor, startService } from '../lib/processes.js';
import { cpuRow, latencyRow, type WorkloadOutcome } from '../lib/report.js';
import { randomValue } from '../lib/seed.js';
import { verifyFloorChain } from './reads.js';

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
    const fdb = await createDatabase('w2_floor');
    defer(() => fdb.drop());
    // Start-up is not measured here: start both at once.
    const starting = [
      startService({ label: 'w2-service', databaseUrl: sdb.url, profile: ctx.settings.profile }),
      startBaseline({ label: 'w2-baseline', databaseUrl: bdb.url, poolSize: ctx.settings.poolSize }),
      // The floor's companion: its migrations make the schema, its sealer chains the floor's rows.
      startService({ label: 'w2-floor-companion-service', databaseUrl: fdb.url }),
    ] as const;
    for (const p of starting) void p.then((proc) => defer(() => proc.stop()), () => undefined);
    const [svc, base, fsvc] = (await allSettledOrThrow<ManagedProcess>(starting)) as [ManagedProcess, ManagedProcess, ManagedProcess];
    const floor = await startFloor({ label: 'w2-floor', databaseUrl: fdb.url, poolSize: ctx.settings.poolSize });
    defer(() => floor.stop());

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
    const fcreated = await call(floor.url, 'POST', '/api/v1/secrets/', { token: ctx.token, body: { name: `w2-preflight-${run}`, secret_type: 'API_KEY', value } });
    expectStatus(fcreated, [201], 'floor pre-flight create');
    // Read back through the real service: the floor's rows must be rows the service serves.
    if ((await call(fsvc.url, 'GET', `/api/v1/secrets/${fcreated.body.id}/value`, { token: ctx.token })).body?.value !== value) {
      throw new Error('floor pre-flight: the created secret does not read back through the service');
    }
    const svcBefore = await countRows(sdb.url, 'secrets');
    const floorBefore = await countRows(fdb.url, 'secrets');
    const floorAuditBefore = await countRows(fdb.url, 'audit_events');
    const baseBefore = await countRows(bdb.url, 'baseline_secrets');

    const [s, b, f] = await measureSides(ctx.load, ctx.settings, [
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
      {
        label: 'floor',
        pid: floor.pid,
        extraPids: [fsvc.pid],
        database: fdb.name,
        target: (phase) => ({
          baseUrl: floor.url,
          method: 'POST',
          paths: ['/api/v1/secrets/'],
          headers: { authorization: `Bearer ${ctx.token}` },
          createBody: { namePrefix: `w2-${run}-${phase}`, secretType: 'API_KEY', valueLength: vlen },
        }),
      },
    ]);
    const floorM = f!;
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
      ...floorM.problems,
      ...check('floor', (await countRows(fdb.url, 'secrets')) - floorBefore, okTotal(floorM)),
      ...check('floor (audit rows)', (await countRows(fdb.url, 'audit_events')) - floorAuditBefore, okTotal(floorM)),
    ];
    const floorVerify = await verifyFloorChain(fdb.url, fsvc.url, ctx.token, 'floor');
    notes.push(...floorVerify.problems);
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
        { workload: 'W2', metric: 'floor (same SQL, no framework) vs baseline: throughput (info)', strongroom: floorM.rps, baseline: baseM.rps, unit: 'req/s', ratio: floorM.rps / baseM.rps, target: '—', pass: null },
        cpuRow('W2', 'floor vs baseline: CPU ms/request, server+PG (info)', floorM, baseM),
        { workload: 'W2', metric: 'service vs floor: throughput (info)', strongroom: svcM.rps, baseline: floorM.rps, unit: 'req/s', ratio: svcM.rps / floorM.rps, target: '—', pass: null },
      ],
      notes,
      details: {
        service: { medianRps: svcM.rps, cpuMsPerRequest: svcM.cpuMsPerRequest, runsRps: svcM.runs.map((r) => r.rps), fixed: svcM.fixed },
        baseline: { medianRps: baseM.rps, cpuMsPerRequest: baseM.cpuMsPerRequest, runsRps: baseM.runs.map((r) => r.rps), fixed: baseM.fixed },
        floor: { medianRps: floorM.rps, cpuMsPerRequest: floorM.cpuMsPerRequest, runsRps: floorM.runs.map((r) => r.rps), fixed: floorM.fixed },
        floorVerify: floorVerify.verify,
      },
    };
  });
}
