import { describe, expect, it } from 'vitest';
import { axisTicks, formatDate, formatDateTime, formatNumber, humanDates, niceStep, pdfSafe } from './pdf-text.js';

describe('pdfSafe', () => {
  it('keeps every printable character (the embedded fonts cover them)', () => {
    expect(pdfSafe('Łukasz Żółć / 张伟 · Αλέξανδρος · Дмитрий')).toBe('Łukasz Żółć / 张伟 · Αλέξανδρος · Дмитрий');
  });

  it('writes ISO timestamps as a person reads them', () => {
    expect(humanDates('at 2026-12-01T23:47:10.123Z, not 2026-12-01')).toBe('at 1 Dec 2026, 23:47 UTC, not 2026-12-01');
  });

  it('drops control and zero-width characters; keeps newlines only when asked', () => {
    expect(pdfSafe('a\u0000b\u200bc\rd\te\u202ef')).toBe('abcd ef');
    expect(pdfSafe('one\ntwo')).toBe('one two');
    expect(pdfSafe('one\ntwo', true)).toBe('one\ntwo');
  });
});

describe('formatting', () => {
  it('formats numbers with en-US grouping regardless of host locale', () => {
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(-12.5)).toBe('-12.5');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });

  it('formats ISO dates and timestamps in UTC, passing through anything else', () => {
    expect(formatDate('2026-11-30')).toBe('30 Nov 2026');
    expect(formatDate('2026-01-05T23:59:59Z')).toBe('5 Jan 2026');
    expect(formatDate('last week')).toBe('last week');
    expect(formatDateTime('2026-11-30T23:30:00-02:00')).toBe('1 Dec 2026, 01:30 UTC');
    expect(formatDateTime('soon')).toBe('soon');
  });
});

describe('axis helpers', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(100)).toBe(20);
    expect(niceStep(12)).toBe(2.5);
    expect(niceStep(0)).toBe(1);
  });

  it('covers zero and the data with round ticks', () => {
    expect(axisTicks([71, 87])).toEqual([0, 20, 40, 60, 80, 100]);
    const neg = axisTicks([-12.5, 22]);
    expect(neg[0]).toBeLessThanOrEqual(-12.5);
    expect(neg.at(-1)).toBeGreaterThanOrEqual(22);
    expect(neg).toContain(0);
    expect(axisTicks([0, 0])).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });
});
