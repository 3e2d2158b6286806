import { DiscoveryService } from '@nestjs/core';
import type { LoopName } from './job-schedules.js';

export interface LoopTick {
  /** The injected clock's time of this tick. */
  now: Date;
  /** The first tick, at boot. */
  boot: boolean;
}

/**
 * A piece of periodic work: one tick, driven by LoopScheduler at the interval that
 * `loopSchedules()` gives its name. A tick never overlaps the previous one on this replica.
 */
export interface PeriodicWork {
  tick(t: LoopTick): Promise<unknown>;
}

/** Registers a PeriodicWork provider under its name in `loopSchedules()`. */
export const PeriodicLoop = DiscoveryService.createDecorator<LoopName>();
