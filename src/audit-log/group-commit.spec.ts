import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('GroupCommit', () => {
  it('writes concurrent items in batches, in order, and settles each caller', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.add(i)));
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.length).toBeLessThan(10);
  });

  it('rejects the callers of a failed batch only', async () => {
    let calls = 0;
    const gc = new GroupCommit<number>(async () => {
      calls += 1;
      if (calls === 1) throw new Error('down');
    });
    await expect(gc.add(1)).rejects.toThrow('down');
    await expect(gc.add(2)).resolves.toBeUndefined();
  });

  it('idle() waits for what was queued, not for items queued afterwards (continuous load)', async () => {
    const written: number[] = [];
    let release: () => void = () => undefined;
    const gc = new GroupCommit<number>(async (items) => {
      if (items.includes(2)) await new Promise<void>((r) => (release = r));
      else await new Promise((r) => setTimeout(r, 2));
      written.push(...items);
    });
    void gc.add(1);
    const idle = gc.idle();
    await idle;
    expect(written).toEqual([1]);
    const blocked = gc.add(2);
    let done = false;
    const waiting = gc.idle().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    // Keep new items coming: idle() must still return once item 2 is written.
    let n = 100;
    const load = setInterval(() => void gc.add(n++), 1);
    release();
    await Promise.all([blocked, waiting]);
    clearInterval(load);
    expect(written.slice(0, 2)).toEqual([1, 2]);
    await gc.idle();
  });
});
