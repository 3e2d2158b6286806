import ExcelJS from 'exceljs';
import { zipSync, strToU8 } from 'fflate';
import { sectionBlock, stringifyRecords, summaryBlock } from './csv.js';
import type { ReportCellValue, ReportDocument, ReportSection } from './report-document.js';

/**
 * Spreadsheet downloads, one table per section so each can be sorted, filtered and loaded as is:
 *
 *  - `zip`: one CSV per table (`00-summary.csv`, `01-<section id>.csv`, …: header row then rows,
 *    the same cells as the single CSV, formula injection neutralised) and `manifest.json` naming
 *    each file's section, title, columns and row count, with the report's id, period and SHA-256;
 *  - `xlsx`: one sheet per table (Summary first), header row frozen and bold, typed cells:
 *    numbers as numbers, ISO timestamps as UTC dates, booleans as booleans. Cells are written as
 *    values, never as formulas, so a name starting with "=" stays text.
 */

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_FORMAT = 'd mmm yyyy, hh:mm "UTC"';
const DATE_FORMAT = 'd mmm yyyy';

interface Table {
  id: string;
  title: string;
  header: string[];
  /** Typed values (XLSX). */
  values: ReportCellValue[][];
}

function tables(doc: ReportDocument): Table[] {
  const summary: Table = {
    id: 'summary',
    title: 'Summary',
    header: ['Metric', 'Value'],
    values: [
      ['Report', doc.title],
      ...(doc.subtitle ? [['Subtitle', doc.subtitle] as ReportCellValue[]] : []),
      ['Report ID', doc.id],
      ['Period from', doc.period.from],
      ['Period to', doc.period.to],
      ['Generated at', doc.generated_at],
      ['SHA-256', doc.integrity.sha256],
      ...doc.summary.map((s) => [s.label, s.value] as ReportCellValue[]),
    ],
  };
  return [summary, ...doc.sections.map(sectionTable)];
}

function sectionTable(section: ReportSection): Table {
  switch (section.kind) {
    case 'table':
      return {
        id: section.id,
        title: section.title,
        header: section.columns.map((c) => c.label),
        values: section.rows.map((row) => section.columns.map((c) => row[c.key] ?? null)),
      };
    case 'chart':
      return {
        id: section.id,
        title: section.title,
        header: ['Label', section.unit ? `Value (${section.unit})` : 'Value'],
        values: section.points.map((p) => [p.label, p.value]),
      };
    case 'text':
      return { id: section.id, title: section.title, header: ['Text'], values: section.paragraphs.map((p) => [p]) };
  }
}

function fileSlug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'section';
}

/** ZIP of one CSV per table plus manifest.json. */
export function renderCsvZip(doc: ReportDocument): Buffer {
  const blocks = [summaryBlock(doc), ...doc.sections.map(sectionBlock)];
  const ids = ['summary', ...doc.sections.map((s) => s.id)];
  const files: Record<string, Uint8Array> = {};
  const manifestFiles = blocks.map((block, i) => {
    const name = `${String(i).padStart(2, '0')}-${fileSlug(ids[i] ?? block.title)}.csv`;
    files[name] = strToU8(stringifyRecords([block.header, ...block.rows]));
    return { file: name, section: ids[i], title: (i === 0 ? 'Summary' : doc.sections[i - 1]?.title) ?? block.title, columns: block.header, rows: block.rows.length };
  });
  const manifest = {
    report_id: doc.id,
    kind: doc.kind,
    title: doc.title,
    period: doc.period,
    generated_at: doc.generated_at,
    sha256: doc.integrity.sha256,
    note: 'One CSV per table (UTF-8, CRLF, header row first). The signed report is the JSON download (GET /api/v1/reports/{id}?format=json).',
    files: manifestFiles,
  };
  files['manifest.json'] = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
  // A fixed date keeps the archive byte-identical for the same report.
  const mtime = new Date(doc.generated_at);
  return Buffer.from(zipSync(files, { level: 6, mtime: Number.isNaN(mtime.getTime()) ? new Date(0) : mtime }));
}

/** Excel sheet names: at most 31 characters, none of []:*?/\, unique (case-insensitively). */
function sheetName(title: string, used: Set<string>): string {
  const base = title.replace(/[[\]:*?/\\]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 31) || 'Sheet';
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base.slice(0, 31 - String(n).length - 1)} ${n}`;
  used.add(name.toLowerCase());
  return name;
}

function typed(value: ReportCellValue): { value: ExcelJS.CellValue; numFmt?: string } {
  if (typeof value === 'string' && ISO_TIMESTAMP.test(value)) return { value: new Date(value), numFmt: DATE_TIME_FORMAT };
  if (typeof value === 'string' && ISO_DAY.test(value)) return { value: new Date(`${value}T00:00:00Z`), numFmt: DATE_FORMAT };
  if (typeof value === 'number' && !Number.isFinite(value)) return { value: String(value) };
  return { value };
}

/** XLSX with one sheet per table. */
export async function renderXlsx(doc: ReportDocument): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Strongroom';
  book.title = doc.title;
  book.subject = doc.id;
  const stamp = new Date(doc.generated_at);
  book.created = book.modified = Number.isNaN(stamp.getTime()) ? new Date(0) : stamp;
  const used = new Set<string>();
  for (const table of tables(doc)) {
    const sheet = book.addWorksheet(sheetName(table.title, used), { views: [{ state: 'frozen', ySplit: 1 }] });
    const header = sheet.addRow(table.header);
    header.font = { bold: true };
    const widths = table.header.map((h) => Math.max(8, h.length + 2));
    for (const values of table.values) {
      const row = sheet.addRow([]);
      values.forEach((v, i) => {
        const cell = row.getCell(i + 1);
        const t = typed(v);
        cell.value = t.value;
        if (t.numFmt) cell.numFmt = t.numFmt;
        const shown = t.numFmt ? 20 : String(v ?? '').split('\n').reduce((m, l) => Math.max(m, l.length), 0);
        widths[i] = Math.min(60, Math.max(widths[i] ?? 8, shown + 2));
        if (typeof v === 'string' && v.includes('\n')) cell.alignment = { wrapText: true, vertical: 'top' };
      });
    }
    widths.forEach((w, i) => {
      sheet.getColumn(i + 1).width = w;
    });
    if (table.values.length > 0) sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: Math.max(1, table.header.length) } };
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}
