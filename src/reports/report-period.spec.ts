import { describe, expect, it } from 'vitest';
import { defaultPeriod, documentPeriod, monthToDate, requestedPeriod } from './report-period.js';

const now = new Date('2026-02-15T09:30:00.000Z');
const iso = (p: { from: Date; to: Date }) => [p.from.toISOString(), p.to.toISOString()];

describe('report periods', () => {
  it('covers the 24 h, previous month, previous quarter and previous year', () => {
    expect(iso(defaultPeriod('security', now))).toEqual(['2026-02-14T09:30:00.000Z', '2026-02-15T09:30:00.000Z']);
    expect(iso(defaultPeriod('compliance', now))).toEqual(['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
    expect(iso(defaultPeriod('access_review', now))).toEqual(['2025-10-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect(iso(defaultPeriod('annual', now))).toEqual(['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect(iso(defaultPeriod('compliance', new Date('2026-01-01T07:00:00Z')))).toEqual(['2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect(iso(monthToDate(now))).toEqual(['2026-02-01T00:00:00.000Z', '2026-02-15T09:30:00.000Z']);
  });

  it('reads requested bounds: a date-only end includes that day, and nothing reaches past now', () => {
    expect(iso(requestedPeriod('annual', now, '2025-01-01', '2025-12-31'))).toEqual(['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect(iso(requestedPeriod('compliance', now, '2026-02-01', '2026-02-28'))).toEqual(['2026-02-01T00:00:00.000Z', now.toISOString()]);
    expect(iso(requestedPeriod('security', now, '2026-02-10T00:00:00Z'))).toEqual(['2026-02-10T00:00:00.000Z', now.toISOString()]);
    expect(() => requestedPeriod('security', now, '2026-02-10', '2026-02-01')).toThrow(/empty/);
    expect(() => requestedPeriod('annual', now, '2024-01-01', '2026-01-01')).toThrow(/at most one year/);
  });

  it('writes the end inclusively in documents', () => {
    expect(documentPeriod(defaultPeriod('compliance', now))).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-31T23:59:59.999Z' });
  });
});
