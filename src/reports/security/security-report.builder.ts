import type { ReportCellValue, ReportSection } from '../render/index.js';
import type { AuditChainResult } from '../audit-chain.js';
import { chart, daysBetween, daysOf, humanise, iso, item, listNote, shortLabel, table, text } from '../document-parts.js';
import type { ReportBody, ReportMetric, ReportPeriod } from '../reports.types.js';
import type { DailyRotations, FindingCounts, IntegrityResult, Inventory, RotationOutcomes, TypeStoreCount } from '../shared/posture.queries.js';
import type { FailedRotation, FindingRow, PreviousReport, RotationGroup, SecretRow } from './security-report.queries.js';
import { SCORE_RULES, securityScore } from './security-score.js';
import { formatDateTime } from '../render/pdf-text.js';
import type { IncidentReportRow } from '../../incidents/incidents.service.js';

/** Everything the security report shows, as gathered by SecurityReportQueries. */
export interface SecurityFacts {
  period: ReportPeriod;
  now: Date;
  inventory: Inventory;
  byTypeAndStore: TypeStoreCount[];
  expired: SecretRow[];
  expiring30d: SecretRow[];
  overdue: SecretRow[];
  neverRotated: SecretRow[];
  unused: Array<SecretRow & { lastRead: Date | null }>;
  unusedCount: number;
  withoutOwnerOrExpiry: SecretRow[];
  rotations: RotationOutcomes;
  rotationGroups: RotationGroup[];
  failedRotations: FailedRotation[];
  failureReasons: Array<{ reason: string; count: number }>;
  /** Window of the rotations-per-day chart (30 days ending with the period). */
  chartWindow: ReportPeriod;
  rotationsPerDay: DailyRotations[];
  valueReads: number;
  integrity: IntegrityResult | null;
  chain: AuditChainResult;
  findingCounts: FindingCounts;
  findings: FindingRow[];
  previous: PreviousReport | null;
  churn: { created: number; deleted: number } | null;
  /** Incidents whose lockout overlapped the period (opened before its end, not lifted before its start). */
  incidents: IncidentReportRow[];
}

/** Metrics compared with the previous report, in this order. */
const COMPARED: Array<[key: string, label: string]> = [
  ['security_score', 'Security score'],
  ['secrets_total', 'Secrets under management'],
  ['expired', 'Expired'],
  ['expiring_30d', 'Expiring within 30 days'],
  ['rotation_overdue', 'Rotation overdue'],
  ['never_rotated', 'Never rotated'],
  ['unused_90d', 'Unused for 90 days'],
  ['without_owner_or_expiry', 'Without owner tag or expiry'],
  ['rotations_completed', 'Rotations completed in the period'],
  ['rotations_failed', 'Rotations failed in the period'],
  ['open_findings', 'Open security findings'],
  ['audit_chain_valid', 'Audit chain valid'],
];

const secretColumns: Array<[string, string]> = [
  ['name', 'Secret'],
  ['id', 'ID'],
  ['type', 'Type'],
];

const base = (s: SecretRow): Record<string, ReportCellValue> => ({ name: s.name, id: s.id, type: s.secretType });

export function buildSecurityReport(f: SecurityFacts): ReportBody {
  const inv = f.inventory;
  const score = securityScore({
    expired: inv.expired,
    rotationOverdue: inv.rotationOverdue,
    rotationsFailedInPeriod: f.rotations.failed,
    expiring7d: inv.expiring7d,
    unused90d: f.unusedCount,
    withoutOwnerOrExpiry: inv.withoutOwnerOrExpiry,
    integrity: f.integrity ? { status: f.integrity.status, failures: f.integrity.failures, finishedAt: f.integrity.finishedAt } : null,
    asOf: f.period.to,
    auditChainValid: f.chain.valid,
    openCriticalFindings: f.findingCounts.openCritical,
    openWarningFindings: f.findingCounts.openWarning,
  });

  const metrics: Record<string, ReportMetric> = {
    security_score: score.score,
    deductions_total: 100 - score.score,
    secrets_total: inv.total,
    expired: inv.expired,
    expiring_7d: inv.expiring7d,
    expiring_30d: inv.expiring30d,
    rotation_overdue: inv.rotationOverdue,
    never_rotated: inv.neverRotated,
    unused_90d: f.unusedCount,
    without_owner: inv.withoutOwner,
    without_expiry: inv.withoutExpiry,
    without_owner_or_expiry: inv.withoutOwnerOrExpiry,
    rotations_completed: f.rotations.completed,
    rotations_failed: f.rotations.failed,
    value_reads: f.valueReads,
    open_findings: f.findingCounts.open,
    open_findings_critical: f.findingCounts.openCritical,
    open_findings_warning: f.findingCounts.openWarning,
    findings_detected: f.findingCounts.detectedInPeriod,
    integrity_check_status: f.integrity?.status ?? null,
    integrity_failures: f.integrity ? f.integrity.failures : null,
    audit_chain_valid: f.chain.valid,
    audit_events_checked: f.chain.checked,
    audit_events_unsealed: f.chain.unsealed,
    previous_report_id: f.previous?.id ?? null,
    incidents: f.incidents.length,
    incident_lockouts_in_force: f.incidents.filter((i) => i.liftedAt === null).length,
  };

  const byType = new Map<string, number>();
  for (const g of f.byTypeAndStore) byType.set(g.secretType, (byType.get(g.secretType) ?? 0) + g.count);
  const perDay = new Map(f.rotationsPerDay.map((d) => [d.day, d]));

  const sections: ReportSection[] = [
    text('overview', 'Overview', [
      `Security posture of the secrets under management at ${f.now.toISOString()}, with the activity of the period ${f.period.from.toISOString()} to ${f.period.to.toISOString()} (rotations, value reads, findings).`,
      'Inventory figures (expired, expiring, overdue, never rotated, unused, ownership) describe live secrets at generation time. A secret has an owner when it carries a non-empty "owner" or "team" tag; it is unused when it is older than 90 days and its value was not read in the last 90 days; its rotation is overdue when next_rotation_at has passed.',
      `The security score starts at 100 and loses the points listed under "Security score: deductions" (each rule capped), floored at 0. Score: ${score.score} / 100.`,
    ]),
    table(
      'score-deductions',
      'Security score: deductions',
      [
        ['rule_label', 'Rule'],
        ['reason', 'Reason'],
        ['count', 'Count'],
        ['points_each', 'Points each'],
        ['cap', 'Cap'],
        ['points', 'Deducted'],
      ],
      score.deductions.map((d) => ({ ...d, rule_label: humanise(d.rule) })),
      { description: `100 minus ${100 - score.score} = ${score.score}.`, empty: 'No deductions: the score is 100.' },
    ),
    table(
      'score-rules',
      'Security score: rules',
      [
        ['rule_label', 'Rule'],
        ['applies_to', 'Deducts for'],
        ['points_each', 'Points each'],
        ['cap', 'Cap'],
      ],
      scoreRulesRows(),
    ),
    chart(
      'secrets-by-type',
      'Secrets by type',
      [...byType.entries()].map(([label, value]) => ({ label, value })),
      'secrets',
    ),
    table(
      'secrets-by-type-store',
      'Secrets by type and store',
      [
        ['type', 'Type'],
        ['store', 'Store'],
        ['count', 'Secrets'],
      ],
      f.byTypeAndStore.map((g) => ({ type: g.secretType, store: g.store, count: g.count })),
      { description: `${inv.total} live secrets.`, empty: 'No secrets.' },
    ),
    table(
      'expired',
      'Expired secrets',
      [...secretColumns, ['expires_at', 'Expired at'], ['days_expired', 'Days expired'], ['owner', 'Owner']],
      f.expired.map((s) => ({ ...base(s), expires_at: iso(s.expiresAt), days_expired: daysBetween(s.expiresAt!, f.now), owner: s.owner })),
      { description: listNote(f.expired.length, inv.expired, 'expired secrets', 'longest expired first'), empty: 'No secret has expired.' },
    ),
    table(
      'expiring',
      'Secrets expiring within 30 days',
      [...secretColumns, ['expires_at', 'Expires at'], ['days_left', 'Days left'], ['owner', 'Owner']],
      f.expiring30d.map((s) => ({ ...base(s), expires_at: iso(s.expiresAt), days_left: daysBetween(f.now, s.expiresAt!), owner: s.owner })),
      {
        description: `${listNote(f.expiring30d.length, inv.expiring30d, 'secrets expiring within 30 days', 'soonest first')} ${inv.expiring7d === 1 ? '1 of them expires' : `${inv.expiring7d} of them expire`} within 7 days.`,
        empty: 'No secret expires within 30 days.',
      },
    ),
    table(
      'rotation-overdue',
      'Rotation overdue',
      [...secretColumns, ['next_rotation_at', 'Rotation due'], ['days_overdue', 'Days overdue'], ['last_rotated_at', 'Last rotated']],
      f.overdue.map((s) => ({
        ...base(s),
        next_rotation_at: iso(s.nextRotationAt),
        days_overdue: daysBetween(s.nextRotationAt!, f.now),
        last_rotated_at: iso(s.lastRotatedAt),
      })),
      { description: listNote(f.overdue.length, inv.rotationOverdue, 'secrets overdue for rotation', 'most overdue first'), empty: 'No rotation is overdue.' },
    ),
    table(
      'rotations-in-period',
      'Rotations in the period',
      [
        ['status', 'Outcome'],
        ['trigger', 'Trigger'],
        ['count', 'Rotations'],
      ],
      f.rotationGroups.map((g) => ({ status: g.status, trigger: g.trigger, count: g.count })),
      { description: `${f.rotations.completed} completed and ${f.rotations.failed} failed in the period.`, empty: 'No rotation finished in the period.' },
    ),
    table(
      'rotation-failure-reasons',
      'Rotation failure reasons',
      [
        ['reason', 'Reason'],
        ['count', 'Failed rotations'],
      ],
      f.failureReasons.map((r) => ({ reason: r.reason, count: r.count })),
      { empty: 'No rotation failed in the period.' },
    ),
    table(
      'failed-rotations',
      'Failed rotations',
      [
        ['secret', 'Secret'],
        ['secret_id', 'Secret ID'],
        ['rotation_id', 'Rotation'],
        ['trigger', 'Trigger'],
        ['attempts', 'Attempts'],
        ['finished_at', 'Failed at'],
        ['reason', 'Reason'],
      ],
      f.failedRotations.map((r) => ({
        secret: r.secretName,
        secret_id: r.secretId,
        rotation_id: r.id,
        trigger: r.trigger,
        attempts: r.attempts,
        finished_at: iso(r.finishedAt),
        reason: r.reason,
      })),
      { description: listNote(f.failedRotations.length, f.rotations.failed, 'failed rotations', 'newest first'), empty: 'No rotation failed in the period.' },
    ),
    chart(
      'rotations-per-day',
      'Rotations completed per day (last 30 days)',
      daysOf(f.chartWindow.from, f.chartWindow.to).map((day) => ({ label: shortLabel(day), value: perDay.get(day)?.completed ?? 0 })),
      'rotations',
    ),
    table(
      'never-rotated',
      'Secrets never rotated',
      [...secretColumns, ['created_at', 'Created'], ['age_days', 'Age (days)']],
      f.neverRotated.map((s) => ({ ...base(s), created_at: iso(s.createdAt), age_days: daysBetween(s.createdAt, f.now) })),
      { description: listNote(f.neverRotated.length, inv.neverRotated, 'secrets never rotated', 'oldest first'), empty: 'Every secret has been rotated at least once.' },
    ),
    table(
      'unused',
      'Secrets unused for 90 days',
      [...secretColumns, ['created_at', 'Created'], ['last_read_at', 'Last value read']],
      f.unused.map((s) => ({ ...base(s), created_at: iso(s.createdAt), last_read_at: iso(s.lastRead) })),
      {
        description: `${listNote(f.unused.length, f.unusedCount, 'secrets older than 90 days without a value read in 90 days', 'oldest first')}`,
        empty: 'Every secret older than 90 days was read in the last 90 days.',
      },
    ),
    table(
      'without-owner-or-expiry',
      'Secrets without an owner tag or expiry',
      [...secretColumns, ['missing', 'Missing']],
      f.withoutOwnerOrExpiry.map((s) => ({
        ...base(s),
        missing: [s.hasOwner ? null : 'owner tag', s.expiresAt ? null : 'expiry'].filter(Boolean).join(', '),
      })),
      {
        description: `${listNote(f.withoutOwnerOrExpiry.length, inv.withoutOwnerOrExpiry, 'secrets', 'by name')} ${inv.withoutOwner} have no owner/team tag, ${inv.withoutExpiry} have no expiry.`,
        empty: 'Every secret has an owner tag and an expiry.',
      },
    ),
    integritySection(f.integrity),
    integrityFailuresSection(f.integrity),
    table(
      'audit-chain',
      'Audit-chain verification',
      [
        ['item', 'Check'],
        ['value', 'Result'],
      ],
      [
        { item: 'Chain valid', value: f.chain.valid },
        { item: 'Rows verified', value: f.chain.checked },
        { item: 'Rows not yet sealed (verified by the next report)', value: f.chain.unsealed },
        { item: 'First invalid row', value: f.chain.first_invalid_id },
        { item: 'Reason', value: f.chain.reason },
      ],
      { description: 'At generation time every audit row was re-hashed in seq order and checked against its predecessor and the signed checkpoints (the audit module\'s verifier).' },
    ),
    table(
      'findings',
      'Access-pattern findings',
      [
        ['severity', 'Severity'],
        ['kind', 'Kind'],
        ['status', 'Status'],
        ['summary', 'Finding'],
        ['actor', 'Actor'],
        ['secret_id', 'Secret'],
        ['detected_at', 'Detected'],
      ],
      f.findings.map((x) => ({
        severity: x.severity,
        kind: x.kind,
        status: x.status,
        summary: x.summary,
        actor: x.actor,
        secret_id: x.secretId,
        detected_at: iso(x.detectedAt),
      })),
      {
        description: `${f.findingCounts.open} open (${f.findingCounts.openCritical} critical, ${f.findingCounts.openWarning} warning, ${f.findingCounts.openInfo} info); ${f.findingCounts.detectedInPeriod} detected in the period.`,
        empty: 'No open findings and none detected in the period.',
      },
    ),
    incidentsSection(f.incidents),
    changesSection(f, metrics),
  ];

  return {
    title: 'Security report',
    subtitle: `Daily security status, ${formatDateTime(f.period.from.toISOString())} to ${formatDateTime(f.period.to.toISOString())}`,
    summary: [
      item('security_score', 'Security score (0-100)', score.score),
      item('secrets_total', 'Secrets under management', inv.total),
      item('expired', 'Expired secrets', inv.expired),
      item('expiring_30d', 'Expiring within 30 days', inv.expiring30d),
      item('rotation_overdue', 'Rotation overdue', inv.rotationOverdue),
      item('rotations_failed', 'Rotations failed in the period', f.rotations.failed),
      item('open_findings', 'Open security findings', f.findingCounts.open),
      item('audit_chain', 'Audit chain', f.chain.valid ? 'valid' : 'BROKEN'),
    ],
    sections,
    score: { value: score.score, max: 100 },
    metrics,
  };
}

/** Every incident of the period: whose reads, which window, what the response did, who lifted it. */
function incidentsSection(incidents: IncidentReportRow[]): ReportSection {
  return table(
    'incidents',
    'Incidents (compromise response)',
    [
      ['incident_id', 'Incident'],
      ['subject', 'Subject'],
      ['window_from', 'Reads from'],
      ['window_to', 'Reads to'],
      ['status', 'Status'],
      ['secrets', 'Secrets read'],
      ['rotated', 'Rotated'],
      ['flagged', 'Flagged for manual rotation'],
      ['failed', 'Rotation failed'],
      ['opened_by', 'Opened by'],
      ['opened_at', 'Opened'],
      ['lifted_by', 'Lockout lifted by'],
      ['lifted_at', 'Lockout lifted'],
    ],
    incidents.map((i) => ({
      incident_id: i.id,
      subject: i.subject,
      window_from: iso(i.windowFrom),
      window_to: iso(i.windowTo),
      status: i.status,
      secrets: i.total,
      rotated: i.rotated,
      flagged: i.flagged,
      failed: i.failed,
      opened_by: i.createdBy,
      opened_at: iso(i.createdAt),
      lifted_by: i.liftedBy,
      lifted_at: iso(i.liftedAt),
    })),
    {
      description: `${incidents.length} incident(s) whose lockout overlapped the period; ${incidents.filter((i) => i.liftedAt === null).length} lockout(s) still in force.`,
      empty: 'No incident in the period.',
    },
  );
}

function integritySection(check: IntegrityResult | null): ReportSection {
  const rows: Array<Record<string, ReportCellValue>> = check
    ? [
        { item: 'Check', value: check.id },
        { item: 'Status', value: check.status },
        { item: 'Started', value: iso(check.startedAt) },
        { item: 'Finished', value: iso(check.finishedAt) },
        { item: 'Triggered by', value: check.triggeredBy },
        { item: 'Secrets checked', value: check.secretsChecked },
        { item: 'Versions checked', value: check.versionsChecked },
        { item: 'Problems found', value: check.failures },
        ...check.problems.map((p) => ({ item: `Problem: ${humanise(p.key)}`, value: p.count })),
      ]
    : [];
  return table(
    'integrity',
    'Latest integrity check',
    [
      ['item', 'Item'],
      ['value', 'Result'],
    ],
    rows,
    { empty: 'No integrity check has run yet.' },
  );
}

/** Every integrity problem named: the secret (name and id), the version and what was wrong. */
function integrityFailuresSection(check: IntegrityResult | null): ReportSection {
  const failed = check?.failed ?? [];
  return table(
    'integrity-failures',
    'Integrity problems by secret and version',
    [
      ['secret', 'Secret'],
      ['secret_id', 'Secret ID'],
      ['version', 'Version'],
      ['problem', 'Problem'],
      ['detail', 'Detail'],
    ],
    failed.map((r) => ({ secret: r.secretName, secret_id: r.secretId, version: r.version, problem: humanise(r.problem), detail: r.detail })),
    {
      description: check ? listNote(failed.length, check.failures, 'problems found by the latest integrity check', 'by secret name and version') : undefined,
      empty: check ? 'The latest integrity check found no problems.' : 'No integrity check has run yet.',
    },
  );
}

function changesSection(f: SecurityFacts, metrics: Record<string, ReportMetric>): ReportSection {
  const columns: Array<[string, string]> = [
    ['metric', 'Metric'],
    ['previous', 'Previous'],
    ['current', 'Now'],
    ['change', 'Change'],
  ];
  if (!f.previous) {
    return table('changes', 'Changes since the previous report', columns, [], { empty: 'No earlier security report is stored: this is the first one.' });
  }
  const prev = f.previous.metrics;
  const rows: Array<Record<string, ReportCellValue>> = COMPARED.map(([key, label]) => {
    const before = prev[key];
    const now = metrics[key];
    const previous: ReportCellValue = typeof before === 'number' || typeof before === 'boolean' || typeof before === 'string' ? before : null;
    const current: ReportCellValue = now ?? null;
    const change: ReportCellValue =
      typeof previous === 'number' && typeof current === 'number' ? current - previous : previous === current ? 'unchanged' : previous === null ? 'new' : 'changed';
    return { metric: label, previous, current, change };
  });
  if (f.churn) {
    rows.push({ metric: 'Secrets created since the previous report', previous: null, current: f.churn.created, change: null });
    rows.push({ metric: 'Secrets deleted since the previous report', previous: null, current: f.churn.deleted, change: null });
  }
  return table('changes', 'Changes since the previous report', columns, rows, {
    description: `Compared with security report ${f.previous.id} generated at ${formatDateTime(f.previous.generatedAt.toISOString())}.`,
  });
}

/** The score rules as a table (README and report appendix share SCORE_RULES). */
export function scoreRulesRows(): Array<Record<string, ReportCellValue>> {
  return Object.values(SCORE_RULES).map((r) => ({ rule: r.id, rule_label: humanise(r.id), applies_to: r.description, points_each: r.points, cap: r.cap }));
}
