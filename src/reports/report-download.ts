import type { Readable } from 'node:stream';
import {
  contentDisposition,
  contentType,
  isReportFormat,
  type ReportFormat,
  renderCsvStream,
  renderCsvZip,
  renderJson,
  renderPdf,
  renderXlsx,
} from './render/index.js';
import type { StrongroomReport } from './reports.types.js';

/**
 * The format a download is served in: `?format=` when given, otherwise the first of
 * application/pdf, text/csv, application/json, the XLSX type, application/zip the Accept header
 * prefers; JSON by default.
 */
export function negotiateFormat(query: string | undefined, accept: string | undefined): ReportFormat {
  if (isReportFormat(query)) return query;
  const wanted = (accept ?? '')
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((a) => a.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of wanted) {
    if (type === 'application/pdf') return 'pdf';
    if (type === 'text/csv') return 'csv';
    if (type === 'application/json') return 'json';
    if (type === contentType('xlsx')) return 'xlsx';
    if (type === 'application/zip') return 'zip';
  }
  return 'json';
}

export interface Download {
  format: ReportFormat;
  contentType: string;
  contentDisposition: string;
  /** JSON as a string, PDF/XLSX/ZIP as a buffer, CSV as a stream. */
  body: string | Buffer | Readable;
}

export async function renderDownload(doc: StrongroomReport, format: ReportFormat): Promise<Download> {
  const head = { format, contentType: contentType(format), contentDisposition: contentDisposition(doc, format) };
  switch (format) {
    case 'json':
      return { ...head, body: renderJson(doc) };
    case 'csv':
      return { ...head, body: renderCsvStream(doc) };
    case 'pdf':
      return { ...head, body: await renderPdf(doc) };
    case 'xlsx':
      return { ...head, body: await renderXlsx(doc) };
    case 'zip':
      return { ...head, body: renderCsvZip(doc) };
  }
}
