import type { LoadGenerator } from './load.js';
import type { BenchSettings, WorkloadId } from './settings.js';

export interface BenchContext {
  settings: BenchSettings;
  load: LoadGenerator;
  /** Admin JWT for the service. */
  token: string;
  /** Measurements shared between workloads of one run (W1's audit-on figure serves W1b). */
  cache: Map<string, unknown>;
  selected: Set<WorkloadId>;
}

export interface CallResult {
  status: number;
  body: any;
  text: string;
  ms: number;
}

/** One JSON request from the harness (not load: sanity checks, polling, page walks). */
export async function call(baseUrl: string, method: string, path: string, o: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<CallResult> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const t0 = performance.now();
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(o.timeoutMs ?? 600_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, text, ms };
}

export function expectStatus(r: CallResult, expected: number[], what: string): void {
  if (!expected.includes(r.status)) throw new Error(`${what}: expected HTTP ${expected.join('/')} but got ${r.status}: ${r.text.slice(0, 500)}`);
}

/** Runs `fn` with a cleanup stack that always unwinds (processes stopped, databases dropped). */
export async function withCleanup<T>(fn: (defer: (f: () => Promise<unknown> | unknown) => void) => Promise<T>): Promise<T> {
  const stack: (() => Promise<unknown> | unknown)[] = [];
  try {
    return await fn((f) => stack.push(f));
  } finally {
    for (const f of stack.reverse()) {
      try {
        await f();
      } catch (e) {
        console.error(`    cleanup failed: ${(e as Error).message}`);
      }
    }
  }
}

/** Like Promise.all, but waits for every promise before throwing the first error (so each one's cleanup is registered). */
export async function allSettledOrThrow<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
