import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

export const WORKLOADS = ['W1', 'W1b', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** Sizes and durations of one harness run. Both sides of a comparison always get the same ones. */
export interface BenchSettings {
  quick: boolean;
  /** Concurrent HTTP connections of every load run (service and baseline alike). */
  connections: number;
  /** PostgreSQL pool size of the service and of the baseline. */
  poolSize: number;
  warmupSeconds: number;
  measuredRuns: number;
  runSeconds: number;
  /** Open-loop run at half the measured maximum, for latency percentiles (after its own warm-up). */
  fixedRateSeconds: number;
  fixedWarmupSeconds: number;
  /** Secrets the read workload (W1) spreads its requests over. */
  readSetSize: number;
  listSecrets: number;
  rotateKeys: number;
  reportSecrets: number;
  auditEventsSmall: number;
  auditEventsLarge: number;
  coldStartRuns: number;
  /** Value length of seeded and posted secrets (an API key). */
  valueLength: number;
  profile: boolean;
}

export function settingsFor(quick: boolean, profile: boolean): BenchSettings {
  return quick
    ? {
        quick,
        connections: 10,
        poolSize: 10,
        warmupSeconds: 1,
        measuredRuns: 3,
        runSeconds: 1.5,
        fixedRateSeconds: 1.5,
        fixedWarmupSeconds: 0.5,
        readSetSize: 1000,
        listSecrets: 10_000,
        rotateKeys: 1_000,
        reportSecrets: 10_000,
        auditEventsSmall: 10_000,
        auditEventsLarge: 100_000,
        coldStartRuns: 1,
        valueLength: 40,
        profile,
      }
    : {
        quick,
        connections: 10,
        poolSize: 10,
        warmupSeconds: 5,
        measuredRuns: 3,
        runSeconds: 10,
        fixedRateSeconds: 10,
        fixedWarmupSeconds: 1,
        readSetSize: 1000,
        listSecrets: 100_000,
        rotateKeys: 10_000,
        reportSecrets: 100_000,
        auditEventsSmall: 100_000,
        auditEventsLarge: 1_000_000,
        coldStartRuns: 3,
        valueLength: 40,
        profile,
      };
}

/** Key material of one harness run (fresh every run; never a real key). */
export const RUN_KEYS = {
  jwtSecret: `bench-${randomBytes(24).toString('hex')}`,
  encryptionKey: randomBytes(32).toString('base64'),
};

export const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
