import type { ReportDocument, ReportKind } from './report-document.js';

export * from './report-document.js';
export { canonicalJson, canonicalReportJson, renderJson } from './json.js';
export { csvCell, neutraliseFormula, renderCsv, renderCsvStream } from './csv.js';
export { renderPdf } from './pdf.js';

export type ReportFormat = 'json' | 'csv' | 'pdf';

export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'pdf'];

export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (REPORT_FORMATS as readonly string[]).includes(value);
}

const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
};

/** Value for the Content-Type header of a download in `format`. */
export function contentType(format: ReportFormat): string {
  return CONTENT_TYPES[format];
}

const KIND_SLUG: Record<ReportKind, string> = {
  security: 'security',
  compliance: 'compliance',
  access_review: 'access-review',
  annual: 'annual',
};

/**
 * Download file name, e.g. `strongroom-security-report-2026-11-30.pdf`: the kind and the last day
 * of the reporting period (falling back to the generation date). Only `[a-z0-9.-]`, so it is safe
 * in a Content-Disposition header and on every file system.
 */
export function fileName(doc: Pick<ReportDocument, 'kind' | 'period' | 'generated_at'>, format: ReportFormat): string {
  const date = isoDay(doc.period?.to) ?? isoDay(doc.generated_at);
  const slug = KIND_SLUG[doc.kind] ?? slugify(String(doc.kind));
  const base = ['strongroom', slug || 'report', 'report', date].filter(Boolean).join('-');
  return `${slugify(base)}.${format}`;
}

/** `attachment; filename="…"` for `fileName(doc, format)`. */
export function contentDisposition(doc: Pick<ReportDocument, 'kind' | 'period' | 'generated_at'>, format: ReportFormat): string {
  return `attachment; filename="${fileName(doc, format)}"`;
}

function isoDay(value: string | undefined): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value ?? '');
  return m?.[1];
}

function slugify(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
}
