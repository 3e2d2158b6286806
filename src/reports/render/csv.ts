import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { ReportCellValue, ReportDocument, ReportSection } from './report-document.js';

/**
 * CSV export, laid out for spreadsheets: one block per section, each block being a line with the
 * block title, a header row, then the rows; blocks are separated by one empty line. The first
 * block is "Summary" (report metadata followed by the headline figures, as Metric,Value). Chart
 * sections become Label,Value tables and text sections a one-column "Text" table.
 *
 * UTF-8 without BOM, CRLF line endings (RFC 4180).
 */

const CRLF = '\r\n';

/**
 * Characters that make spreadsheet applications treat a cell as a formula (OWASP "CSV injection"),
 * plus the full-width forms some locales also honour.
 */
const FORMULA_TRIGGER = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Neutralises formula injection: cells starting with = + - @ TAB or CR get a leading `'`. */
export function neutraliseFormula(text: string): string {
  return FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

/**
 * Cell value as text. Strings are always neutralised (they may carry user-chosen secret names);
 * numbers and booleans are produced by us, so `-5` stays a number a spreadsheet can sum.
 */
export function csvCell(value: ReportCellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : neutraliseFormula(String(value));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return neutraliseFormula(value);
}

export type Block = { title: string; header: string[]; rows: string[][] };

export function summaryBlock(doc: ReportDocument): Block {
  const rows: string[][] = [
    ['Report', doc.title],
    ...(doc.subtitle ? [['Subtitle', doc.subtitle]] : []),
    ['Report ID', doc.id],
    ['Period from', doc.period.from],
    ['Period to', doc.period.to],
    ['Generated at', doc.generated_at],
  ].map(([k, v]) => [csvCell(k), csvCell(v)]);
  for (const item of doc.summary) rows.push([csvCell(item.label), csvCell(item.value)]);
  return { title: 'Summary', header: ['Metric', 'Value'], rows };
}

export function sectionBlock(section: ReportSection): Block {
  switch (section.kind) {
    case 'table':
      return {
        title: csvCell(section.title),
        header: section.columns.map((c) => csvCell(c.label)),
        rows: section.rows.map((row) => section.columns.map((c) => csvCell(row[c.key]))),
      };
    case 'chart':
      return {
        title: csvCell(section.title),
        header: ['Label', section.unit ? csvCell(`Value (${section.unit})`) : 'Value'],
        rows: section.points.map((p) => [csvCell(p.label), csvCell(p.value)]),
      };
    case 'text':
      return {
        title: csvCell(section.title),
        header: ['Text'],
        rows: section.paragraphs.map((p) => [csvCell(p)]),
      };
  }
}

export function stringifyRecords(records: string[][]): string {
  // quote_record_delimiter: with a custom record_delimiter csv-stringify would otherwise leave a
  // bare "\n" or "\r" inside a cell unquoted, splitting the row for every CSV reader.
  return stringify(records, { record_delimiter: 'windows', quote_record_delimiter: true, eof: true, bom: false });
}

/** Rows per chunk when streaming, so huge tables never sit in memory as one string. */
const STREAM_CHUNK_ROWS = 500;

function* csvChunks(doc: ReportDocument): Generator<string> {
  const blocks = [summaryBlock(doc), ...doc.sections.map(sectionBlock)];
  for (const [i, block] of blocks.entries()) {
    if (i > 0) yield CRLF;
    yield stringifyRecords([[block.title], block.header]);
    for (let start = 0; start < block.rows.length; start += STREAM_CHUNK_ROWS) {
      yield stringifyRecords(block.rows.slice(start, start + STREAM_CHUNK_ROWS));
    }
  }
}

/** The whole CSV as a string. */
export function renderCsv(doc: ReportDocument): string {
  return Array.from(csvChunks(doc)).join('');
}

/** The same CSV as a stream of UTF-8 chunks (for piping straight into an HTTP response). */
export function renderCsvStream(doc: ReportDocument): Readable {
  return Readable.from(csvChunks(doc), { objectMode: false, encoding: 'utf8' });
}
