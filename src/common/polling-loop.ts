import { setTimeout as delay } from 'node:timers/promises';

/**
 * A background worker's loop: call `tick` until it finds no work, then wait `idleMs()` (real time)
 * or until `nudge()`. A nudge that arrives while a tick runs is not lost: the next wait is skipped.
 */
export class PollingLoop {
  private running: Promise<void> | undefined;
  private stopping = false;
  private nudged = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly tick: () => Promise<number>,
    private readonly idleMs: () => number,
    private readonly onError: (e: Error) => void,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let worked = 0;
      try {
        worked = await this.tick();
      } catch (e) {
        this.onError(e as Error);
      }
      if (worked > 0 || this.stopping) continue;
      if (this.nudged) {
        this.nudged = false;
        continue;
      }
      const ac = new AbortController();
      this.wake = () => ac.abort();
      await delay(Math.max(0, this.idleMs()), undefined, { signal: ac.signal }).catch(() => undefined);
      this.wake = undefined;
      this.nudged = false;
    }
  }
}
