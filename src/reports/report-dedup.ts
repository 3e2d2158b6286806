import type { ReportSpec } from './reports.types.js';

/**
 * The identity of a stored report: kind, standard and period. At most one report is stored per
 * key (a unique index), so asking again for the same thing is answered from storage.
 *
 * A period that ends before now is its own key. A period that reaches now (the security report's
 * rolling 24 h, `to` left out or cut at now) would be new every millisecond; it is keyed by the
 * UTC hour it was asked in instead, so such a report is generated at most once an hour and
 * served from storage for the rest of it.
 */
export function reportDedupKey(spec: ReportSpec, now: Date, rolling = false): string {
  const head = `${spec.kind}:${spec.standard ?? '-'}`;
  const from = spec.period.from.toISOString();
  if (spec.period.to.getTime() < now.getTime()) return `${head}:${from}/${spec.period.to.toISOString()}`;
  return `${head}:${rolling ? 'rolling' : from}/now@${now.toISOString().slice(0, 13)}`;
}
