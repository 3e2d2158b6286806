import { setTimeout as delay } from 'node:timers/promises';

/** Time as a port: tests move it forward instead of sleeping. */
export abstract class Clock {
  abstract now(): Date;
  /** Waits `ms` (retry backoff); a test clock may return at once. */
  abstract sleep(ms: number): Promise<void>;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
  async sleep(ms: number): Promise<void> {
    if (ms > 0) await delay(ms);
  }
}

export const DAY_MS = 86_400_000;
export const addDays = (d: Date, days: number) => new Date(d.getTime() + days * DAY_MS);
