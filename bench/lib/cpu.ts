import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

function cpuTimes(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!; // "cpu  user nice system idle iowait irq softirq steal …"
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { idle, total: v.reduce((a, b) => a + b, 0) };
}

/**
 * Share of the machine's CPU (0..1) busy over `ms` while the harness itself is idle: work by
 * other processes that will compete with the measurement. Null where /proc/stat is missing.
 */
export async function backgroundCpu(ms = 1000): Promise<number | null> {
  try {
    const a = cpuTimes();
    await delay(ms);
    const b = cpuTimes();
    const total = b.total - a.total;
    return total > 0 ? 1 - (b.idle - a.idle) / total : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; null once it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100/s)
  } catch {
    return null;
  }
}

/** CPU seconds of each PostgreSQL backend connected to a database at one moment, by pid. */
export type BackendsCpu = Map<number, number>;

/** CPU seconds of every PostgreSQL backend currently connected to `database`, by pid. */
export async function backendsCpuSeconds(database: string, query: (sql: string, params: unknown[]) => Promise<{ pid: number }[]>): Promise<BackendsCpu> {
  const rows = await query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  const cpu: BackendsCpu = new Map();
  for (const { pid } of rows) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== null) cpu.set(pid, seconds); // gone between the query and the read: not known
  }
  return cpu;
}

/**
 * CPU the backends spent between two snapshots, per backend: one that connected in between counts
 * from zero, one that disconnected in between (a pool closing an idle connection) is left out
 * rather than subtracted — a plain difference of sums went negative when that happened. So the
 * figure can only undercount: what a backend spent before disconnecting mid-run is lost.
 */
export function backendsCpuSpent(before: BackendsCpu, after: BackendsCpu): number {
  let spent = 0;
  for (const [pid, seconds] of after) spent += Math.max(0, seconds - (before.get(pid) ?? 0));
  return spent;
}
