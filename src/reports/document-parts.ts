import type {
  ReportCellValue,
  ReportDocument,
  ReportChartPoint,
  ReportChartSection,
  ReportColumn,
  ReportTableSection,
  ReportTextSection,
} from './render/index.js';
import type { KeyedSummaryItem } from './reports.types.js';

/**
 * Small helpers the report builders share, so every builder lays out tables, charts and lists the
 * same way.
 */

/** Rows listed per table of individual items; counts always cover everything. */
export const LIST_LIMIT = 250;

export const DAY_MS = 86_400_000;

export function table(
  id: string,
  title: string,
  columns: Array<[key: string, label: string]>,
  rows: Array<Record<string, ReportCellValue>>,
  options: { description?: string; empty?: string } = {},
): ReportTableSection {
  const cols: ReportColumn[] = columns.map(([key, label]) => ({ key, label }));
  return {
    kind: 'table',
    id,
    title,
    ...(options.description ? { description: options.description } : {}),
    columns: cols,
    rows,
    ...(options.empty ? { empty_text: options.empty } : {}),
  };
}

export function chart(id: string, title: string, points: ReportChartPoint[], unit?: string): ReportChartSection {
  return { kind: 'chart', id, title, chart: 'bar', ...(unit ? { unit } : {}), points };
}

export function text(id: string, title: string, paragraphs: string[]): ReportTextSection {
  return { kind: 'text', id, title, paragraphs };
}

export function item(key: string, label: string, value: string | number): KeyedSummaryItem {
  return { key, label, value };
}

/**
 * "1 secret", "2 secrets": `noun` is the plural; when `n` is 1 its first plural word is made
 * singular ("expired secrets" -> "expired secret", "rotations failed" -> "rotation failed"), or
 * `singular` is used when given.
 */
export function plural(n: number, noun: string, singular?: string): string {
  if (n === 1) return `1 ${singular ?? singularise(noun)}`;
  return `${n.toLocaleString('en-US')} ${noun}`;
}

const IRREGULAR: Record<string, string> = { entries: 'entry', policies: 'policy', these: 'this', them: 'it' };

function singularise(noun: string): string {
  const words = noun.split(' ');
  const i = words.findIndex((w) => IRREGULAR[w] !== undefined || (/[a-z]s$/.test(w) && !/ss$/.test(w)));
  if (i < 0) return noun;
  const w = words[i]!;
  words[i] = IRREGULAR[w] ?? w.slice(0, -1);
  return words.join(' ');
}

/** "12 expired secrets, oldest first." or "The first 250 of 1024 …; the counts cover all of them." */
export function listNote(shown: number, total: number, noun: string, order: string): string {
  return shown >= total
    ? `${plural(total, noun)} (${order}).`
    : `The first ${shown} of ${total} ${noun} (${order}); the counts cover all of them.`;
}

/** `vault_without_local_encryption` -> "Vault without local encryption". */
export function humanise(key: string): string {
  const words = key.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
export const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/** Whole days from `a` to `b` (rounded down, never negative). */
export const daysBetween = (a: Date, b: Date): number => Math.max(0, Math.floor((b.getTime() - a.getTime()) / DAY_MS));

/** Every UTC day from `from` (inclusive) to `to` (exclusive) as YYYY-MM-DD. */
export function daysOf(from: Date, to: Date): string[] {
  const out: string[] = [];
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (let t = start; t < to.getTime(); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "2026-11-03" -> "3 Nov"; "2026-11" -> "Nov 2026". */
export function shortLabel(day: string): string {
  const [y, m, d] = day.split('-');
  const month = MONTHS[Number(m) - 1] ?? m;
  return d ? `${Number(d)} ${month}` : `${month} ${y}`;
}

/** Integer from a count/aggregate column (pg returns bigint and numeric as strings). */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));

/**
 * Deep copy that makes a document storable and signable: strings lose NUL characters (jsonb
 * refuses them), non-finite numbers become null (JSON has no form for them), Dates become ISO
 * strings and undefined members disappear.
 */
export function jsonSafe<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replace(/\u0000/g, '') : value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : clean(v)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined && typeof v !== 'function') out[k.replace(/\u0000/g, '')] = clean(v);
    }
    return out;
  }
  return value;
}

const DOCUMENT_ORDER = ['id', 'schema', 'kind', 'standard', 'title', 'subtitle', 'period', 'generated_at', 'integrity', 'summary', 'score', 'metrics', 'sections'];
const SECTION_ORDER = ['kind', 'id', 'title', 'description', 'chart', 'unit', 'columns', 'rows', 'points', 'paragraphs', 'empty_text'];

function ordered(obj: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (key in obj) out[key] = obj[key];
  for (const [key, value] of Object.entries(obj)) if (!(key in out)) out[key] = value;
  return out;
}

/**
 * A document read back from jsonb (which sorts object keys) in the order it was built: top-level
 * members, period, integrity, summary items, sections, and table rows in column order. Only key
 * order changes, so the canonical JSON (and the signature) is unaffected.
 */
export function inDocumentOrder<T extends ReportDocument>(doc: T): T {
  const d = doc as unknown as Record<string, unknown>;
  const out = ordered(d, DOCUMENT_ORDER);
  if (doc.period) out.period = ordered(doc.period, ['from', 'to']);
  if (doc.integrity) out.integrity = ordered({ ...doc.integrity }, ['sha256', 'signature', 'key_id']);
  if (Array.isArray(doc.summary)) out.summary = doc.summary.map((s) => ordered({ ...s }, ['key', 'label', 'value']));
  out.sections = doc.sections.map((section) => {
    const s = ordered({ ...section }, SECTION_ORDER);
    if (section.kind === 'table') {
      const keys = section.columns.map((c) => c.key);
      s.columns = section.columns.map((c) => ordered({ ...c }, ['key', 'label']));
      s.rows = section.rows.map((row) => ordered(row, keys));
    } else if (section.kind === 'chart') {
      s.points = section.points.map((p) => ordered({ ...p }, ['label', 'value']));
    }
    return s;
  });
  return out as unknown as T;
}
