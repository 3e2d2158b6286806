import { num, numOrNull } from '../document-parts.js';
import type { ReportPeriod } from '../reports.types.js';
import type { Db } from '../shared/posture.queries.js';

/** The annual assessment reads the year's stored reports (their `metrics`), aggregated in SQL. */

export interface MonthlyScores {
  month: string;
  reports: number;
  average: number | null;
  min: number | null;
  max: number | null;
}

/** Security scores of the stored security reports generated in the period, per UTC month. */
export async function securityScoresByMonth(db: Db, p: ReportPeriod): Promise<MonthlyScores[]> {
  const rows = (await db.query(
    `SELECT to_char(generated_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS reports,
       round(avg((document->'metrics'->>'security_score')::numeric), 1) AS average,
       min((document->'metrics'->>'security_score')::numeric) AS min,
       max((document->'metrics'->>'security_score')::numeric) AS max
     FROM reports WHERE kind = 'security' AND generated_at >= $1 AND generated_at < $2
     GROUP BY 1 ORDER BY 1`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({ month: String(r.month), reports: num(r.reports), average: numOrNull(r.average), min: numOrNull(r.min), max: numOrNull(r.max) }));
}

export interface ScoreTotals {
  reports: number;
  average: number | null;
  min: number | null;
  max: number | null;
  latest: number | null;
}

export async function securityScoreTotals(db: Db, p: ReportPeriod): Promise<ScoreTotals> {
  const [r] = (await db.query(
    `SELECT count(*) AS reports,
       round(avg((document->'metrics'->>'security_score')::numeric), 1) AS average,
       min((document->'metrics'->>'security_score')::numeric) AS min,
       max((document->'metrics'->>'security_score')::numeric) AS max,
       (SELECT (document->'metrics'->>'security_score')::numeric FROM reports
         WHERE kind = 'security' AND generated_at >= $1 AND generated_at < $2 ORDER BY generated_at DESC, id DESC LIMIT 1) AS latest
     FROM reports WHERE kind = 'security' AND generated_at >= $1 AND generated_at < $2`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return { reports: num(r?.reports), average: numOrNull(r?.average), min: numOrNull(r?.min), max: numOrNull(r?.max), latest: numOrNull(r?.latest) };
}

export interface MonthlyCompliance {
  month: string;
  standard: string;
  reportId: string;
  status: string | null;
  pass: number;
  warn: number;
  fail: number;
}

/**
 * The latest stored compliance summary per standard and month (the month its period starts in),
 * for periods starting within the assessment period.
 */
export async function complianceByMonth(db: Db, p: ReportPeriod): Promise<MonthlyCompliance[]> {
  const rows = (await db.query(
    `SELECT DISTINCT ON (standard, month) standard, month, id, status, pass, warn, fail FROM (
       SELECT standard, to_char(period_from AT TIME ZONE 'UTC', 'YYYY-MM') AS month, id, generated_at,
         document->'metrics'->>'overall_status' AS status,
         (document->'metrics'->>'controls_pass')::int AS pass,
         (document->'metrics'->>'controls_warn')::int AS warn,
         (document->'metrics'->>'controls_fail')::int AS fail
       FROM reports WHERE kind = 'compliance' AND period_from >= $1 AND period_from < $2 AND standard IS NOT NULL) c
     ORDER BY standard, month, generated_at DESC, id DESC`,
    [p.from, p.to],
  )) as Record<string, unknown>[];
  return rows.map((r) => ({
    month: String(r.month),
    standard: String(r.standard),
    reportId: String(r.id),
    status: (r.status as string | null) ?? null,
    pass: num(r.pass),
    warn: num(r.warn),
    fail: num(r.fail),
  }));
}
