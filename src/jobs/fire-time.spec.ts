import { describe, expect, it } from 'vitest';
import { previousFireTime } from './fire-time.js';

const at = (iso: string) => new Date(iso);

describe('previousFireTime', () => {
  it('maps every callback to the fire it belongs to, at second precision', () => {
    expect(previousFireTime('*/20 * * * * *', at('2026-12-01T12:00:00.000Z')).toISOString()).toBe('2026-12-01T12:00:00.000Z');
    expect(previousFireTime('*/20 * * * * *', at('2026-12-01T12:00:19.999Z')).toISOString()).toBe('2026-12-01T12:00:00.000Z');
    expect(previousFireTime('*/20 * * * * *', at('2026-12-01T12:00:20.004Z')).toISOString()).toBe('2026-12-01T12:00:20.000Z');
    expect(previousFireTime('*/20 * * * * *', at('2026-12-01T12:00:59.500Z')).toISOString()).toBe('2026-12-01T12:00:40.000Z');
  });

  it('finds daily, weekly and yearly fires in the past', () => {
    expect(previousFireTime('0 15 2 * * *', at('2026-12-01T02:15:00.250Z')).toISOString()).toBe('2026-12-01T02:15:00.000Z');
    expect(previousFireTime('0 15 2 * * *', at('2026-12-01T02:14:59.000Z')).toISOString()).toBe('2026-11-30T02:15:00.000Z');
    expect(previousFireTime('0 30 3 * * 0', at('2026-12-01T02:15:00.000Z')).toISOString()).toBe('2026-11-29T03:30:00.000Z');
    expect(previousFireTime('0 0 9 2 1 *', at('2026-12-01T00:00:00.000Z')).toISOString()).toBe('2026-01-02T09:00:00.000Z');
  });
});
