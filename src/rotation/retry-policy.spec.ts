import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './retry-policy.js';

describe('backoffDelayMs', () => {
  it('doubles per attempt within [d/2, d]', () => {
    expect(backoffDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelayMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(backoffDelayMs(3, 1000, 60_000, () => 0)).toBe(2000);
  });
  it('is capped and zero for a zero base', () => {
    expect(backoffDelayMs(30, 1000, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelayMs(4, 0)).toBe(0);
  });
});
