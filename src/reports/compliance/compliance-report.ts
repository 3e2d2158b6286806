import type { ChainCheck } from '../audit-chain.js';
import { chart, DAY_MS, daysOf, humanise, item, shortLabel, table, text } from '../document-parts.js';
import { formatDate, formatDateTime } from '../render/pdf-text.js';
import type { ReportCellValue } from '../render/index.js';
import type { ComplianceStandard, ReportBody, ReportMetric, ReportPeriod } from '../reports.types.js';
import {
  auditActivity,
  completedIntegrityChecks,
  type Db,
  type DailyRotations,
  findingCounts,
  inventory,
  lastStoredReportAt,
  latestIntegrityCheck,
  rotationOutcomes,
  rotationsPerDay,
} from '../shared/posture.queries.js';
import { securityReportsIn } from './compliance.queries.js';
import { type ComplianceFacts, evaluateControls, RULE_TEXT, type RuleId, STANDARDS, worst } from './compliance-controls.js';
import { latestSignoff } from '../access-review-signoffs.service.js';

/** Gathers the evidence (aggregate queries) for a compliance summary. */
export async function complianceFacts(
  db: Db,
  period: ReportPeriod,
  now: Date,
  chain: ChainCheck,
  auditEnabled: boolean,
): Promise<{ facts: ComplianceFacts; perDay: DailyRotations[] }> {
  const recent = { from: new Date(period.to.getTime() - 35 * DAY_MS), to: period.to };
  const [inv, rotations, activity, integrity, integrityRecent, findings, lastReview, perDay, securityReports, lastSignoff] = await Promise.all([
    inventory(db, now),
    rotationOutcomes(db, period),
    auditActivity(db, period),
    latestIntegrityCheck(db, period.to),
    completedIntegrityChecks(db, recent),
    findingCounts(db, period),
    lastStoredReportAt(db, 'access_review', now),
    rotationsPerDay(db, period),
    securityReportsIn(db, period),
    latestSignoff(db, now),
  ]);
  const verdict = await chain.verifyChain();
  return {
    facts: {
      period,
      now,
      auditEnabled,
      inventory: inv,
      rotations,
      activity,
      chain: verdict,
      integrity,
      integrityRecent,
      findings,
      lastAccessReviewAt: lastReview,
      lastAccessReviewSignoff: lastSignoff,
      securityReportsInPeriod: securityReports,
    },
    perDay,
  };
}

/** An evidence value as a person reads it: "none", "yes"/"no", "1 Dec 2026, 23:47 UTC". */
const fmt = (v: ReportMetric): string => {
  if (v === null) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatDateTime(v);
  return typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
};

export function buildComplianceReport(standard: ComplianceStandard, facts: ComplianceFacts, perDay: DailyRotations[]): ReportBody {
  const def = STANDARDS[standard];
  const controls = evaluateControls(standard, facts);
  const count = (s: string) => controls.filter((c) => c.status === s).length;
  const overall = worst(controls.map((c) => c.status));

  const evidence: Record<string, ReportMetric> = {};
  const usedRules = new Set<RuleId>();
  for (const c of controls) {
    for (const o of c.outcomes) {
      usedRules.add(o.rule);
      Object.assign(evidence, o.evidence);
    }
  }
  const metrics: Record<string, ReportMetric> = {
    standard,
    overall_status: overall,
    controls_total: controls.length,
    controls_pass: count('pass'),
    controls_warn: count('warn'),
    controls_fail: count('fail'),
    ...evidence,
  };

  const rows: Array<Record<string, ReportCellValue>> = controls.map((c) => ({
    control: c.id,
    title: c.title,
    status: c.status,
    decided_by: c.outcomes.map((o) => `${humanise(o.rule)}: ${o.status}, ${o.decided_by}`).join('\n'),
    // One labelled item per line ("Keys expired: 0"), each measure once.
    evidence: c.outcomes
      .flatMap((o) => Object.entries(o.evidence).map(([k, v]) => `${humanise(k)}: ${fmt(v)}`))
      .filter((v, i, all) => all.indexOf(v) === i)
      .join('\n'),
    rules: c.outcomes.map((o) => o.rule).join(', '),
    // The deciding rules in plain words, one per line.
    rule_text: c.outcomes.map((o) => `${humanise(o.rule)}: ${RULE_TEXT[o.rule]}`).join('\n'),
  }));
  const perDayMap = new Map(perDay.map((d) => [d.day, d]));

  return {
    title: `${def.name} compliance summary`,
    subtitle: `Evidence from Strongroom for ${def.name}, ${formatDate(facts.period.from.toISOString())} to ${formatDate(new Date(facts.period.to.getTime() - 1).toISOString())}`,
    summary: [
      item('overall_status', 'Overall status', overall.toUpperCase()),
      item('controls_pass', 'Controls passed', count('pass')),
      item('controls_warn', 'Controls with warnings', count('warn')),
      item('controls_fail', 'Controls failed', count('fail')),
      item('secrets_total', 'Secrets under management', facts.inventory.total),
      item('rotations_completed', 'Rotations in the period', facts.rotations.completed),
    ],
    sections: [
      text('overview', 'Overview', [
        `The ${def.name} controls for which Strongroom, the secrets manager, provides evidence. Each control is decided by one or more rules (listed under "Rules"); a control has the worst status of its rules: fail, then warn, then pass.`,
        `Activity (rotations, audit rows, findings detected) is counted over the period ${formatDateTime(facts.period.from.toISOString())} to ${formatDateTime(facts.period.to.toISOString())}; the inventory (expired, overdue, owners) is measured at generation time, ${formatDateTime(facts.now.toISOString())}.`,
        'This summary is evidence for the controls named, not an attestation: controls outside the secrets manager (network, HR, physical) are not covered.',
      ]),
      table(
        'controls',
        'Controls',
        [
          ['control', 'Control'],
          ['title', 'Requirement'],
          ['status', 'Status'],
          ['decided_by', 'Finding'],
          ['evidence', 'Evidence'],
          ['rule_text', 'Rule'],
        ],
        rows,
        { description: `${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail; overall ${overall}.` },
      ),
      chart(
        'controls-by-status',
        'Controls by status',
        [
          { label: 'pass', value: count('pass') },
          { label: 'warn', value: count('warn') },
          { label: 'fail', value: count('fail') },
        ],
        'controls',
      ),
      table(
        'evidence',
        'Measured evidence',
        [
          ['metric', 'Measure'],
          ['value', 'Value'],
        ],
        Object.entries(evidence).map(([metric, value]) => ({ metric: humanise(metric), value: typeof value === 'number' ? value : fmt(value) })),
      ),
      chart(
        'rotations-per-day',
        'Rotations completed per day',
        daysOf(facts.period.from, facts.period.to).map((day) => ({ label: shortLabel(day), value: perDayMap.get(day)?.completed ?? 0 })),
        'rotations',
      ),
      table(
        'rules',
        'Rules',
        [
          ['rule', 'Rule'],
          ['text', 'Decides'],
        ],
        [...usedRules].map((r) => ({ rule: humanise(r), text: RULE_TEXT[r] })),
      ),
    ],
    metrics,
  };
}

export async function complianceReport(
  db: Db,
  standard: ComplianceStandard,
  period: ReportPeriod,
  now: Date,
  chain: ChainCheck,
  auditEnabled: boolean,
): Promise<ReportBody> {
  const { facts, perDay } = await complianceFacts(db, period, now, chain, auditEnabled);
  return buildComplianceReport(standard, facts, perDay);
}
