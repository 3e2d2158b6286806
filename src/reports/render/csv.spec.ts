import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { csvCell, neutraliseFormula, renderCsv, renderCsvStream } from './csv.js';
import type { ReportDocument } from './report-document.js';
import { sampleReportDocument } from './sample-report.js';

/**
 * Minimal RFC 4180 reader (csv-parse is not installed): returns records, an empty line being an
 * empty record, so the block structure can be checked too.
 */
function parseCsv(input: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let sawField = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      sawField = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      sawField = true;
    } else if (ch === '\r' && input[i + 1] === '\n') {
      if (sawField || field !== '') record.push(field);
      records.push(record);
      record = [];
      field = '';
      sawField = false;
      i++;
    } else {
      if (ch === '\n' || ch === '\r') throw new Error(`bare line break at ${i}`);
      field += ch;
      sawField = true;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (sawField || field !== '') {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Splits parsed records into blocks separated by empty records. */
function blocks(records: string[][]): string[][][] {
  const out: string[][][] = [[]];
  for (const r of records) {
    if (r.length === 0) out.push([]);
    else out[out.length - 1]!.push(r);
  }
  return out;
}

describe('renderCsv', () => {
  const doc = sampleReportDocument();
  const csv = renderCsv(doc);
  const parsed = blocks(parseCsv(csv));

  it('is plain UTF-8 with CRLF line endings and no BOM', () => {
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    expect(csv.endsWith('\r\n')).toBe(true);
    // every line break outside quoted cells is CRLF (parseCsv throws on bare ones)
    expect(() => parseCsv(csv)).not.toThrow();
    expect(csv).toContain('Zoë Łukasiewicz'); // not transliterated
  });

  it('starts with the summary, then one block per section (title line, header row, rows)', () => {
    expect(parsed).toHaveLength(1 + doc.sections.length);

    const [summary] = parsed;
    expect(summary![0]).toEqual(['Summary']);
    expect(summary![1]).toEqual(['Metric', 'Value']);
    expect(summary).toContainEqual(['Report', doc.title]);
    expect(summary).toContainEqual(['Period from', '2026-11-01']);
    expect(summary).toContainEqual(['Period to', '2026-11-30']);
    expect(summary).toContainEqual(['Generated at', '2026-11-30T14:05:09.000Z']);
    expect(summary).toContainEqual(['Security score', '87 / 100']);
    expect(summary).toContainEqual(['Secrets under management', '12840']);

    doc.sections.forEach((section, i) => {
      const block = parsed[i + 1]!;
      expect(block[0]).toEqual([section.title]);
      if (section.kind === 'table') {
        expect(block[1]).toEqual(section.columns.map((c) => c.label));
        expect(block.length - 2).toBe(section.rows.length);
      } else if (section.kind === 'chart') {
        expect(block[1]).toEqual(['Label', `Value (${section.unit})`]);
        expect(block.slice(2)).toEqual(section.points.map((p) => [p.label, String(p.value)]));
      } else {
        expect(block[1]).toEqual(['Text']);
        expect(block.slice(2)).toEqual(section.paragraphs.map((p) => [p]));
      }
    });
  });

  it('writes raw numbers, true/false and empty cells for null', () => {
    const overdue = parsed[2]!;
    expect(overdue[2]).toEqual(['prod/payments/stripe/api-key', 'production', 'payments-team', '2026-07-02', '61', 'true']);
    expect(overdue[4]![4]).toBe('1234'); // no thousands separator in CSV
    expect(overdue[5]![3]).toBe(''); // null
    const emptyTable = parsed[4]!;
    expect(emptyTable).toEqual([['Emergency (break-glass) access grants'], ['User', 'Granted at', 'Reason']]);
  });

  it('neutralises formula injection in every user-controlled cell', () => {
    const evil: ReportDocument = {
      ...doc,
      summary: [{ label: '=cmd|" /C calc"!A0', value: -3 }],
      sections: [
        {
          kind: 'table',
          id: 't',
          title: '@title',
          columns: [
            { key: 'a', label: '+header' },
            { key: 'b', label: 'plain' },
          ],
          rows: [
            { a: '=HYPERLINK("http://evil.test","x")', b: 1 },
            { a: '+1+1', b: -5 },
            { a: '-2+3', b: 0 },
            { a: '@SUM(A1:A9)', b: null },
            { a: '\t=1+1', b: true },
            { a: '\r=1+1', b: false },
            { a: '\uff1d1+1', b: 2 }, // full-width equals sign
            { a: 'safe = value', b: 3 },
            { a: 'line1\nline2, "quoted"', b: 4 },
          ],
        },
        { kind: 'chart', id: 'c', title: 'c', chart: 'bar', points: [{ label: '=1+2', value: -7 }] },
      ],
    };
    const [summary, table, chart] = blocks(parseCsv(renderCsv(evil)));
    expect(summary).toContainEqual([`'=cmd|" /C calc"!A0`, '-3']);
    expect(table![0]).toEqual(["'@title"]);
    expect(table![1]).toEqual(["'+header", 'plain']);
    expect(table!.slice(2)).toEqual([
      [`'=HYPERLINK("http://evil.test","x")`, '1'],
      ["'+1+1", '-5'], // our own numbers stay numeric
      ["'-2+3", '0'],
      ["'@SUM(A1:A9)", ''],
      ["'\t=1+1", 'true'],
      ["'\r=1+1", 'false'],
      ["'\uff1d1+1", '2'],
      ['safe = value', '3'],
      ['line1\nline2, "quoted"', '4'],
    ]);
    expect(chart!.slice(2)).toEqual([["'=1+2", '-7']]);
    // no cell anywhere starts with a trigger character
    for (const record of parseCsv(renderCsv(evil))) {
      for (const cell of record) {
        if (/^-\d+$/.test(cell)) continue; // numbers we produced
        expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      }
    }
  });

  it('streams exactly the same bytes', async () => {
    const big = sampleReportDocument({ auditRows: 2000 });
    const streamed = await text(renderCsvStream(big));
    expect(streamed).toBe(renderCsv(big));
    expect(blocks(parseCsv(streamed)).at(-1)).toHaveLength(2 + 2000);
  });
});

describe('cell helpers', () => {
  it('csvCell / neutraliseFormula', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(-1.5)).toBe('-1.5');
    expect(csvCell(false)).toBe('false');
    expect(csvCell('-1.5')).toBe("'-1.5");
    expect(neutraliseFormula('ok')).toBe('ok');
    expect(neutraliseFormula('')).toBe('');
  });
});
