/**
 * A counting semaphore with a bounded wait: how many reports one replica generates at once
 * (REPORT_GENERATION_CONCURRENCY). Generation reads every secret and walks the whole audit chain;
 * without a bound, a few callers in a loop slowed every other request of the replica.
 */
export class GenerationSlots {
  private active = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly size: number) {}

  /** Takes a slot, waiting until `deadline` (epoch ms) at most; false when none came free. */
  async acquire(deadline: number): Promise<boolean> {
    while (this.active >= this.size) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== wake);
          resolve();
        }, remaining);
        this.waiters.push(wake);
      });
    }
    this.active += 1;
    return true;
  }

  release(): void {
    this.active -= 1;
    this.waiters.shift()?.();
  }
}
