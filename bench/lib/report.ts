import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR } from './settings.js';

/** One line of the results table. */
export interface ResultRow {
  workload: string;
  metric: string;
  strongroom: number | null;
  baseline: number | null;
  unit: string;
  /** strongroom / baseline (or the figure the target is stated in), null where there is none. */
  ratio: number | null;
  target: string;
  pass: boolean | null;
  /** Why the comparison cannot be judged (e.g. a saturated open-loop run); printed as INVALID. */
  invalid?: string;
  /** Overrides for the printed cells ("not available", "error"). */
  text?: { strongroom?: string; baseline?: string; ratio?: string };
}

export type WorkloadStatus = 'ok' | 'not available' | 'error';

export interface WorkloadOutcome {
  id: string;
  title: string;
  status: WorkloadStatus;
  seconds: number;
  rows: ResultRow[];
  notes: string[];
  details: Record<string, unknown>;
}

export function notAvailableRow(workload: string, metric: string, target: string, why: string): ResultRow {
  return { workload, metric, strongroom: null, baseline: null, unit: '', ratio: null, target, pass: null, text: { strongroom: `not available (${why})`, baseline: '—', ratio: '—' } };
}

/**
 * A p99 comparison from two open-loop runs. If either run was saturated its percentiles measure
 * a growing queue, so the comparison is reported as invalid instead of passing or failing.
 */
export function latencyRow(
  base: Omit<ResultRow, 'ratio' | 'pass' | 'strongroom' | 'baseline' | 'unit'>,
  a: { p99: number; saturated: boolean },
  b: { p99: number; saturated: boolean },
  limit: number | null,
): ResultRow {
  const ratio = a.p99 / b.p99;
  const invalid = a.saturated || b.saturated;
  return {
    ...base,
    strongroom: a.p99,
    baseline: b.p99,
    unit: 'ms',
    ratio,
    pass: invalid || limit === null ? null : ratio <= limit,
    ...(invalid ? { invalid: `${a.saturated ? 'Strongroom' : 'baseline'} could not sustain the open-loop rate (saturated)` } : {}),
  };
}

/** Informational: CPU milliseconds per request (server process + its PostgreSQL backends). */
export function cpuRow(
  workload: string,
  metric: string,
  a: { cpuMsPerRequest: { server: number | null; postgres: number | null } },
  b: { cpuMsPerRequest: { server: number | null; postgres: number | null } },
): ResultRow {
  const total = (m: { server: number | null; postgres: number | null }) => (m.server === null ? null : m.server + (m.postgres ?? 0));
  const x = total(a.cpuMsPerRequest);
  const y = total(b.cpuMsPerRequest);
  const cell = (m: { server: number | null; postgres: number | null }) =>
    m.server === null ? '—' : `${m.server.toFixed(2)}+${(m.postgres ?? 0).toFixed(2)} ms`;
  return {
    workload,
    metric,
    strongroom: x,
    baseline: y,
    unit: 'ms',
    ratio: x !== null && y !== null ? x / y : null,
    target: '—',
    pass: null,
    text: { strongroom: cell(a.cpuMsPerRequest), baseline: cell(b.cpuMsPerRequest) },
  };
}

function fmt(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function renderTable(outcomes: WorkloadOutcome[]): string {
  const header = ['Workload', 'Metric', 'Strongroom', 'Baseline', 'Ratio', 'Target', 'Result'];
  const lines: string[][] = [];
  for (const o of outcomes) {
    if (o.rows.length === 0) {
      lines.push([o.id, o.title, o.status === 'error' ? 'error' : o.status, '—', '—', '—', o.status === 'error' ? 'ERROR' : 'n/a']);
      continue;
    }
    for (const r of o.rows) {
      lines.push([
        r.workload,
        r.metric,
        r.text?.strongroom ?? fmt(r.strongroom, r.unit),
        r.text?.baseline ?? fmt(r.baseline, r.unit),
        r.text?.ratio ?? (r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`),
        r.target,
        r.invalid ? 'INVALID' : r.pass === null ? 'n/a' : r.pass ? 'PASS' : 'FAIL',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const footnotes = outcomes.flatMap((o) => o.rows.filter((r) => r.invalid).map((r) => `INVALID ${r.workload} ${r.metric}: ${r.invalid}`));
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row), ...footnotes].join('\n');
}

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
}

export function machineFacts(postgres: string): MachineFacts {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    os: `${platform()} ${release()}`,
    node: process.version,
    postgres,
  };
}

export function writeLatest(doc: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, 'latest.json');
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
  return path;
}
