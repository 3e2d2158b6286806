import { Clock } from '../../src/clock/clock.js';

/** A clock tests move by hand; `sleep` returns at once and records what was asked. */
export class TestClock extends Clock {
  private current: number;
  readonly sleeps: number[] = [];

  constructor(start = new Date('2026-11-30T12:00:00.000Z')) {
    super();
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
  }
}
