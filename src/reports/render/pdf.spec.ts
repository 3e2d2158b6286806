import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import { renderPdf } from './pdf.js';
import type { ReportDocument, ReportTableSection } from './report-document.js';
import { sampleReportDocument } from './sample-report.js';

const require = createRequire(import.meta.url);
const standardFontDataUrl = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';

interface ExtractedPdf {
  pages: string[];
  info: Record<string, unknown>;
}

/** Text of every page (items joined by spaces) plus the Info dictionary, via pdf.js. */
async function extract(buffer: Buffer): Promise<ExtractedPdf> {
  const pdf = await getDocument({ data: new Uint8Array(buffer), standardFontDataUrl, verbosity: 0, isEvalSupported: false })
    .promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      pages.push(
        content.items
          .map((item) => ('str' in item ? item.str : ''))
          .join(' ')
          .replace(/\s+/g, ' '),
      );
    }
    const meta = await pdf.getMetadata();
    return { pages, info: meta.info as Record<string, unknown> };
  } finally {
    await pdf.destroy();
  }
}

function tableDoc(rows: ReportTableSection['rows'], extra: Partial<ReportTableSection> = {}): ReportDocument {
  const base = sampleReportDocument();
  return {
    ...base,
    summary: base.summary.slice(0, 2),
    sections: [
      {
        kind: 'table',
        id: 'big',
        title: 'Access review decisions',
        columns: [
          { key: 'n', label: 'Row' },
          { key: 'user', label: 'User' },
          { key: 'secret', label: 'Secret' },
          { key: 'decision', label: 'Decision' },
          { key: 'reads', label: 'Reads' },
        ],
        rows,
        ...extra,
      },
    ],
  };
}

describe('renderPdf', () => {
  it('renders a real PDF with title page, every section, numbers and "Page N of M" footers', async () => {
    const doc = sampleReportDocument();
    const buffer = await renderPdf(doc);

    expect(buffer.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(buffer.subarray(-8).toString('latin1')).toContain('%%EOF');

    const { pages, info } = await extract(buffer);
    const all = pages.join('\n');
    expect(pages.length).toBeGreaterThanOrEqual(3);

    // title page
    expect(pages[0]).toContain(doc.title);
    expect(pages[0]).toContain(doc.subtitle);
    expect(pages[0]).toContain('1 Nov 2026 \u2013 30 Nov 2026');
    expect(pages[0]).toContain('30 Nov 2026, 14:05 UTC');
    expect(pages[0]).toContain(doc.integrity.sha256);
    expect(pages[0]).toContain(doc.integrity.key_id);
    expect(pages[0]).toContain('Ed25519');
    expect(pages[0]!.replace(/\s+/g, '')).toContain(doc.integrity.signature);
    expect(pages[0]).toContain('87 / 100');
    expect(pages[0]).toContain('12,840');
    expect(pages[0]).toContain('Secrets under management');

    // sections (and the contents list on page 1)
    for (const section of doc.sections) {
      expect(pages.slice(1).join('\n')).toContain(section.title);
      expect(pages[0]).toContain(section.title);
    }

    // table cells, chart values and labels, text paragraphs, the empty table's text
    expect(all).toContain('prod/payments/stripe/api-key');
    expect(all).toContain('1,234');
    expect(all).toContain('18,234');
    expect(all).toContain('87%');
    expect(all).toContain('Jun 2026');
    expect(all).toContain('Machine learning platform');
    expect(all).toContain('No break-glass access was granted during this period.');
    expect(all).toContain('append-only audit log');
    expect(all).toContain('Łukasiewicz'); // embedded Unicode fonts: printed as written

    pages.forEach((text, i) => {
      expect(text).toContain(`Page ${i + 1} of ${pages.length}`);
    });
    // running header (title and period) on every page but the title page
    pages.slice(1).forEach((text) => {
      expect(text).toContain(doc.title);
      expect(text).toContain('1 Nov 2026 \u2013 30 Nov 2026');
    });

    expect(info.Title).toBe(doc.title);
    expect(info.Author).toBe('Strongroom');
    expect(String(info.CreationDate)).toMatch(/^D:20261130140509/);
  });

  it('is deterministic for the same document', async () => {
    const a = await renderPdf(sampleReportDocument());
    const b = await renderPdf(sampleReportDocument());
    expect(a.equals(b)).toBe(true);
  });

  it('paginates a 2,000-row table over many pages, repeating the header row', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      n: i + 1,
      user: `user-${String(i + 1).padStart(4, '0')}@acme.test`,
      secret: `prod/service-${i % 37}/credential-${i}`,
      decision: i % 9 === 0 ? 'revoke' : 'keep',
      reads: i * 1000 + 7,
    }));
    const { pages } = await extract(await renderPdf(tableDoc(rows)));

    expect(pages.length).toBeGreaterThan(40);
    pages.forEach((text, i) => expect(text).toContain(`Page ${i + 1} of ${pages.length}`));
    // every page after the title page carries the table header (repeated on continuation pages)
    for (const text of pages.slice(1)) {
      expect(text).toMatch(/Row User Secret Decision Reads/);
    }
    expect(pages.slice(2).every((t) => t.includes('Access review decisions (continued)'))).toBe(true);
    const all = pages.join('\n');
    expect(all).toContain('user-0001@acme.test');
    expect(all).toContain('user-2000@acme.test');
    expect(all).toContain('1,999,007'); // reads of the last row, formatted
    // no row lost or duplicated across page breaks
    const seen = all.match(/user-\d{4}@acme\.test/g) ?? [];
    expect(new Set(seen).size).toBe(2000);
    expect(seen.length).toBe(2000);
  }, 60_000);

  it('prints empty_text, or "None", for tables without rows', async () => {
    const withText = await extract(await renderPdf(tableDoc([], { empty_text: 'Nobody had access.' })));
    expect(withText.pages.join('\n')).toContain('Nobody had access.');
    expect(withText.pages.join('\n')).toContain('Row User Secret Decision Reads');

    const withoutText = await extract(await renderPdf(tableDoc([])));
    expect(withoutText.pages[1]).toMatch(/Access review decisions .*None/);
  });

  it('wraps and, if needed, truncates very long cells without breaking the layout', async () => {
    const longWord = 'x'.repeat(400);
    const huge = 'segment/'.repeat(5000); // 40,000 characters, far more than a page
    const { pages } = await extract(
      await renderPdf(
        tableDoc([
          { n: 1, user: longWord, secret: 'a b c', decision: 'keep', reads: 1 },
          { n: 2, user: 'u', secret: huge, decision: 'keep', reads: 2 },
          { n: 3, user: 'last-row-marker', secret: 's', decision: 'keep', reads: 3 },
        ]),
      ),
    );
    const all = pages.join('\n');
    expect(all).toContain('xxxxxxxxxx');
    expect(all).toContain('[truncated]');
    expect(all).toContain('last-row-marker');
    expect(pages.length).toBeLessThan(8);
    pages.forEach((text, i) => expect(text).toContain(`Page ${i + 1} of ${pages.length}`));
  });

  it('flows long text sections over several pages', async () => {
    const base = sampleReportDocument();
    const paragraphs = Array.from(
      { length: 60 },
      (_, i) => `Paragraph ${i + 1}. ` + 'Access to production secrets is reviewed quarterly by each team lead. '.repeat(6),
    );
    const doc: ReportDocument = { ...base, sections: [{ kind: 'text', id: 'policy', title: 'Access policy', paragraphs }] };
    const { pages } = await extract(await renderPdf(doc));
    expect(pages.length).toBeGreaterThan(4);
    const all = pages.join('\n');
    expect(all).toContain('Paragraph 1.');
    expect(all).toContain('Paragraph 60.');
    pages.forEach((text, i) => expect(text).toContain(`Page ${i + 1} of ${pages.length}`));
  });

  it('copes with many columns, unicode outside WinAnsi, negative and empty charts and empty text sections', async () => {
    const base = sampleReportDocument();
    const columns = Array.from({ length: 14 }, (_, i) => ({ key: `c${i}`, label: `Column number ${i + 1}` }));
    const doc: ReportDocument = {
      ...base,
      title: 'Annual assessment \u2014 \u65e5\u672c\u8a9e \ud83d\udd10',
      kind: 'annual',
      summary: Array.from({ length: 14 }, (_, i) => ({ label: `Figure ${i + 1}`, value: i * 1111.5 })),
      sections: [
        {
          kind: 'table',
          id: 'wide',
          title: 'Wide table',
          columns,
          rows: [Object.fromEntries(columns.map((c, i) => [c.key, i % 2 ? i * 100000 : `value-${i}-\u0394\u03a9`]))],
        },
        {
          kind: 'chart',
          id: 'neg',
          title: 'Score change',
          chart: 'bar',
          points: [
            { label: 'Q1', value: -12.5 },
            { label: 'Q2', value: 4 },
            { label: 'Q3', value: 0 },
            { label: 'Q4', value: 22 },
          ],
        },
        { kind: 'chart', id: 'empty', title: 'Empty chart', chart: 'bar', points: [] },
        {
          kind: 'chart',
          id: 'many',
          title: 'Secrets per project',
          chart: 'bar',
          points: Array.from({ length: 90 }, (_, i) => ({ label: `project-${i + 1}`, value: (i * 37) % 101 })),
        },
        { kind: 'text', id: 'notes', title: 'Notes', paragraphs: [] },
      ],
    };
    const { pages, info } = await extract(await renderPdf(doc));
    const all = pages.join('\n');
    expect(info.Title).toBe(doc.title); // metadata keeps full Unicode
    expect(pages[0]).toContain('Annual assessment \u2014 \u65e5\u672c\u8a9e');
    expect(all).toContain('Column number 14');
    expect(all).toContain('1,300,000');
    expect(all).toContain('-12.5');
    expect(all).toContain('No data');
    expect(all).toContain('project-90');
    expect(all).toContain('Secrets per project (continued)');
    expect(all).toMatch(/Notes .*None/);
    expect(pages[0]).toContain('14,449.5'); // 14th summary figure (cards continue in rows of three)
    pages.forEach((text, i) => expect(text).toContain(`Page ${i + 1} of ${pages.length}`));
  });
});
