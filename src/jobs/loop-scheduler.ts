import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { type LoopName, loopSchedules } from './job-schedules.js';
import { PeriodicLoop, type PeriodicWork } from './periodic-loop.js';

/**
 * Drives every `@PeriodicLoop(name)` provider at its interval from `loopSchedules()`. The timer
 * only triggers; the tick gets the injected clock's time, and tests call `tick(name)` directly
 * instead of waiting. A tick that is still running when the next is due is not overlapped.
 */
@Injectable()
export class LoopScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LoopScheduler.name);
  private readonly loops = new Map<LoopName, PeriodicWork>();
  private readonly running = new Map<LoopName, Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: PeriodicLoop.KEY })) {
      const name = this.discovery.getMetadataByDecorator(PeriodicLoop, wrapper);
      if (name && wrapper.instance) this.loops.set(name, wrapper.instance as PeriodicWork);
    }
    const schedules = loopSchedules(this.config);
    for (const [name] of this.loops) {
      const schedule = schedules[name];
      if (!schedule.enabled) continue;
      // Not awaited: boot does not wait for a loop's first tick.
      if (schedule.atBoot) void this.tick(name, true);
      const timer = setInterval(() => void this.tick(name), schedule.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** One tick of `name` now; 'busy' when the previous tick is still running (or shutting down). */
  async tick(name: LoopName, boot = false): Promise<'ran' | 'busy'> {
    const loop = this.loops.get(name);
    if (!loop) throw new Error(`no periodic loop ${name}`);
    if (this.stopping || this.running.has(name)) return 'busy';
    const run = loop
      .tick({ now: this.clock.now(), boot })
      .then(() => undefined)
      .catch((e: Error) => this.logger.error(`${name}: ${e.message}`))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    await run;
    return 'ran';
  }

  /** Shutdown (before the pool closes): no new ticks; waits for the ticks in progress. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.running.values()]);
  }
}
