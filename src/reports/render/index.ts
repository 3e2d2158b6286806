import type { ReportDocument, ReportKind } from './report-document.js';

export * from './report-document.js';
export { canonicalJson, canonicalReportJson, renderJson } from './json.js';
export { csvCell, neutraliseFormula, renderCsv, renderCsvStream } from './csv.js';
export { renderPdf } from './pdf.js';
export { renderCsvZip, renderXlsx } from './spreadsheet.js';

/** `zip`: one CSV per table plus a manifest; `xlsx`: one sheet per table. */
export type ReportFormat = 'json' | 'csv' | 'pdf' | 'xlsx' | 'zip';

export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'pdf', 'xlsx', 'zip'];

export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (REPORT_FORMATS as readonly string[]).includes(value);
}

const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  zip: 'application/zip',
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

type Nameable = Pick<ReportDocument, 'kind' | 'period' | 'generated_at'> & { standard?: string | null };

/**
 * Download file name by kind, standard and period, e.g. `strongroom-soc2-2026-11.pdf` (a compliance
 * summary for November, or November so far), `strongroom-access-review-2026-q3.pdf`,
 * `strongroom-annual-2026.pdf`, `strongroom-security-2026-11-30.pdf` (the day the period ends);
 * a period that is no calendar month/quarter/year is named by its first and last day. Only
 * `[a-z0-9.-]`, so it is safe in a Content-Disposition header and on every file system.
 */
export function fileName(doc: Nameable, format: ReportFormat): string {
  const subject = doc.kind === 'compliance' && doc.standard ? slugify(doc.standard) : (KIND_SLUG[doc.kind] ?? slugify(String(doc.kind)));
  const base = ['strongroom', subject || 'report', periodSlug(doc)].filter(Boolean).join('-');
  return `${slugify(base)}.${format}`;
}

function periodSlug(doc: Nameable): string {
  const from = isoDay(doc.period?.from);
  const to = isoDay(doc.period?.to) ?? isoDay(doc.generated_at);
  if (!from || !to) return to ?? '';
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number, number];
  if (doc.kind === 'security') return to;
  if (fd === 1 && fm === 1 && ty === fy && doc.kind === 'annual') return String(fy);
  if (fd === 1 && (fm - 1) % 3 === 0 && ty === fy && tm >= fm && tm < fm + 3 && doc.kind === 'access_review') {
    return `${fy}-q${(fm - 1) / 3 + 1}`;
  }
  if (fd === 1 && ty === fy && tm === fm) return from.slice(0, 7);
  return `${from}-to-${to}`;
}

/** `attachment; filename="…"` for `fileName(doc, format)`. */
export function contentDisposition(doc: Nameable, format: ReportFormat): string {
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
