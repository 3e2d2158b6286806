/**
 * W3: bulk rotation of N API keys in the local store. POST /api/v1/secrets/rotate-bulk
 * {"secret_type":"API_KEY"} → 202 {task_id, status_url}; GET the status every 250 ms until
 * completed or failed. Timed from the POST to the first "completed"; the service's RSS is
 * sampled every 100 ms from just before the POST to the end.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type BenchContext, call, withCleanup } from '../lib/context.js';
import { createDatabase, withClient } from '../lib/db.js';
import { startService } from '../lib/processes.js';
import { notAvailableRow, type WorkloadOutcome } from '../lib/report.js';
import { RssSampler } from '../lib/rss.js';
import { seedServiceSecrets } from '../lib/seed.js';

const TIME_LIMIT_S = 30;
const RSS_LIMIT_MB = 50;

export async function w3(ctx: BenchContext): Promise<Omit<WorkloadOutcome, 'seconds'>> {
  const n = ctx.settings.rotateKeys;
  return withCleanup(async (defer) => {
    const db = await createDatabase('w3');
    defer(() => db.drop());
    const svc = await startService({ label: 'w3-service', databaseUrl: db.url, profile: ctx.settings.profile });
    defer(() => svc.stop());
    await seedServiceSecrets(db.url, n, { prefix: 'w3', type: 'API_KEY', valueLength: ctx.settings.valueLength });

    const sampler = new RssSampler(svc.pid);
    const t0 = performance.now();
    const started = await call(svc.url, 'POST', '/api/v1/secrets/rotate-bulk', { token: ctx.token, body: { secret_type: 'API_KEY' } });
    if (started.status === 404) {
      sampler.stop();
      return {
        id: 'W3',
        title: `bulk rotation of ${n} API keys`,
        status: 'not available',
        rows: [
          notAvailableRow('W3', `bulk rotation, ${n} keys`, `≤ ${TIME_LIMIT_S} s`, 'POST rotate-bulk → 404'),
          notAvailableRow('W3', 'bulk rotation: peak RSS growth', `≤ +${RSS_LIMIT_MB} MB`, 'POST rotate-bulk → 404'),
        ],
        notes: [],
        details: { response: started.text.slice(0, 300) },
      };
    }
    if (started.status !== 202 && started.status !== 200 && started.status !== 201) {
      sampler.stop();
      throw new Error(`rotate-bulk answered ${started.status}: ${started.text.slice(0, 300)}`);
    }
    const taskId = started.body?.task_id as string;
    const statusPath = typeof started.body?.status_url === 'string' && started.body.status_url.startsWith('/')
      ? (started.body.status_url as string)
      : `/api/v1/secrets/task/${taskId}/status`;
    // Give up at 4× the target (the figure is a FAIL either way) so a slow rotation cannot stall the run.
    const deadline = Date.now() + TIME_LIMIT_S * 4 * 1000;
    let last: { status?: string; progress?: { done?: number; total?: number } } = {};
    let seconds = Number.NaN;
    for (;;) {
      const r = await call(svc.url, 'GET', statusPath, { token: ctx.token });
      if (r.status === 404 && !last.status) {
        sampler.stop();
        return {
          id: 'W3',
          title: `bulk rotation of ${n} API keys`,
          status: 'not available',
          rows: [notAvailableRow('W3', `bulk rotation, ${n} keys`, `≤ ${TIME_LIMIT_S} s`, 'task status → 404')],
          notes: [],
          details: { response: r.text.slice(0, 300) },
        };
      }
      last = r.body ?? {};
      if (last.status === 'completed' || last.status === 'failed') {
        seconds = (performance.now() - t0) / 1000;
        break;
      }
      if (Date.now() > deadline) break;
      await delay(250);
    }
    const rss = sampler.stop();
    const rotated = await withClient(db.url, async (c) =>
      Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM secrets WHERE secret_type = 'API_KEY' AND current_version > 1")).rows[0]!.n),
    );
    const notes: string[] = [];
    if (last.status !== 'completed') {
      notes.push(`task ${last.status === 'failed' ? 'failed' : `still ${last.status ?? 'unknown'} after ${TIME_LIMIT_S * 4} s`} (progress ${JSON.stringify(last.progress)})`);
    }
    if (rotated !== n) notes.push(`${rotated} of ${n} API keys have a new current version`);
    const done = last.status === 'completed';
    return {
      id: 'W3',
      title: `bulk rotation of ${n} API keys`,
      status: 'ok',
      rows: [
        {
          workload: 'W3',
          metric: `bulk rotation, ${n} keys`,
          strongroom: done ? seconds : null,
          baseline: null,
          unit: 's',
          ratio: null,
          target: `≤ ${TIME_LIMIT_S} s`,
          pass: done && seconds <= TIME_LIMIT_S && rotated === n,
          ...(done
            ? {}
            : { text: { strongroom: `${last.status ?? 'unfinished'} after ${((performance.now() - t0) / 1000).toFixed(0)} s (${last.progress?.done ?? '?'}/${last.progress?.total ?? '?'})` } }),
        },
        {
          workload: 'W3',
          metric: 'bulk rotation: peak RSS growth',
          strongroom: rss.growthMb,
          baseline: null,
          unit: 'MB',
          ratio: null,
          target: `≤ +${RSS_LIMIT_MB} MB`,
          pass: rss.growthMb <= RSS_LIMIT_MB,
          text: { strongroom: `+${rss.growthMb.toFixed(1)} MB (${rss.startMb.toFixed(0)}→${rss.peakMb.toFixed(0)})` },
        },
      ],
      notes,
      details: { keys: n, seconds, finalStatus: last, rotated, rss },
    };
  });
}
