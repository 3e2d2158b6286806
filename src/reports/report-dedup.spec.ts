import { describe, expect, it } from 'vitest';
import { reportDedupKey } from './report-dedup.js';

const at = (iso: string) => new Date(iso);

describe('reportDedupKey', () => {
  it('keys a closed period by the period itself', () => {
    const spec = { kind: 'compliance' as const, standard: 'soc2' as const, period: { from: at('2026-10-01T00:00:00Z'), to: at('2026-11-01T00:00:00Z') } };
    expect(reportDedupKey(spec, at('2026-11-05T10:00:00Z'))).toBe('compliance:soc2:2026-10-01T00:00:00.000Z/2026-11-01T00:00:00.000Z');
    expect(reportDedupKey(spec, at('2026-12-05T10:00:00Z'))).toBe(reportDedupKey(spec, at('2026-11-05T10:00:00Z')));
  });

  it('keys a period reaching now by the hour it was asked in', () => {
    const now = at('2026-11-05T10:37:12.345Z');
    const rolling = { kind: 'security' as const, period: { from: at('2026-11-04T10:37:12.345Z'), to: now } };
    const key = reportDedupKey(rolling, now, true);
    expect(key).toBe('security:-:rolling/now@2026-11-05T10');
    const later = at('2026-11-05T10:59:59.999Z');
    expect(reportDedupKey({ ...rolling, period: { from: at('2026-11-04T10:59:59.999Z'), to: later } }, later, true)).toBe(key);
    const nextHour = at('2026-11-05T11:00:00.000Z');
    expect(reportDedupKey({ ...rolling, period: { from: at('2026-11-04T11:00:00Z'), to: nextHour } }, nextHour, true)).not.toBe(key);
    const fixedStart = { kind: 'annual' as const, period: { from: at('2026-01-01T00:00:00Z'), to: now } };
    expect(reportDedupKey(fixedStart, now)).toBe('annual:-:2026-01-01T00:00:00.000Z/now@2026-11-05T10');
  });
});
