import { ApiError, type ApiErrorKind } from '../client/index.js';

/** Exit codes scripts can rely on (documented in `strongroom --help` and the README). */
export const EXIT = {
  ok: 0,
  /** Anything else: a server error, a failed task, an unexpected answer. */
  error: 1,
  /** Bad command line or input the service rejected (400). */
  usage: 2,
  notFound: 3,
  denied: 4,
  conflict: 5,
  /** The service cannot be reached, or answered 429/502/503/504. */
  unavailable: 6,
  /** A verification ran and failed (audit chain, backup checksum). */
  verifyFailed: 7,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  other error (server error, failed task)
  2  usage: bad arguments, or input the service rejected (HTTP 400)
  3  not found (HTTP 404/410, or no secret of that name)
  4  denied (HTTP 401/403: no, expired or insufficient token)
  5  conflict (HTTP 409, e.g. put --expected-version is stale)
  6  unavailable (cannot connect, HTTP 429/502/503/504)
  7  verification failed (audit verify, backup verify)
  strongroom run exits with the command's own exit code (128+N when a signal N ended it).`;

const EXIT_OF_KIND: Record<ApiErrorKind, number> = {
  invalid: EXIT.usage,
  denied: EXIT.denied,
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  unavailable: EXIT.unavailable,
  error: EXIT.error,
};

/** An error the CLI itself reports, with the exit code it ends with. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof ApiError) return EXIT_OF_KIND[e.kind];
  return EXIT.error;
}

export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    const where = e.status ? ` (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})` : '';
    return `${e.message}${where}`;
  }
  return e instanceof Error ? e.message : String(e);
}

export type OutputFormat = 'json' | 'table' | 'dotenv';
export const OUTPUT_FORMATS: OutputFormat[] = ['json', 'table', 'dotenv'];

type Row = Record<string, unknown>;

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') {
    // Tags and periods: compact, one line.
    return Object.entries(v as Row)
      .map(([k, x]) => `${k}:${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
      .join(',') || '-';
  }
  return String(v);
};

/** `DB password` → `DB_PASSWORD`: a name usable as an environment variable. */
export const envName = (s: string) => {
  const n = s.toUpperCase().replace(/[^A-Z0-9_]+/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
};

/** POSIX-shell-safe single quoting, which dotenv loaders and `set -a; . file` both read. */
const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

function dotenvLines(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => dotenvLines(v, `${prefix}ITEM${i}_`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Row).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? dotenvLines(v, `${prefix}${envName(k)}_`) : [`${prefix}${envName(k)}=${quote(cell(v))}`],
    );
  }
  return [`${prefix.replace(/_$/, '') || 'VALUE'}=${quote(String(value))}`];
}

/** Renders a result: a list as columns, an object as `key  value` lines, or JSON / dotenv. */
export function render(format: OutputFormat, data: unknown, columns?: string[]): string {
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n';
  if (format === 'dotenv') return dotenvLines(data).join('\n') + '\n';
  if (Array.isArray(data)) {
    const rows = data as Row[];
    const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
    const table = [cols.map((c) => c.toUpperCase()), ...rows.map((r) => cols.map((c) => cell(r[c])))];
    const widths = cols.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
    return table.map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
  }
  if (data !== null && typeof data === 'object') {
    const entries = Object.entries(data as Row);
    const width = Math.max(...entries.map(([k]) => k.length));
    return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n') + '\n';
  }
  return String(data) + '\n';
}
