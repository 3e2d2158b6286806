import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS); null once it is gone. */
export function readRss(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `intervalMs` (100 ms by default) until stopped. */
export class RssSampler {
  readonly start: number;
  peak: number;
  last: number;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.start = readRss(pid) ?? 0;
    this.peak = this.start;
    this.last = this.start;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const rss = readRss(this.pid);
    if (rss === null) return;
    this.samples++;
    this.last = rss;
    if (rss > this.peak) this.peak = rss;
  }

  stop(): { startMb: number; peakMb: number; endMb: number; growthMb: number; samples: number } {
    this.sample();
    clearInterval(this.timer);
    const mb = (b: number) => b / (1024 * 1024);
    return { startMb: mb(this.start), peakMb: mb(this.peak), endMb: mb(this.last), growthMb: mb(this.peak - this.start), samples: this.samples };
  }
}
