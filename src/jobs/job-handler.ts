import type { Actor } from '../auth/auth.types.js';

export interface JobContext {
  /** `system:<job>`: who background work acts as, in audit rows and records. */
  actor: Actor;
  /** The run's scheduled time (the clock's now for manual runs). */
  slot: Date;
  runId: string;
}

/** What a scheduled job does. Crons only trigger: the handler is the module's own service. */
export abstract class JobHandler {
  abstract readonly name: string;
  /** Returns value-free counts recorded with the run. Per-item errors are counted, not thrown. */
  abstract run(ctx: JobContext): Promise<Record<string, number | string>>;
}
