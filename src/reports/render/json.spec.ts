import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalReportJson, renderJson } from './json.js';
import { sampleReportDocument } from './sample-report.js';

describe('canonicalJson', () => {
  it('is independent of key order, recursively, and has no whitespace', () => {
    const a = { b: 1, a: { y: [3, { z: 1, a: 2 }], x: 'v' }, c: null };
    const b = { c: null, a: { x: 'v', y: [3, { a: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"v","y":[3,{"a":2,"z":1}]},"b":1,"c":null}');
  });

  it('keeps array order and behaves like JSON.stringify for scalars, undefined and toJSON', () => {
    expect(canonicalJson([2, 1, undefined])).toBe('[2,1,null]');
    expect(canonicalJson({ a: undefined, b: () => 1, c: 'x' })).toBe('{"c":"x"}');
    expect(canonicalJson({ d: new Date('2026-11-30T00:00:00Z') })).toBe('{"d":"2026-11-30T00:00:00.000Z"}');
    expect(canonicalJson('é"\n\u2028\ud800')).toBe(JSON.stringify('é"\n\u2028\ud800'));
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('sorts keys by UTF-16 code units (RFC 8785 order)', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, _: 4, é: 5, '10': 6, '9': 7 })).toBe(
      '{"10":6,"9":7,"B":2,"_":4,"a":3,"b":1,"é":5}',
    );
  });

  it('refuses values without a single JSON form', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ n: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular/);
    expect(() => canonicalJson(undefined)).toThrow();
    // shared (non-cyclic) references are fine
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('gives a stable digest for a report regardless of how the builder ordered its keys', () => {
    const doc = sampleReportDocument();
    const reordered = JSON.parse(JSON.stringify(doc), (_key, value: unknown) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).reverse())
        : value,
    );
    const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
    expect(digest(canonicalReportJson(reordered))).toBe(digest(canonicalReportJson(doc)));
    expect(canonicalReportJson(doc)).not.toContain('"integrity"');
    expect(JSON.parse(canonicalReportJson(doc))).toEqual({ ...doc, integrity: undefined });
  });
});

describe('renderJson', () => {
  it('is pretty, 2-space indented and round-trips', () => {
    const doc = sampleReportDocument();
    const json = renderJson(doc);
    expect(json.startsWith('{\n  "id": ')).toBe(true);
    expect(JSON.parse(json)).toEqual(doc);
  });
});
