import { describe, expect, it } from 'vitest';
import { GenerationSlots } from './generation-slots.js';

describe('GenerationSlots', () => {
  it('refuses a slot once all are taken and the wait is over', async () => {
    const slots = new GenerationSlots(1);
    expect(await slots.acquire(Date.now())).toBe(true);
    expect(await slots.acquire(Date.now())).toBe(false);
    slots.release();
    expect(await slots.acquire(Date.now())).toBe(true);
  });

  it('hands a released slot to the caller waiting for it', async () => {
    const slots = new GenerationSlots(2);
    await slots.acquire(Date.now());
    await slots.acquire(Date.now());
    const waiting = slots.acquire(Date.now() + 60_000);
    slots.release();
    expect(await waiting).toBe(true);
    expect(await slots.acquire(Date.now())).toBe(false);
  });
});
