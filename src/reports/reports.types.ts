import type { ReportDocument, ReportSummaryItem } from './render/index.js';

export type { ReportFormat } from './render/index.js';
export type ReportKind = ReportDocument['kind'];

export const REPORT_KINDS: readonly ReportKind[] = ['security', 'compliance', 'access_review', 'annual'];

export const COMPLIANCE_STANDARDS = ['soc2', 'pci_dss', 'gdpr', 'hipaa'] as const;
export type ComplianceStandard = (typeof COMPLIANCE_STANDARDS)[number];

/** Schema marker of every Strongroom report document (part of the signed JSON). */
export const REPORT_SCHEMA = 'strongroom.report.v1';

/** A reporting period, half-open: `from <= t < to`. */
export interface ReportPeriod {
  from: Date;
  to: Date;
}

/** A machine-readable figure of a report (the same numbers the tables show). */
export type ReportMetric = number | string | boolean | null;

/** Summary card with a stable key, so programs need not match on labels. */
export interface KeyedSummaryItem extends ReportSummaryItem {
  key: string;
}

/**
 * The stored and downloaded report: the renderers' ReportDocument plus a few machine-readable
 * members. Everything but `integrity` is covered by the SHA-256 and the Ed25519 signature.
 */
export interface StrongroomReport extends ReportDocument {
  schema: typeof REPORT_SCHEMA;
  standard?: ComplianceStandard;
  summary: KeyedSummaryItem[];
  /** e.g. `metrics.security_score` of a security report. */
  metrics: Record<string, ReportMetric>;
  /** Security reports: the score again where the metrics exporter reads it (`document->'score'->>'value'`). */
  score?: { value: number; max: number };
}

/** What a builder produces; the service adds id, times, period and the integrity block. */
export type ReportBody = Pick<StrongroomReport, 'title' | 'subtitle' | 'summary' | 'sections' | 'metrics' | 'score'>;

/** What to generate. */
export interface ReportSpec {
  kind: ReportKind;
  standard?: ComplianceStandard;
  period: ReportPeriod;
}
