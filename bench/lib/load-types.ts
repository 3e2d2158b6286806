import type { Percentiles } from './stats.js';

/** What to send: serialisable, so it crosses into the load worker process. */
export interface TargetSpec {
  baseUrl: string;
  method: 'GET' | 'POST';
  /** Request paths, used round-robin. */
  paths: string[];
  headers: Record<string, string>;
  /** POST bodies `{name, secret_type, value}` with a unique name per request. */
  createBody?: { namePrefix: string; secretType: string; valueLength: number };
}

export type LoadJob =
  | { id: number; kind: 'max'; target: TargetSpec; connections: number; seconds: number }
  | { id: number; kind: 'fixed'; target: TargetSpec; connections: number; seconds: number; warmupSeconds: number; rate: number };

/** A closed-loop autocannon run: `connections` connections, each sends its next request when the last is answered. */
export interface MaxResult {
  kind: 'max';
  seconds: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** autocannon's own figures (whole milliseconds, closed loop): for information only. */
  autocannonLatencyMs: { p50: number; p99: number };
}

/** An open-loop run: requests are issued on a fixed schedule; latency counts from the scheduled time. */
export interface FixedResult {
  kind: 'fixed';
  targetRate: number;
  achievedRate: number;
  seconds: number;
  measured: number;
  ok: number;
  /** 2xx answers including the open-loop run's own warm-up second. */
  okAll: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Milliseconds, with sub-millisecond resolution. */
  latencyMs: Percentiles;
  /** How far behind its schedule the generator itself fell at worst (ms). */
  maxScheduleLagMs: number;
}

export type WorkerReply = { id: number; ok: true; result: MaxResult | FixedResult } | { id: number; ok: false; error: string };
