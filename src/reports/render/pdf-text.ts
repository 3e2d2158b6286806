/**
 * Text helpers for the PDF renderer (the fonts are embedded Unicode fonts, see pdf-fonts.ts) and
 * the number/date formatting shared by the PDF layout.
 */

/** Zero-width / invisible formatting characters (bidi overrides included): dropped. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]/g;

/**
 * Text as printed: control and invisible formatting characters removed, tabs as spaces; newlines
 * kept only when `multiline` (otherwise they become spaces). Every other character is kept: the
 * embedded fonts cover Latin, Greek, Cyrillic and CJK.
 */
export function pdfSafe(text: string, multiline = false): string {
  let out = '';
  for (const ch of text.replace(INVISIBLE, '')) {
    const cp = ch.codePointAt(0) ?? 0x3f;
    if (ch === '\n') out += multiline ? '\n' : ' ';
    else if (ch === '\t') out += ' ';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    else out += ch;
  }
  return out;
}

const ISO_TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})\b/g;

/** Every ISO timestamp in `text` as "1 Dec 2026, 23:47 UTC". */
export function humanDates(text: string): string {
  return text.replace(ISO_TIMESTAMP, (m) => formatDateTime(m));
}

const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** 12345.678 -> "12,345.68" (fixed en-US grouping so output does not depend on the host locale). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return NUMBER_FORMAT.format(Object.is(value, -0) ? 0 : value).replace(/^-0$/, '0');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-11-30" (or a full ISO timestamp) -> "30 Nov 2026"; anything unparseable is returned as is. */
export function formatDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  const month = MONTHS[Number(m[2]) - 1];
  if (!month) return iso;
  return `${Number(m[3])} ${month} ${m[1]}`;
}

/** ISO timestamp -> "30 Nov 2026, 14:05 UTC"; anything unparseable is returned as is. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** A 1-2-5 "nice" step for an axis spanning `span` with about `target` intervals. */
export function niceStep(span: number, target = 5): number {
  const raw = span / target;
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * base;
}

/** Axis ticks covering [min(0, lo), max(0, hi)] with a little headroom for value labels. */
export function axisTicks(values: number[]): number[] {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = Math.min(0, ...finite);
  let hi = Math.max(0, ...finite);
  if (lo === hi) hi = lo + 1;
  const span = hi - lo;
  if (hi > 0) hi += span * 0.08;
  if (lo < 0) lo -= span * 0.08;
  const step = niceStep(hi - lo);
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step / 1e6; i++) {
    ticks.push(Number((start + i * step).toPrecision(12)));
  }
  return ticks;
}
