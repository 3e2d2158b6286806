import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ADMIN_URL } from './settings.js';

/** A database created for one workload (one side of it) and dropped afterwards. */
export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const live = new Set<BenchDatabase>();

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export async function createDatabase(label: string): Promise<BenchDatabase> {
  const name = `bench_${label.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db: BenchDatabase = {
    name,
    url: url.toString(),
    async drop() {
      live.delete(db);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
  live.add(db);
  return db;
}

/** Drops every database this harness created and has not dropped yet (on error or ^C). */
export async function dropAllDatabases(): Promise<void> {
  for (const db of [...live]) await db.drop().catch(() => undefined);
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function postgresVersion(): Promise<string> {
  const [row] = await adminQuery<{ server_version: string }>('SHOW server_version');
  return row?.server_version ?? 'unknown';
}

/** One CSV field as PostgreSQL's CSV format reads it: unquoted empty is NULL, "" is an empty string. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  if (s === '' || /[",\n\r]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/**
 * Streams rows into `table` with COPY … FROM STDIN through psql (no extra npm package needed).
 * `rows` yields CSV lines (each ending in \n); backpressure is honoured.
 */
export async function copyIn(url: string, table: string, columns: string[], rows: Iterable<string>): Promise<void> {
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const stdin = child.stdin;
  let buffer = '';
  for (const line of rows) {
    buffer += line;
    if (buffer.length > 1 << 20) {
      const ok = stdin.write(buffer);
      buffer = '';
      if (!ok) await new Promise<void>((r) => stdin.once('drain', () => r()));
    }
  }
  if (buffer) stdin.write(buffer);
  stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`COPY into ${table} failed (psql exit ${code}): ${stderr.trim()}`);
}

/** Runs `COPY (query) TO STDOUT WITH CSV` through psql, counting rows and bytes; returns the elapsed time. */
export async function copyOutCount(url: string, query: string): Promise<{ rows: number; bytes: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', `COPY (${query}) TO STDOUT WITH CSV`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let rows = 0;
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) rows++;
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  if (code !== 0) throw new Error(`COPY out failed (psql exit ${code}): ${stderr.trim()}`);
  return { rows, bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
