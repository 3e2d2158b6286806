import type { RotationCheck } from '../../rotator.port.js';

/**
 * The checks of a dry run, in order: each records ok (with an optional detail) or the failure's
 * message as `describe` renders it (rotators' describers never include a value).
 */
export class DryRunChecks {
  readonly checks: RotationCheck[] = [];

  constructor(private readonly describe: (e: unknown) => string = (e) => String((e as Error).message ?? 'failed').slice(0, 300)) {}

  /** Runs one check; true when it held. */
  async record(check: string, fn: () => Promise<string | void>): Promise<boolean> {
    try {
      const detail = await fn();
      this.checks.push({ check, ok: true, ...(detail ? { detail } : {}) });
      return true;
    } catch (e) {
      this.checks.push({ check, ok: false, detail: this.describe(e) });
      return false;
    }
  }
}

/** A driver error's message with its code (pg, mysql2): they name the failed step, never the password. */
export function describeDriverError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `${err.message ?? 'failed'}${err.code && !err.message?.includes(err.code) ? ` (${err.code})` : ''}`.slice(0, 300);
}
