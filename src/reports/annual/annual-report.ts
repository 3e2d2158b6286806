import type { ReportCellValue } from '../render/index.js';
import { formatDate } from '../render/pdf-text.js';
import { chart, item, shortLabel, table, text } from '../document-parts.js';
import { COMPLIANCE_STANDARDS, type ReportBody, type ReportPeriod } from '../reports.types.js';
import type { Db } from '../shared/posture.queries.js';
import { STANDARDS } from '../compliance/compliance-controls.js';
import { complianceByMonth, type MonthlyCompliance, type MonthlyScores, type ScoreTotals, securityScoreTotals, securityScoresByMonth } from './annual.queries.js';

export interface AnnualFacts {
  period: ReportPeriod;
  scores: MonthlyScores[];
  totals: ScoreTotals;
  compliance: MonthlyCompliance[];
}

export async function annualFacts(db: Db, period: ReportPeriod): Promise<AnnualFacts> {
  const [scores, totals, compliance] = await Promise.all([securityScoresByMonth(db, period), securityScoreTotals(db, period), complianceByMonth(db, period)]);
  return { period, scores, totals, compliance };
}

/** Every UTC month (YYYY-MM) the period touches. */
export function monthsOf(p: ReportPeriod): string[] {
  const out: string[] = [];
  let y = p.from.getUTCFullYear();
  let m = p.from.getUTCMonth();
  while (Date.UTC(y, m, 1) < p.to.getTime()) {
    out.push(`${y}-${String(m + 1).padStart(2, '0')}`);
    m += 1;
    if (m === 12) {
      m = 0;
      y += 1;
    }
  }
  return out;
}

const statusCell = (c: MonthlyCompliance | undefined): ReportCellValue => (c ? `${c.status ?? '?'} (${c.pass}/${c.warn}/${c.fail})` : null);

export function buildAnnualReport(f: AnnualFacts): ReportBody {
  const months = monthsOf(f.period);
  const scoreBy = new Map(f.scores.map((s) => [s.month, s]));
  const compBy = new Map(f.compliance.map((c) => [`${c.standard}|${c.month}`, c]));
  const standardsRows = COMPLIANCE_STANDARDS.map((standard) => {
    const mine = f.compliance.filter((c) => c.standard === standard);
    const latest = [...mine].sort((a, b) => (a.month < b.month ? 1 : -1))[0];
    return {
      standard: STANDARDS[standard].name,
      months_reported: mine.length,
      months_pass: mine.filter((c) => c.status === 'pass').length,
      months_warn: mine.filter((c) => c.status === 'warn').length,
      months_fail: mine.filter((c) => c.status === 'fail').length,
      latest_status: latest?.status ?? null,
      latest_month: latest?.month ?? null,
    };
  });
  const monthsWithFail = new Set(f.compliance.filter((c) => c.status === 'fail').map((c) => c.month)).size;
  const t = f.totals;
  return {
    title: 'Annual security assessment',
    subtitle: `Compliance summaries and security scores, ${formatDate(f.period.from.toISOString())} to ${formatDate(new Date(f.period.to.getTime() - 1).toISOString())}`,
    summary: [
      item('average_security_score', 'Average security score', t.average ?? 'n/a'),
      item('lowest_security_score', 'Lowest security score', t.min ?? 'n/a'),
      item('latest_security_score', 'Latest security score', t.latest ?? 'n/a'),
      item('security_reports', 'Security reports', t.reports),
      item('compliance_summaries', 'Compliance summaries', f.compliance.length),
      item('months_with_failed_controls', 'Months with a failed control', monthsWithFail),
    ],
    sections: [
      text('overview', 'Overview', [
        "The year's stored compliance summaries and daily security scores side by side, month by month. A compliance cell reads status (passed/warned/failed controls) of the latest summary stored for that standard and month; empty cells mean no summary was generated.",
        'Figures come from the stored, signed reports; each can be downloaded and verified on its own.',
      ]),
      table(
        'year-side-by-side',
        'Security scores and compliance by month',
        [
          ['month', 'Month'],
          ['security_reports', 'Security reports'],
          ['average_score', 'Average score'],
          ['lowest_score', 'Lowest'],
          ['highest_score', 'Highest'],
          ...COMPLIANCE_STANDARDS.map((s) => [s, STANDARDS[s].name] as [string, string]),
        ],
        months.map((month) => {
          const s = scoreBy.get(month);
          return {
            month,
            security_reports: s?.reports ?? 0,
            average_score: s?.average ?? null,
            lowest_score: s?.min ?? null,
            highest_score: s?.max ?? null,
            ...Object.fromEntries(COMPLIANCE_STANDARDS.map((std) => [std, statusCell(compBy.get(`${std}|${month}`))])),
          };
        }),
      ),
      chart(
        'score-by-month',
        'Average security score by month',
        months.map((m) => ({ label: shortLabel(m), value: scoreBy.get(m)?.average ?? 0 })),
        'points',
      ),
      table(
        'compliance-by-standard',
        'Compliance summaries by standard',
        [
          ['standard', 'Standard'],
          ['months_reported', 'Months reported'],
          ['months_pass', 'Pass'],
          ['months_warn', 'Warn'],
          ['months_fail', 'Fail'],
          ['latest_status', 'Latest status'],
          ['latest_month', 'Latest month'],
        ],
        standardsRows,
      ),
      table(
        'compliance-summaries',
        'Compliance summaries used',
        [
          ['month', 'Month'],
          ['standard', 'Standard'],
          ['status', 'Status'],
          ['pass', 'Pass'],
          ['warn', 'Warn'],
          ['fail', 'Fail'],
          ['report_id', 'Report'],
        ],
        f.compliance.map((c) => ({ month: c.month, standard: c.standard, status: c.status, pass: c.pass, warn: c.warn, fail: c.fail, report_id: c.reportId })),
        { empty: 'No compliance summary was stored for this period.' },
      ),
    ],
    metrics: {
      security_reports: t.reports,
      average_security_score: t.average,
      lowest_security_score: t.min,
      highest_security_score: t.max,
      latest_security_score: t.latest,
      compliance_summaries: f.compliance.length,
      months_with_failed_controls: monthsWithFail,
    },
  };
}

export async function annualReport(db: Db, period: ReportPeriod): Promise<ReportBody> {
  return buildAnnualReport(await annualFacts(db, period));
}
