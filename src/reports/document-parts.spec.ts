import { describe, expect, it } from 'vitest';
import { canonicalReportJson } from './render/index.js';
import { sampleReportDocument } from './render/sample-report.js';
import { daysOf, inDocumentOrder, jsonSafe, listNote, shortLabel } from './document-parts.js';

/** What jsonb does to a document: object keys sorted by length, then bytes. */
function jsonbOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonbOrder);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
    return Object.fromEntries(keys.map((k) => [k, jsonbOrder((value as Record<string, unknown>)[k])]));
  }
  return value;
}

describe('document parts', () => {
  it('puts a document read back from jsonb in build order without changing its content', () => {
    const doc = sampleReportDocument();
    const shuffled = jsonbOrder(doc) as typeof doc;
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(doc));
    const restored = inDocumentOrder(shuffled);
    expect(JSON.stringify(restored)).toBe(JSON.stringify(doc));
    expect(canonicalReportJson(restored)).toBe(canonicalReportJson(doc));
  });

  it('makes values storable: no NUL, no non-finite numbers, no undefined', () => {
    expect(jsonSafe({ a: 'x\u0000y', b: Number.NaN, c: undefined, d: [undefined, Infinity], e: new Date(0) })).toEqual({
      a: 'xy',
      b: null,
      d: [null, null],
      e: '1970-01-01T00:00:00.000Z',
    });
  });

  it('labels days and capped lists', () => {
    expect(daysOf(new Date('2026-09-28T10:00:00Z'), new Date('2026-09-30T09:00:00Z'))).toEqual(['2026-09-28', '2026-09-29', '2026-09-30']);
    expect(shortLabel('2026-09-03')).toBe('3 Sep');
    expect(shortLabel('2026-09')).toBe('Sep 2026');
    expect(listNote(3, 3, 'secrets', 'by name')).toBe('3 secrets (by name).');
    expect(listNote(250, 1024, 'secrets', 'by name')).toBe('The first 250 of 1024 secrets (by name); the counts cover all of them.');
  });
});
