import { DiscoveryService } from '@nestjs/core';
import type { Actor } from '../auth/auth.types.js';

export interface JobContext {
  /** `system:<job>`: who background work acts as, in audit rows and records. */
  actor: Actor;
  /** The run's scheduled time (the clock's now for manual runs). */
  slot: Date;
  runId: string;
}

/**
 * What a scheduled job does. Crons only trigger: a job (`*.job.ts`) makes one call to its
 * module's service, which holds the work and the SQL. Mark the class `@ScheduledJob()` and list
 * it in its module's providers; JobsService finds it by discovery.
 */
export abstract class JobHandler {
  abstract readonly name: string;
  /** Returns value-free counts recorded with the run. Per-item errors are counted, not thrown. */
  abstract run(ctx: JobContext): Promise<Record<string, number | string>>;
}

/** Registers a JobHandler provider with JobsService (found by Nest's DiscoveryService). */
export const ScheduledJob = DiscoveryService.createDecorator<void>();
