/**
 * Group commit: callers that arrive while a write is in flight are collected and written together
 * by the next write, and each caller's promise settles when the write that carried its item does.
 * One write at a time per process keeps the chain order simple; the batch amortises the chain lock
 * and the commit over every concurrent request.
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  /** Settles when the newest item so far is written (or failed); items are written in order. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
    this.tail = written.then(
      () => undefined,
      () => undefined,
    );
    return written;
  }

  /**
   * Resolves when everything queued so far is written (or failed). Items queued later are not
   * waited for, so this returns under continuous load too.
   */
  idle(): Promise<void> {
    return this.tail;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // Let the requests of this tick join the first batch.
    await new Promise((r) => setImmediate(r));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.write(batch.map((b) => b.item));
          for (const b of batch) b.resolve();
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
