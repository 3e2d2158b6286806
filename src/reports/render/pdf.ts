import PDFDocument from 'pdfkit';
import type {
  ReportCellValue,
  ReportChartPoint,
  ReportChartSection,
  ReportDocument,
  ReportKind,
  ReportSection,
  ReportTableSection,
  ReportTextSection,
} from './report-document.js';
import { renderJson } from './json.js';
import { type EmbeddedFont, fallbackOf, registerFonts } from './pdf-fonts.js';
import { axisTicks, formatDate, formatDateTime, formatNumber, humanDates, pdfSafe } from './pdf-text.js';

/**
 * PDF export (A4 portrait, PDF/A-3b, tagged, document language and title set; embedded Noto
 * fonts, see pdf-fonts.ts; the signed JSON attached as `report.json` so the PDF alone verifies):
 *
 *  - title page: brand band, report kind, title/subtitle, period / generated / type / id, the
 *    summary figures as cards, the integrity block (SHA-256, Ed25519 signature, key id) and a
 *    linked table of contents;
 *  - one block per section: tables (header row repeated on every page, long cells wrapped, numeric
 *    columns right-aligned, zebra rows), vector bar charts (vertical for a few short labels,
 *    horizontal otherwise, paginated), text paragraphs;
 *  - running header on every page but the first, "Page N of M" footer on every page;
 *  - PDF outline (bookmarks) per section and document metadata.
 */
export async function renderPdf(doc: ReportDocument): Promise<Buffer> {
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { ...MARGINS },
    bufferPages: true,
    autoFirstPage: false,
    displayTitle: true,
    lang: 'en',
    pdfVersion: '1.7',
    // PDF/A-3 (not 2): archivable, and it allows the attached JSON (PDF/A-2 only allows PDF/A attachments).
    subset: 'PDF/A-3b',
    tagged: true,
    info: {
      Title: doc.title,
      Author: 'Strongroom',
      Creator: 'Strongroom',
      Subject: doc.subtitle ?? KIND_LABEL[doc.kind],
      Keywords: `strongroom, ${KIND_LABEL[doc.kind].toLowerCase()}, ${doc.id}`,
      CreationDate: validDate(doc.generated_at),
      ModDate: validDate(doc.generated_at),
    },
  });
  registerFonts(pdf);
  pdf.addPage();
  // The signed document itself, so `report:verify` can check the PDF without the JSON download.
  pdf.file(Buffer.from(renderJson(doc), 'utf8'), {
    // `relationship` (AFRelationship, PDF/A-3) is in pdfkit but not in its typings.
    name: ATTACHMENT_NAME,
    type: 'application/json',
    description: 'Signed report (canonical JSON with its integrity block); verify with npm run report:verify',
    relationship: 'Source',
    creationDate: validDate(doc.generated_at),
    modifiedDate: validDate(doc.generated_at),
  } as PDFKit.Mixins.PDFAttachmentOptions);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  try {
    new PdfReportLayout(pdf, doc).render();
  } catch (err) {
    pdf.destroy();
    throw err;
  }
  pdf.end();
  return done;
}

/** File name of the signed JSON attached to every PDF. */
export const ATTACHMENT_NAME = 'report.json';

// ---------------------------------------------------------------------------------------------
// Look and feel

const MARGINS = { top: 66, bottom: 62, left: 50, right: 50 } as const;

const COLOR = {
  navy: '#17243f',
  accent: '#2f6fde',
  text: '#1f2328',
  muted: '#5b6573',
  faint: '#8a93a3',
  rule: '#d5dbe5',
  grid: '#e3e7ee',
  zebra: '#f4f6fa',
  card: '#f2f5fa',
  white: '#ffffff',
} as const;

const FONT = {
  regular: 'Sans',
  bold: 'Sans-Bold',
  italic: 'Sans-Italic',
} as const satisfies Record<string, EmbeddedFont>;

const KIND_LABEL: Record<ReportKind, string> = {
  security: 'Security report',
  compliance: 'Compliance summary',
  access_review: 'Access review',
  annual: 'Annual assessment',
};

interface TableMetrics {
  fontSize: number;
  lineGap: number;
  padX: number;
  padY: number;
}
/** Body font sizes tried, largest first, until every column's longest word fits its column. */
const TABLE_FONT_SIZES = [8.5, 8, 7.5, 7, 6.5, 6] as const;
const TABLE_MIN_COL = 24;
/**
 * Tokens wider than this (pt) may be split rather than shrink the font: wide enough for every
 * identifier we print (SERVICE_ACCOUNT_KEY, secret ids); only hashes and paths get split.
 */
const TABLE_MAX_TOKEN = 150;
/** Cells longer than this are cut (with a marker) before layout: keeps one row within a page. */
const MAX_CELL_CHARS = 4000;
/** Natural column widths are measured on at most this many rows. */
const WIDTH_SAMPLE_ROWS = 1500;

function validDate(iso: string): Date {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

type FontName = (typeof FONT)[keyof typeof FONT];
type Align = 'left' | 'right' | 'center';

interface ContentsEntry {
  title: string;
  page: number;
  dest: string;
}

// ---------------------------------------------------------------------------------------------

class PdfReportLayout {
  private y: number;
  private readonly left: number;
  private readonly width: number;
  private readonly top: number;
  private readonly bottom: number;
  /** Where the contents list goes: the rest of the title page, or pages of its own after it. */
  private readonly contentsSlots: Array<{ page: number; y: number; lines: number }> = [];
  private readonly contents: ContentsEntry[] = [];

  constructor(
    private readonly pdf: PDFKit.PDFDocument,
    private readonly report: ReportDocument,
  ) {
    this.left = MARGINS.left;
    this.top = MARGINS.top;
    this.width = pdf.page.width - MARGINS.left - MARGINS.right;
    this.bottom = pdf.page.height - MARGINS.bottom;
    this.y = this.top;
  }

  render(): void {
    this.titlePage();
    this.reserveContents();
    if (this.report.sections.length > 0) this.newPage();
    this.report.sections.forEach((section, index) => this.section(section, index));
    this.drawContents();
    this.decoratePages();
  }

  // ----- primitives ----------------------------------------------------------------------------

  private font(name: FontName, size: number, color: string = COLOR.text): this {
    this.current = name;
    this.pdf.font(name).fontSize(size).fillColor(color);
    return this;
  }

  // ----- font fallback: Noto Sans, and Noto Sans SC for the characters it lacks ------------------

  private current: FontName = FONT.regular;
  private readonly covered = new Map<number, boolean>();

  private inMain(cp: number): boolean {
    let ok = this.covered.get(cp);
    if (ok === undefined) {
      const font = (this.pdf as unknown as { _font: { font?: { hasGlyphForCodePoint(cp: number): boolean } } })._font.font;
      ok = cp < 0x80 || cp === 0xad || (font?.hasGlyphForCodePoint(cp) ?? true);
      this.covered.set(cp, ok);
    }
    return ok;
  }

  /** `text` cut into runs of the main font and of the fallback. */
  private runs(text: string): Array<{ text: string; fallback: boolean }> {
    const runs: Array<{ text: string; fallback: boolean }> = [];
    for (const ch of text) {
      const fallback = !this.inMain(ch.codePointAt(0) ?? 0x20);
      const last = runs[runs.length - 1];
      if (last && last.fallback === fallback) last.text += ch;
      else runs.push({ text: ch, fallback });
    }
    return runs;
  }

  /**
   * For measuring: fallback characters (CJK ideographs, 1 em wide, a break opportunity each) stand
   * as em dashes, which are also 1 em wide and breakable in Noto Sans.
   */
  private measurable(text: string, keepSoftHyphens = false): string {
    let out = '';
    for (const ch of text) {
      // Invisible unless a line breaks there: no width, but the wrapper needs it to break the same way.
      if (ch === SOFT_HYPHEN && !keepSoftHyphens) continue;
      out += this.inMain(ch.codePointAt(0) ?? 0x20) ? ch : '\u2014';
    }
    return out;
  }

  private widthOf(text: string, options?: PDFKit.Mixins.TextOptions): number {
    return this.pdf.widthOfString(this.measurable(text), options);
  }

  /** pdfkit's text(), switching to the fallback font (as continued fragments) where needed. */
  private write(text: string, x: number, y: number, options: PDFKit.Mixins.TextOptions): void {
    const runs = this.runs(text);
    if (runs.every((r) => !r.fallback)) {
      this.pdf.text(text, x, y, options);
      return;
    }
    const main = this.current;
    runs.forEach((run, i) => {
      this.pdf.font(run.fallback ? fallbackOf(main) : main);
      const opts = { ...options, continued: i < runs.length - 1 };
      if (i === 0) this.pdf.text(run.text, x, y, opts);
      else this.pdf.text(run.text, opts);
    });
    this.pdf.font(main);
  }

  private get pageIndex(): number {
    const range = this.pdf.bufferedPageRange();
    return range.start + range.count - 1;
  }

  private newPage(): void {
    this.pdf.addPage();
    this.y = this.top;
  }

  /** Starts a new page unless `height` still fits; returns whether it broke. */
  private ensure(height: number): boolean {
    if (this.y + height <= this.bottom || this.y <= this.top) return false;
    this.newPage();
    return true;
  }

  /** Height of `text` in the current font when wrapped to `width`. */
  private measure(text: string, width: number, lineGap = 0): number {
    if (text === '') return this.pdf.currentLineHeight(true) + lineGap;
    return this.pdf.heightOfString(this.measurable(text, true), { width, lineGap });
  }

  /** Draws wrapped text in a box; never triggers pdfkit's own page breaks. */
  private box(text: string, x: number, y: number, width: number, height: number, align: Align = 'left', lineGap = 0): void {
    this.write(text, x, y, { width, height: height + 1, align, lineGap, ellipsis: true });
  }

  /** Single line, shortened with an ellipsis to fit `width`. */
  private line(text: string, x: number, y: number, width: number, align: Align = 'left', extra: PDFKit.Mixins.TextOptions = {}): void {
    // An explicit height stops pdfkit from ever starting a page of its own for this line.
    const height = this.pdf.currentLineHeight(true) + 2;
    this.write(this.fitLine(text, width, extra.characterSpacing ?? 0), x, y, { width, height, align, lineBreak: false, ...extra });
  }

  private fitLine(text: string, width: number, characterSpacing = 0): string {
    const w = (s: string) => this.widthOf(s, { characterSpacing });
    if (w(text) <= width) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (w(`${text.slice(0, mid).trimEnd()}\u2026`) <= width) lo = mid;
      else hi = mid - 1;
    }
    return `${text.slice(0, lo).trimEnd()}\u2026`;
  }

  /** Shortens wrapped `text` until it fits `maxHeight` at `width`. */
  private fitBox(text: string, width: number, maxHeight: number, lineGap: number): string {
    if (this.measure(text, width, lineGap) <= maxHeight) return text;
    const marker = ' \u2026 [truncated]';
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.measure(text.slice(0, mid) + marker, width, lineGap) <= maxHeight) lo = mid;
      else hi = mid - 1;
    }
    return text.slice(0, lo) + marker;
  }

  private rule(y: number, color: string = COLOR.rule, width = 0.75, x = this.left, length = this.width): void {
    this.pdf.save().moveTo(x, y).lineTo(x + length, y).lineWidth(width).strokeColor(color).stroke().restore();
  }

  private fillRect(x: number, y: number, w: number, h: number, color: string, radius = 0): void {
    this.pdf.save();
    if (radius > 0) this.pdf.roundedRect(x, y, w, h, radius);
    else this.pdf.rect(x, y, w, h);
    this.pdf.fill(color).restore();
  }

  /** Small heading used on the title page ("Key figures", "Integrity", "Contents"). */
  private minorHeading(text: string): void {
    this.font(FONT.bold, 8, COLOR.accent).line(text.toUpperCase(), this.left, this.y, this.width);
    this.y += 13;
  }

  // ----- title page ----------------------------------------------------------------------------

  private titlePage(): void {
    const { pdf, report, left, width } = this;
    const pageWidth = pdf.page.width;

    this.fillRect(0, 0, pageWidth, 112, COLOR.navy);
    this.fillRect(0, 112, pageWidth, 4, COLOR.accent);
    this.font(FONT.bold, 13, COLOR.white).line('STRONGROOM', left, 44, width / 2, 'left', { characterSpacing: 3 });
    this.font(FONT.regular, 8.5, '#b8c4da').line('Secrets management \u00b7 Compliance reporting', left, 64, width / 2);
    this.font(FONT.bold, 7.5, '#b8c4da').line('CONFIDENTIAL', left + width / 2, 47, width / 2, 'right');

    this.y = 152;
    // The kind above the title, unless the title already says it ("Security report").
    if (!report.title.toLowerCase().includes(KIND_LABEL[report.kind].toLowerCase())) {
      this.font(FONT.bold, 9, COLOR.accent).line(KIND_LABEL[report.kind].toUpperCase(), left, this.y, width);
      this.y += 18;
    }

    const title = pdfSafe(report.title);
    this.font(FONT.bold, 26, COLOR.navy);
    const titleHeight = Math.min(this.measure(title, width, 2), 130);
    this.box(title, left, this.y, width, titleHeight, 'left', 2);
    this.y += titleHeight + 4;

    if (report.subtitle) {
      const subtitle = pdfSafe(report.subtitle);
      this.font(FONT.regular, 14, COLOR.muted);
      const h = Math.min(this.measure(subtitle, width, 1), 60);
      this.box(subtitle, left, this.y, width, h, 'left', 1);
      this.y += h;
    }
    this.y += 16;
    this.rule(this.y);
    this.y += 16;

    this.detailsGrid([
      ['Reporting period', `${formatDate(report.period.from)} \u2013 ${formatDate(report.period.to)}`],
      ['Generated', formatDateTime(report.generated_at)],
      ['Report type', KIND_LABEL[report.kind]],
      ['Report ID', report.id],
    ]);

    if (report.summary.length > 0) {
      this.y += 14;
      this.ensure(80);
      this.minorHeading('Key figures');
      this.summaryCards();
    }

    this.y += 18;
    this.integrityBlock();

    this.y += 22;
  }

  /**
   * Every section gets a contents line (one per section, so the count is known now): on the title
   * page when they all fit there, else on as many pages of their own as they need.
   */
  private reserveContents(): void {
    const n = this.report.sections.length;
    if (n === 0) return;
    const linesFrom = (y: number) => Math.floor((this.bottom - y - 13) / CONTENTS_LINE);
    if (linesFrom(this.y) >= n) {
      this.contentsSlots.push({ page: this.pageIndex, y: this.y, lines: n });
      return;
    }
    for (let left = n; left > 0; ) {
      this.newPage();
      const lines = Math.min(left, linesFrom(this.top));
      this.contentsSlots.push({ page: this.pageIndex, y: this.top, lines });
      left -= lines;
    }
  }

  private detailsGrid(items: Array<[string, string]>): void {
    const gap = 24;
    const colWidth = (this.width - gap) / 2;
    for (let i = 0; i < items.length; i += 2) {
      const pair = items.slice(i, i + 2).map(([label, value]) => [label, pdfSafe(value)] as const);
      this.font(FONT.regular, 10.5);
      const rowHeight = Math.max(...pair.map(([, value]) => Math.min(this.measure(value, colWidth, 1), 40))) + 13;
      this.ensure(rowHeight);
      pair.forEach(([label, value], col) => {
        const x = this.left + col * (colWidth + gap);
        this.font(FONT.bold, 7, COLOR.muted).line(label.toUpperCase(), x, this.y, colWidth);
        this.font(FONT.regular, 10.5, COLOR.text).box(value, x, this.y + 12, colWidth, rowHeight - 13, 'left', 1);
      });
      this.y += rowHeight + 10;
    }
  }

  private summaryCards(): void {
    const perRow = 3;
    const gap = 10;
    const cardWidth = (this.width - gap * (perRow - 1)) / perRow;
    const pad = 11;
    const inner = cardWidth - pad * 2 - 3;

    const cards = this.report.summary.map((item) => {
      const value = pdfSafe(typeof item.value === 'number' ? formatNumber(item.value) : item.value);
      let size = 20;
      this.font(FONT.bold, size);
      while (size > 11 && this.pdf.fontSize(size).widthOfString(this.measurable(value)) > inner) size -= 1;
      this.pdf.fontSize(size);
      const valueHeight = Math.min(this.measure(value, inner), size * 3.6);
      const label = pdfSafe(item.label);
      this.font(FONT.regular, 8.5);
      const labelHeight = Math.min(this.measure(label, inner, 1), 34);
      return { value, size, valueHeight, label, labelHeight };
    });

    for (let i = 0; i < cards.length; i += perRow) {
      const row = cards.slice(i, i + perRow);
      const height = pad * 2 + Math.max(...row.map((c) => c.valueHeight + 3 + c.labelHeight));
      this.ensure(height);
      row.forEach((card, col) => {
        const x = this.left + col * (cardWidth + gap);
        this.fillRect(x, this.y, cardWidth, height, COLOR.card, 3);
        this.fillRect(x, this.y, 3, height, COLOR.accent);
        const tx = x + 3 + pad;
        this.font(FONT.bold, card.size, COLOR.navy).box(card.value, tx, this.y + pad, inner, card.valueHeight);
        this.font(FONT.regular, 8.5, COLOR.muted).box(
          card.label,
          tx,
          this.y + pad + card.valueHeight + 3,
          inner,
          card.labelHeight,
          'left',
          1,
        );
      });
      this.y += height + gap;
    }
    this.y -= gap;
  }

  private integrityBlock(): void {
    const { integrity } = this.report;
    const pad = 10;
    const labelWidth = 112;
    const valueWidth = this.width - pad * 2 - labelWidth;
    const rows: Array<[string, string]> = [
      ['SHA-256', integrity.sha256],
      ['Signature (Ed25519)', integrity.signature],
      ['Key ID', integrity.key_id],
    ];
    this.font(FONT.regular, 8.5);
    const heights = rows.map(([, v]) => Math.min(this.measure(pdfSafe(v), valueWidth, 1.5), 120));
    const note =
      'Digest and signature are computed over the canonical JSON form of this report (object keys ' +
      'sorted recursively, no whitespace). Verify the signature with the Strongroom public key ' +
      'identified by the key ID above; any change to the report data invalidates it.';
    this.font(FONT.italic, 7.5);
    const noteHeight = this.measure(note, this.width - pad * 2, 1);
    const total = pad * 2 + heights.reduce((a, b) => a + b + 6, 0) + noteHeight + 4;

    this.ensure(total + 13);
    this.minorHeading('Integrity');
    this.pdf
      .save()
      .roundedRect(this.left, this.y, this.width, total, 3)
      .lineWidth(0.75)
      .strokeColor(COLOR.rule)
      .stroke()
      .restore();
    let y = this.y + pad;
    rows.forEach(([label, value], i) => {
      const h = heights[i] ?? 0;
      this.font(FONT.bold, 8.5, COLOR.muted).line(label, this.left + pad, y, labelWidth - 8);
      this.font(FONT.regular, 8.5, COLOR.text).box(pdfSafe(value), this.left + pad + labelWidth, y, valueWidth, h, 'left', 1.5);
      y += h + 6;
    });
    this.rule(y - 2, COLOR.grid, 0.5, this.left + pad, this.width - pad * 2);
    this.font(FONT.italic, 7.5, COLOR.muted).box(note, this.left + pad, y + 3, this.width - pad * 2, noteHeight, 'left', 1);
    this.y += total;
  }

  /** Fills in the contents list reserved by reserveContents, now that section pages are known. */
  private drawContents(): void {
    let next = 0;
    this.contentsSlots.forEach((slot, k) => {
      this.pdf.switchToPage(slot.page);
      this.y = slot.y;
      this.minorHeading(k === 0 ? 'Contents' : 'Contents (continued)');
      const numberWidth = 36;
      for (const entry of this.contents.slice(next, next + slot.lines)) {
        this.font(FONT.regular, 10, COLOR.text);
        const title = this.fitLine(pdfSafe(entry.title), this.width - numberWidth - 30);
        const titleWidth = this.widthOf(title);
        this.write(title, this.left, this.y, { lineBreak: false, goTo: entry.dest });
        this.font(FONT.regular, 10, COLOR.muted).line(String(entry.page), this.left + this.width - numberWidth, this.y, numberWidth, 'right');
        const dotsY = this.y + 7.6;
        this.pdf
          .save()
          .moveTo(this.left + titleWidth + 6, dotsY)
          .lineTo(this.left + this.width - this.widthOf(String(entry.page)) - 6, dotsY)
          .lineWidth(0.6)
          .dash(0.6, { space: 2.4 })
          .strokeColor(COLOR.faint)
          .stroke()
          .undash()
          .restore();
        this.y += CONTENTS_LINE;
      }
      next += slot.lines;
    });
  }

  // ----- sections --------------------------------------------------------------------------------

  private section(section: ReportSection, index: number): void {
    switch (section.kind) {
      case 'table':
        return this.tableSection(section, index);
      case 'chart':
        return this.chartSection(section, index);
      case 'text':
        return this.textSection(section, index);
    }
  }

  private headingHeight(section: ReportSection): number {
    this.font(FONT.bold, 14);
    let h = this.measure(pdfSafe(section.title), this.width - 10, 1) + 9;
    if (section.kind === 'table' && section.description) {
      this.font(FONT.regular, 9);
      h += Math.min(this.measure(pdfSafe(humanDates(section.description), true), this.width, 1.5), 200) + 4;
    }
    return h + 10;
  }

  /** Section title (kept on the same page as `leadHeight` of its content), bookmark and anchor. */
  private sectionHeading(section: ReportSection, index: number, leadHeight: number): void {
    if (this.y > this.top) this.y += 24;
    this.ensure(this.headingHeight(section) + leadHeight);

    const dest = `section-${index + 1}`;
    this.pdf.addNamedDestination(dest, 'XYZ', null, this.pdf.page.height - this.y + 6, null);
    this.pdf.outline.addItem(section.title);
    this.contents.push({ title: section.title, page: this.pageIndex + 1, dest });

    const title = pdfSafe(section.title);
    this.font(FONT.bold, 14, COLOR.navy);
    const titleHeight = this.measure(title, this.width - 10, 1);
    this.fillRect(this.left, this.y + 1, 3, 13, COLOR.accent);
    this.box(title, this.left + 10, this.y, this.width - 10, titleHeight, 'left', 1);
    this.y += titleHeight + 3;
    this.rule(this.y);
    this.y += 6;

    if (section.kind === 'table' && section.description) {
      const description = pdfSafe(humanDates(section.description), true);
      this.font(FONT.regular, 9, COLOR.muted);
      const h = Math.min(this.measure(description, this.width, 1.5), 200);
      this.box(description, this.left, this.y, this.width, h, 'left', 1.5);
      this.y += h + 4;
    }
    this.y += 4;
  }

  private continuation(title: string): void {
    this.font(FONT.bold, 8.5, COLOR.muted).line(`${pdfSafe(title)} (continued)`, this.left, this.y, this.width);
    this.y += 15;
  }

  // ----- tables ----------------------------------------------------------------------------------

  private tableSection(section: ReportTableSection, index: number): void {
    const columns = section.columns.length > 0 ? section.columns : [{ key: '', label: '' }];
    const numeric = columns.map(
      (c) =>
        section.rows.some((r) => typeof r[c.key] === 'number') &&
        section.rows.every((r) => r[c.key] === null || r[c.key] === undefined || typeof r[c.key] === 'number'),
    );
    const headers = columns.map((c) => pdfSafe(c.label));
    const cells = section.rows.map((row) => columns.map((c) => cellText(row[c.key])));
    const metrics = this.tableMetrics(headers, cells);
    const widths = this.columnWidths(headers, cells, metrics);
    const { fontSize, lineGap, padX, padY } = metrics;

    this.font(FONT.bold, fontSize);
    const headerHeight = Math.max(...headers.map((h, i) => this.measure(h, (widths[i] ?? 0) - padX * 2, lineGap))) + padY * 2;

    const maxRowHeight = this.bottom - this.top - headerHeight - 20;
    const rowHeight = (texts: string[]): number => {
      this.font(FONT.regular, fontSize);
      let h = 0;
      texts.forEach((text, i) => {
        const inner = (widths[i] ?? 0) - padX * 2;
        const cell = !text.includes('\n') && this.widthOf(text) <= inner
          ? this.pdf.currentLineHeight(true) + lineGap
          : this.measure(text, inner, lineGap);
        h = Math.max(h, cell);
      });
      return h + padY * 2;
    };
    const fitRow = (texts: string[]): { texts: string[]; height: number } => {
      let height = rowHeight(texts);
      if (height <= maxRowHeight) return { texts, height };
      this.font(FONT.regular, fontSize);
      const fitted = texts.map((t, i) => this.fitBox(t, (widths[i] ?? 0) - padX * 2, maxRowHeight - padY * 2, lineGap));
      height = rowHeight(fitted);
      return { texts: fitted, height };
    };

    const drawHeader = (): void => {
      this.fillRect(this.left, this.y, this.width, headerHeight, COLOR.navy);
      let x = this.left;
      headers.forEach((h, i) => {
        const w = widths[i] ?? 0;
        this.font(FONT.bold, fontSize, COLOR.white).box(
          h,
          x + padX,
          this.y + padY + 0.75,
          w - padX * 2,
          headerHeight - padY * 2,
          numeric[i] ? 'right' : 'left',
          lineGap,
        );
        x += w;
      });
      this.y += headerHeight;
    };

    if (cells.length === 0) {
      const emptyText = pdfSafe(section.empty_text ?? 'None', true);
      this.font(FONT.italic, fontSize + 0.5);
      const h = Math.min(this.measure(emptyText, this.width - padX * 2, lineGap), 200) + padY * 2 + 4;
      this.sectionHeading(section, index, headerHeight + h);
      drawHeader();
      this.font(FONT.italic, fontSize + 0.5, COLOR.muted).box(
        emptyText,
        this.left + padX,
        this.y + padY + 2,
        this.width - padX * 2,
        h - padY * 2 - 4,
      );
      this.y += h;
      this.rule(this.y, COLOR.rule, 0.5);
      return;
    }

    // Keep the heading with the header row and the first few rows (no orphaned headings).
    const lead = cells.slice(0, 3).map((texts) => fitRow(texts));
    this.sectionHeading(section, index, headerHeight + lead.reduce((sum, row) => sum + row.height, 0));
    drawHeader();

    cells.forEach((texts, r) => {
      const row = lead[r] ?? fitRow(texts);
      if (this.y + row.height > this.bottom) {
        this.newPage();
        this.continuation(section.title);
        drawHeader();
      }
      if (r % 2 === 1) this.fillRect(this.left, this.y, this.width, row.height, COLOR.zebra);
      let x = this.left;
      this.font(FONT.regular, fontSize, COLOR.text);
      row.texts.forEach((text, i) => {
        const w = widths[i] ?? 0;
        this.pdf.fillColor(text === EMPTY_CELL ? COLOR.faint : COLOR.text);
        // +0.75: optically centre (the line box includes descender space below the text).
        this.box(text, x + padX, this.y + padY + 0.75, w - padX * 2, row.height - padY * 2, numeric[i] ? 'right' : 'left', lineGap);
        x += w;
      });
      this.y += row.height;
      this.rule(this.y, COLOR.grid, 0.5);
    });
  }

  /** Widest unbreakable token per column (header in bold, sampled cells), capped at TABLE_MAX_TOKEN. */
  private longestWords(headers: string[], cells: string[][], fontSize: number): number[] {
    // Roughly where pdfkit's Unicode line breaker may wrap: spaces, and after "/" or "-" before a letter.
    const tokens = (s: string) => s.split(/\s+|(?<=[/-])(?=[A-Za-z])|\u00ad/);
    // Measured with a trailing space: pdfkit wraps "word " as a unit, and a unit wider than the
    // line gets split character-wise (leaving a blank line behind).
    const widest = (s: string) =>
      Math.max(0, ...tokens(s).map((t) => Math.min(this.widthOf(`${t} `), TABLE_MAX_TOKEN)));
    this.font(FONT.bold, fontSize);
    const result = headers.map(widest);
    this.font(FONT.regular, fontSize);
    for (const row of cells.slice(0, WIDTH_SAMPLE_ROWS)) {
      row.forEach((text, i) => {
        result[i] = Math.max(result[i] ?? 0, widest(text));
      });
    }
    return result;
  }

  /** Largest font size (down to 6 pt) at which no column has to split a word to fit the page. */
  private tableMetrics(headers: string[], cells: string[][]): TableMetrics {
    let metrics: TableMetrics = { fontSize: 6, lineGap: 0.8, padX: 3, padY: 3 };
    for (const fontSize of TABLE_FONT_SIZES) {
      const padX = fontSize >= 7.5 ? 5 : 3.5;
      const need = this.longestWords(headers, cells, fontSize).reduce((sum, w) => sum + Math.max(TABLE_MIN_COL, w + padX * 2 + 1), 0);
      metrics = { fontSize, lineGap: fontSize >= 7.5 ? 1 : 0.8, padX, padY: fontSize >= 7.5 ? 4 : 3 };
      if (need <= this.width) break;
    }
    return metrics;
  }

  /**
   * Column widths: each column's natural width (widest cell, one line) if everything fits, spread
   * out to the full width; otherwise max-min fair sharing, so narrow columns keep their natural
   * width and the wide ones split what is left (and wrap), never below the widest header word.
   */
  private columnWidths(headers: string[], cells: string[][], metrics: TableMetrics): number[] {
    const { padX, fontSize } = metrics;
    const available = this.width;
    const n = headers.length;

    const words = this.longestWords(headers, cells, fontSize);
    this.font(FONT.bold, fontSize);
    const natural = headers.map((h) => this.widthOf(h) + padX * 2 + 1);
    const minimum = words.map((w) => Math.max(TABLE_MIN_COL, w + padX * 2 + 1));
    this.font(FONT.regular, fontSize);
    for (const row of cells.slice(0, WIDTH_SAMPLE_ROWS)) {
      row.forEach((text, i) => {
        const widest = text.includes('\n')
          ? Math.max(...text.split('\n').map((l) => this.widthOf(l)))
          : this.widthOf(text);
        natural[i] = Math.max(natural[i] ?? 0, Math.min(widest + padX * 2 + 1, available));
      });
    }

    // Never narrower than the longest word (so words only split when they cannot fit at all).
    const floor = natural.map((w, i) => Math.min(w, minimum[i] ?? 0));
    const floorTotal = floor.reduce((a, b) => a + b, 0);
    if (floorTotal >= available) {
      return floor.map((w) => (w * available) / floorTotal);
    }
    const total = natural.reduce((a, b) => a + b, 0);
    if (total <= available) {
      return natural.map((w) => w + ((available - total) * w) / total);
    }
    // Max-min fairness ("water filling") of the space above the floors: columns wanting little
    // get all they want, the wide ones share the rest equally and wrap.
    const widths = [...floor];
    const order = natural.map((w, i) => [w - (floor[i] ?? 0), i] as const).sort((a, b) => a[0] - b[0]);
    let remaining = available - floorTotal;
    order.forEach(([demand, i], k) => {
      const grant = Math.min(demand, remaining / (n - k));
      widths[i] = (widths[i] ?? 0) + grant;
      remaining -= grant;
    });
    return widths;
  }

  // ----- charts ----------------------------------------------------------------------------------

  private chartSection(section: ReportChartSection, index: number): void {
    const points = section.points.map((p) => ({ label: pdfSafe(p.label), value: p.value }));
    if (points.length === 0) {
      this.sectionHeading(section, index, 20);
      this.font(FONT.italic, 9.5, COLOR.muted).line('No data', this.left, this.y, this.width);
      this.y += 16;
      return;
    }
    if (this.useVerticalBars(points)) this.verticalBars(section, index, points);
    else this.horizontalBars(section, index, points);
  }

  private valueLabel(value: number, unit: string | undefined): string {
    return unit === '%' ? `${formatNumber(value)}%` : formatNumber(value);
  }

  private axisCaption(unit: string | undefined): string | undefined {
    return unit ? pdfSafe(`Values in ${unit}`) : undefined;
  }

  /** Vertical bars when every label (or every `labelStep(n)`-th, for a long series) fits under its bars. */
  private useVerticalBars(points: ReportChartPoint[]): boolean {
    if (points.length > 62) return false;
    // Only a series (days, months: labels with numbers) may skip labels; categories show every one.
    if (points.length > 12 && !points.every((p) => /\d/.test(p.label))) return false;
    const step = labelStep(points.length);
    const slot = ((this.width - 40) / points.length) * step - 4;
    this.font(FONT.regular, 8);
    const twoLines = (this.pdf.currentLineHeight(true) + 0.5) * 2 + 0.5;
    return points.every((p, i) => {
      if (i % step !== 0) return true;
      const longest = Math.max(0, ...p.label.split(/\s+/).map((w) => this.widthOf(w)));
      return longest <= slot && this.measure(p.label, slot, 0.5) <= twoLines;
    });
  }

  private verticalBars(section: ReportChartSection, index: number, points: ReportChartPoint[]): void {
    const ticks = axisTicks(points.map((p) => p.value));
    const tMin = ticks[0] ?? 0;
    const tMax = ticks[ticks.length - 1] ?? 1;
    const caption = this.axisCaption(section.unit);

    this.font(FONT.regular, 7.5);
    const axisWidth = Math.max(...ticks.map((t) => this.widthOf(formatNumber(t)))) + 8;
    const plotX = this.left + axisWidth;
    const plotWidth = this.width - axisWidth;
    // Sized to the data: a few bars get room, a long series stays a strip, not a page.
    const plotHeight = points.length <= 12 ? 170 : 130;
    const step = labelStep(points.length);
    const labelArea = 26;
    const total = (caption ? 14 : 0) + 8 + plotHeight + 6 + labelArea;

    this.sectionHeading(section, index, total);
    if (caption) {
      this.font(FONT.italic, 7.5, COLOR.muted).line(caption, this.left, this.y, this.width);
      this.y += 14;
    }
    const plotTop = this.y + 8;
    const plotBottom = plotTop + plotHeight;
    const Y = (v: number) => plotBottom - ((v - tMin) / (tMax - tMin)) * plotHeight;

    // grid + tick labels
    for (const t of ticks) {
      const ty = Y(t);
      this.rule(ty, COLOR.grid, 0.5, plotX, plotWidth);
      this.font(FONT.regular, 7.5, COLOR.muted).line(formatNumber(t), this.left, ty - 3.5, axisWidth - 6, 'right');
    }
    // axes
    this.pdf.save().moveTo(plotX, plotTop).lineTo(plotX, plotBottom).lineWidth(0.75).strokeColor(COLOR.muted).stroke().restore();
    this.rule(Y(0), COLOR.muted, 0.9, plotX, plotWidth);

    const slot = plotWidth / points.length;
    const barWidth = Math.min(slot * 0.62, 54);
    points.forEach((p, i) => {
      const value = Number.isFinite(p.value) ? p.value : 0;
      const x = plotX + i * slot;
      const y0 = Y(0);
      const y1 = Y(value);
      const h = Math.max(Math.abs(y1 - y0), value === 0 ? 0 : 0.75);
      if (h > 0) this.fillRect(x + (slot - barWidth) / 2, Math.min(y0, y1), barWidth, h, COLOR.accent);
      const valueLabel = this.valueLabel(p.value, section.unit);
      this.font(FONT.bold, points.length <= 12 ? 8 : 6.5, COLOR.text);
      if (this.widthOf(valueLabel) <= slot + 2) this.line(valueLabel, x - 1, value >= 0 ? y1 - 10 : y1 + 3, slot + 2, 'center');
      if (i % step === 0) {
        const w = slot * step;
        this.font(FONT.regular, 8, COLOR.muted).box(p.label, x + slot / 2 - w / 2 + 2, plotBottom + 6, w - 4, labelArea - 2, 'center', 0.5);
      }
    });
    this.y = plotBottom + 6 + labelArea;
  }

  private horizontalBars(section: ReportChartSection, index: number, points: ReportChartPoint[]): void {
    const ticks = axisTicks(points.map((p) => p.value));
    const tMin = ticks[0] ?? 0;
    const tMax = ticks[ticks.length - 1] ?? 1;
    const caption = this.axisCaption(section.unit);
    const rowHeight = 17;
    const barHeight = 10;
    const axisHeight = 16;

    this.font(FONT.regular, 8.5);
    const labelWidth = Math.min(Math.max(...points.map((p) => this.widthOf(p.label))), this.width * 0.34) + 10;
    this.font(FONT.bold, 8);
    const valueWidth = Math.max(...points.map((p) => this.widthOf(this.valueLabel(p.value, section.unit)))) + 8;
    const plotX = this.left + labelWidth;
    const plotWidth = Math.max(this.width - labelWidth - valueWidth, 80);
    const X = (v: number) => plotX + ((v - tMin) / (tMax - tMin)) * plotWidth;

    const chromeHeight = (caption ? 14 : 0) + 4 + axisHeight;
    // Keep the whole chart on one page when it can fit on one; otherwise start with a few bars.
    const fullHeight = chromeHeight + rowHeight * points.length;
    const freshPage = this.bottom - this.top - this.headingHeight(section);
    this.sectionHeading(section, index, fullHeight <= freshPage ? fullHeight : chromeHeight + rowHeight * Math.min(points.length, 4));

    let start = 0;
    while (start < points.length) {
      if (start > 0) {
        this.newPage();
        this.continuation(section.title);
      }
      if (caption) {
        this.font(FONT.italic, 7.5, COLOR.muted).line(caption, this.left, this.y, this.width);
        this.y += 14;
      }
      const fit = Math.max(1, Math.floor((this.bottom - this.y - 4 - axisHeight) / rowHeight));
      const chunk = points.slice(start, start + fit);
      const plotTop = this.y + 4;
      const plotBottom = plotTop + chunk.length * rowHeight;

      for (const t of ticks) {
        const tx = X(t);
        this.pdf.save().moveTo(tx, plotTop).lineTo(tx, plotBottom).lineWidth(0.5).strokeColor(COLOR.grid).stroke().restore();
        this.font(FONT.regular, 7.5, COLOR.muted).line(formatNumber(t), tx - 30, plotBottom + 4, 60, 'center');
      }
      this.rule(plotBottom, COLOR.muted, 0.75, plotX, plotWidth);
      this.pdf.save().moveTo(X(0), plotTop).lineTo(X(0), plotBottom).lineWidth(0.9).strokeColor(COLOR.muted).stroke().restore();

      chunk.forEach((p, i) => {
        const value = Number.isFinite(p.value) ? p.value : 0;
        const rowTop = plotTop + i * rowHeight;
        const mid = rowTop + rowHeight / 2;
        const x0 = X(0);
        const x1 = X(value);
        const w = Math.max(Math.abs(x1 - x0), value === 0 ? 0 : 0.75);
        if (w > 0) this.fillRect(Math.min(x0, x1), mid - barHeight / 2, w, barHeight, COLOR.accent);
        this.font(FONT.regular, 8.5, COLOR.text).line(p.label, this.left, mid - 4.5, labelWidth - 10, 'right');
        const label = this.valueLabel(p.value, section.unit);
        this.font(FONT.bold, 8, COLOR.text);
        const lw = this.widthOf(label);
        if (value >= 0) {
          this.line(label, Math.max(x0, x1) + 4, mid - 4, lw + 1);
        } else if (Math.min(x0, x1) - 4 - lw >= plotX + 2) {
          this.line(label, Math.min(x0, x1) - 4 - lw, mid - 4, lw + 1);
        } else {
          // no room left of a long negative bar: print the value inside it
          this.pdf.fillColor(COLOR.white);
          this.line(label, Math.min(x0, x1) + 4, mid - 4, Math.max(w - 8, lw + 1));
        }
      });
      this.y = plotBottom + axisHeight;
      start += chunk.length;
    }
  }

  // ----- text ------------------------------------------------------------------------------------

  private textSection(section: ReportTextSection, index: number): void {
    const paragraphs = section.paragraphs.length > 0 ? section.paragraphs.map((p) => pdfSafe(humanDates(p), true)) : [];
    const size = 10;
    const lineGap = 2.5;
    this.font(FONT.regular, size);
    const firstLines = (this.pdf.currentLineHeight(true) + lineGap) * 3;
    const lead = paragraphs.length > 0 ? Math.min(this.measure(paragraphs[0] ?? '', this.width, lineGap), firstLines) : 16;
    this.sectionHeading(section, index, lead);

    if (paragraphs.length === 0) {
      this.font(FONT.italic, 9.5, COLOR.muted).line('None', this.left, this.y, this.width);
      this.y += 16;
      return;
    }
    for (const paragraph of paragraphs) {
      this.font(FONT.regular, size, COLOR.text);
      const lineHeight = this.pdf.currentLineHeight(true) + lineGap;
      if (this.y + lineHeight * 2 > this.bottom) this.newPage();
      // pdfkit flows long paragraphs onto new pages by itself (same margins).
      this.write(paragraph, this.left, this.y, { width: this.width, lineGap });
      this.y = this.pdf.y + 7;
    }
  }

  // ----- running header / footer -----------------------------------------------------------------

  private decoratePages(): void {
    const { pdf, report, left, width } = this;
    const range = pdf.bufferedPageRange();
    const headerTitle = pdfSafe(report.title);
    const period = `${formatDate(report.period.from)} \u2013 ${formatDate(report.period.to)}`;
    const footerLeft = pdfSafe(`${KIND_LABEL[report.kind]} \u00b7 ${report.id} \u00b7 generated ${formatDateTime(report.generated_at)}`);

    for (let i = range.start; i < range.start + range.count; i++) {
      pdf.switchToPage(i);
      const margins = pdf.page.margins;
      const saved = { ...margins };
      margins.top = 0;
      margins.bottom = 0;
      const pageHeight = pdf.page.height;

      if (i > range.start) {
        this.font(FONT.bold, 7.5, COLOR.accent).line('STRONGROOM', left, 30, 80, 'left', { characterSpacing: 1.5 });
        this.font(FONT.regular, 8, COLOR.muted).line(period, left + width - 150, 30, 150, 'right');
        this.font(FONT.regular, 8, COLOR.muted).line(headerTitle, left + 84, 30, width - 84 - 160);
        this.rule(44, COLOR.rule, 0.6);
      }

      const fy = pageHeight - 40;
      this.rule(fy - 7, COLOR.rule, 0.6);
      this.font(FONT.regular, 7.5, COLOR.faint).line(footerLeft, left, fy, width - 90);
      this.font(FONT.bold, 8, COLOR.muted).line(`Page ${i - range.start + 1} of ${range.count}`, left + width - 90, fy, 90, 'right');

      Object.assign(margins, saved);
    }
  }
}

/** Label every point up to 12, else every 2nd, 3rd, … so at most about 12 labels show. */
function labelStep(n: number): number {
  return n <= 12 ? 1 : Math.ceil(n / 12);
}

const EMPTY_CELL = '\u2014';
const SOFT_HYPHEN = '\u00ad';
const CONTENTS_LINE = 15;

function cellText(value: ReportCellValue | undefined): string {
  if (value === null || value === undefined) return EMPTY_CELL;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  const text = value.length > MAX_CELL_CHARS ? `${value.slice(0, MAX_CELL_CHARS)} \u2026 [truncated]` : value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return formatDate(text);
  return hyphenateIdentifiers(pdfSafe(humanDates(text), true));
}

/**
 * Long identifiers (`SERVICE_ACCOUNT_KEY`, `vault_without_local_encryption`) get a soft hyphen after
 * each underscore: a narrow column breaks them there, with a visible hyphen, instead of anywhere;
 * unbroken, the soft hyphen is invisible (and text extraction joins a hyphenated break again).
 */
function hyphenateIdentifiers(text: string): string {
  return text.replace(/[^\s]{16,}/g, (token) => (token.includes('_') ? token.replace(/_(?=[^_\s])/g, '_\u00ad') : token));
}
