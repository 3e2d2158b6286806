/**
 * Text helpers for the PDF renderer: the built-in Helvetica fonts only cover Windows-1252
 * ("WinAnsi"), and pdfkit writes anything outside it as garbage, so every string is folded into
 * that repertoire first. Also number/date formatting shared by the PDF layout.
 */

/** Code points outside Latin-1 that WinAnsi (and so pdfkit's standard fonts) can show. */
const WIN_ANSI_EXTRA = new Set([
  0x0152, 0x0153, 0x0160, 0x0161, 0x0178, 0x017d, 0x017e, 0x0192, 0x02c6, 0x02dc, 0x2013, 0x2014, 0x2018,
  0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac,
  0x2122,
]);

/** Common characters with a readable WinAnsi stand-in. */
const REPLACEMENTS: Record<string, string> = {
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2032': "'",
  '\u2033': '"',
  '\u2190': '<-',
  '\u2192': '->',
  '\u2194': '<->',
  '\u21d2': '=>',
  '\u2260': '!=',
  '\u2264': '<=',
  '\u2265': '>=',
  '\u2713': 'v',
  '\u2714': 'v',
  '\u2717': 'x',
  '\u2718': 'x',
  // Latin letters without a canonical decomposition.
  '\u0141': 'L',
  '\u0142': 'l',
  '\u0110': 'D',
  '\u0111': 'd',
  '\u0126': 'H',
  '\u0127': 'h',
  '\u0131': 'i',
  '\u0138': 'k',
  '\u013f': 'L',
  '\u0140': 'l',
  '\u0166': 'T',
  '\u0167': 't',
  '\u0132': 'IJ',
  '\u0133': 'ij',
};

/** Zero-width / invisible formatting characters: dropped. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]/g;

function representable(cp: number): boolean {
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp);
}

/**
 * Folds arbitrary Unicode into what Helvetica can render: accents outside Latin-1 are stripped
 * (NFKD), a few symbols get ASCII stand-ins, everything else becomes "?". Control characters are
 * removed; newlines are kept only when `multiline` (otherwise they become spaces).
 */
export function pdfSafe(text: string, multiline = false): string {
  let out = '';
  for (const ch of text.replace(INVISIBLE, '')) {
    const cp = ch.codePointAt(0) ?? 0x3f;
    if (ch === '\n') {
      out += multiline ? '\n' : ' ';
    } else if (ch === '\t') {
      out += ' ';
    } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      // control characters (including \r): drop
    } else if (representable(cp)) {
      out += ch;
    } else if (REPLACEMENTS[ch] !== undefined) {
      out += REPLACEMENTS[ch];
    } else {
      const folded = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += folded.length > 0 && [...folded].every((c) => representable(c.codePointAt(0) ?? 0)) ? folded : '?';
    }
  }
  return out;
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
