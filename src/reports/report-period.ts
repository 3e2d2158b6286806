import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import type { ReportKind, ReportPeriod } from './reports.types.js';

const HOUR_MS = 3_600_000;

const utc = (y: number, m: number, d = 1) => new Date(Date.UTC(y, m, d));

/** The calendar month before the one `now` is in. */
export function previousMonth(now: Date): ReportPeriod {
  return { from: utc(now.getUTCFullYear(), now.getUTCMonth() - 1), to: utc(now.getUTCFullYear(), now.getUTCMonth()) };
}

/** From the first of the current month up to `now`. */
export function monthToDate(now: Date): ReportPeriod {
  return { from: utc(now.getUTCFullYear(), now.getUTCMonth()), to: new Date(now.getTime()) };
}

/** The calendar quarter before the one `now` is in. */
export function previousQuarter(now: Date): ReportPeriod {
  const q = Math.floor(now.getUTCMonth() / 3);
  return { from: utc(now.getUTCFullYear(), (q - 1) * 3), to: utc(now.getUTCFullYear(), q * 3) };
}

export function previousYear(now: Date): ReportPeriod {
  return { from: utc(now.getUTCFullYear() - 1, 0), to: utc(now.getUTCFullYear(), 0) };
}

/**
 * The period a scheduled report covers when generated at `now`: security — the 24 h before;
 * compliance — the previous calendar month; access review — the previous quarter; annual — the
 * previous year.
 */
export function defaultPeriod(kind: ReportKind, now: Date): ReportPeriod {
  switch (kind) {
    case 'security':
      return { from: new Date(now.getTime() - 24 * HOUR_MS), to: new Date(now.getTime()) };
    case 'compliance':
      return previousMonth(now);
    case 'access_review':
      return previousQuarter(now);
    case 'annual':
      return previousYear(now);
  }
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A period asked for by a caller. `from`/`to` are ISO dates or timestamps; a date-only `to` means
 * "up to the end of that day". Missing bounds fall back to the kind's default period; a period
 * reaching past `now` is cut at `now` (a report cannot cover the future).
 */
export function requestedPeriod(kind: ReportKind, now: Date, from?: string, to?: string): ReportPeriod {
  if (from === undefined && to === undefined) return defaultPeriod(kind, now);
  const fallback = defaultPeriod(kind, now);
  const start = from === undefined ? fallback.from : parseBound(from, 'from');
  let end = to === undefined ? (from === undefined ? fallback.to : new Date(now.getTime())) : parseBound(to, 'to');
  if (to !== undefined && DATE_ONLY.test(to)) end = new Date(end.getTime() + 24 * HOUR_MS);
  if (end.getTime() > now.getTime()) end = new Date(now.getTime());
  if (!(start.getTime() < end.getTime())) {
    throw new DomainError(DomainErrorCode.InvalidInput, 'the period is empty: from must be before to (and before now)');
  }
  if (end.getTime() - start.getTime() > 366 * 24 * HOUR_MS + HOUR_MS) {
    throw new DomainError(DomainErrorCode.InvalidInput, 'a report covers at most one year');
  }
  return { from: start, to: end };
}

function parseBound(value: string, name: string): Date {
  const d = new Date(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(d.getTime())) throw new DomainError(DomainErrorCode.InvalidInput, `${name} is not an ISO date`);
  return d;
}

/**
 * The period as written in a document: ISO timestamps, `to` inclusive (the last millisecond), so a
 * month reads "1 Nov 2026 – 30 Nov 2026".
 */
export function documentPeriod(p: ReportPeriod): { from: string; to: string } {
  return { from: p.from.toISOString(), to: new Date(p.to.getTime() - 1).toISOString() };
}
