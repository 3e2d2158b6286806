import { CronTime } from 'cron';

const SECOND = 1000;
/** How far back a schedule's previous fire is looked for (covers yearly and leap-day crons). */
const WINDOWS_S = [3_600, 400 * 86_400, 30 * 366 * 86_400];

/**
 * The schedule's latest fire time at or before `now` (UTC, second precision): the slot a cron
 * callback running at `now` is for. A callback that runs late (a paused replica, a busy event
 * loop) still maps to the fire it belongs to, never to the minute it happened to run in.
 * Returns `now` cut to the second when the expression has not fired in the last 30 years.
 */
export function previousFireTime(expression: string, now: Date): Date {
  const cron = new CronTime(expression, 'UTC');
  const nowS = Math.floor(now.getTime() / SECOND);
  // next(s) is the first fire strictly after second s; "next(s) > now" is monotone in s, and the
  // smallest s for which it holds is the latest fire ≤ now.
  const after = (s: number) => Math.floor(cron.getNextDateFrom(new Date(s * SECOND), 'UTC').toMillis() / SECOND) > nowS;
  for (const window of WINDOWS_S) {
    let lo = nowS - window;
    if (after(lo)) continue; // no fire in (lo, now]: look further back
    let hi = nowS; // after(hi) always holds
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (after(mid)) hi = mid;
      else lo = mid;
    }
    return new Date(hi * SECOND);
  }
  return new Date(nowS * SECOND);
}
