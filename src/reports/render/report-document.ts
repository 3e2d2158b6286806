/**
 * Format-neutral report document. Report builders produce one of these; the renderers in this
 * folder turn it into JSON, CSV or PDF without knowing anything about where the figures came from.
 */

export type ReportKind = 'security' | 'compliance' | 'access_review' | 'annual';

export type ReportCellValue = string | number | boolean | null;

export interface ReportColumn {
  key: string;
  label: string;
}

export interface ReportTableSection {
  kind: 'table';
  id: string;
  title: string;
  description?: string;
  columns: ReportColumn[];
  rows: Array<Record<string, ReportCellValue>>;
  /** Shown instead of the rows when there are none (defaults to "None"). */
  empty_text?: string;
}

export interface ReportChartPoint {
  label: string;
  value: number;
}

export interface ReportChartSection {
  kind: 'chart';
  id: string;
  title: string;
  chart: 'bar';
  unit?: string;
  points: ReportChartPoint[];
}

export interface ReportTextSection {
  kind: 'text';
  id: string;
  title: string;
  paragraphs: string[];
}

export type ReportSection = ReportTableSection | ReportChartSection | ReportTextSection;

export interface ReportIntegrity {
  /** Hex SHA-256 of the canonical JSON (see `canonicalReportJson`). */
  sha256: string;
  /** Ed25519 signature of the canonical JSON. */
  signature: string;
  /** Identifies the public key that verifies `signature`. */
  key_id: string;
}

export interface ReportSummaryItem {
  label: string;
  value: string | number;
}

export interface ReportDocument {
  id: string;
  kind: ReportKind;
  title: string;
  /** e.g. "SOC 2 compliance summary" */
  subtitle?: string;
  /** ISO dates. */
  period: { from: string; to: string };
  /** ISO timestamp. */
  generated_at: string;
  /** Of the canonical JSON; shown in the PDF. */
  integrity: ReportIntegrity;
  /** Headline figures (e.g. security score). */
  summary: ReportSummaryItem[];
  sections: ReportSection[];
}
