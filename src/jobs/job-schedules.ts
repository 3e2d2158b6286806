import type { AppConfig, JobName } from '../config/index.js';

/**
 * Every schedule of the service, in one place. The spec's five tasks take their cron from
 * config (JOB_<NAME>_CRON); the report cadences of the compliance issue are fixed here;
 * backup_secrets runs on BACKUP_SCHEDULE and only when BACKUP_RECIPIENTS is set.
 */
export function jobSchedules(config: AppConfig): Record<string, string> {
  const spec: Record<JobName, string> = config.jobs.schedules;
  return {
    ...spec,
    generate_compliance_report: '0 0 7 1 * *', // monthly, 1st at 07:00
    generate_access_review: '0 0 8 1 1,4,7,10 *', // quarterly
    generate_annual_assessment: '0 0 9 2 1 *', // yearly, 2 January
    ...(config.backups.recipients.length > 0 ? { backup_secrets: config.backups.schedule } : {}),
  };
}

/** Periodic loops run by LoopScheduler (providers marked `@PeriodicLoop(name)`). */
export type LoopName = 'rotation_recovery' | 'audit_checkpoint' | 'previous_version_retirement';

export interface LoopSchedule {
  /** Interval between two ticks on this replica. */
  everyMs: number;
  /** A first tick at boot (not awaited by the boot). */
  atBoot: boolean;
  enabled: boolean;
}

/**
 * Loops are per replica and not recorded as job runs: each tick is cheap and idempotent, and its
 * work is shared through the database (row heartbeats, advisory locks), not through a slot.
 */
export function loopSchedules(config: AppConfig): Record<LoopName, LoopSchedule> {
  return {
    // Resumes rotations a crash left unfinished (rotation/rotation-recovery.ts).
    rotation_recovery: { everyMs: 60_000, atBoot: true, enabled: true },
    // Signs the audit chain head, and verifies the whole chain when the fleet's newest full
    // verification is older than AUDIT_FULL_VERIFY_MINUTES (audit/checkpoints/audit-checkpointer.ts).
    // The interval bounds the window in which removing the newest sealed rows goes unnoticed.
    audit_checkpoint: { everyMs: 5 * 60_000, atBoot: true, enabled: config.audit.enabled },
    // Retires previous versions whose grace period ended or whose consumers all read the new one
    // (secrets/previous-version-retirement.ts); under each secret's row lock, so replicas agree.
    previous_version_retirement: { everyMs: 60_000, atBoot: true, enabled: true },
  };
}

/**
 * Loops with mechanics of their own, listed here so this file names every periodic piece of
 * work. They are not moved onto LoopScheduler because their waits are part of what they promise.
 */
export const SELF_DRIVEN_LOOPS = {
  // One sealer per fleet: the replica holding the session advisory lock `audit-sealer` seals every
  // AUDIT_SEAL_INTERVAL_MS; the others try to take the lock every AUDIT_SEALER_TAKEOVER_MS.
  audit_sealer: 'src/audit/sealer/audit-sealer.ts',
  // PollingLoops: work until none is left, then wait TASK_POLL_INTERVAL_MS (tasks) or until the
  // next due delivery (alerts), or until nudged by the code that just queued work.
  task_worker: 'src/tasks/task-runner.ts',
  alert_delivery: 'src/alerts/alert-delivery.worker.ts',
  auth_failure_sweep: 'src/auth/auth-failure-limiter.ts',
  // Watches TLS_CERT_FILE / TLS_KEY_FILE for renewals.
  tls_reload: 'src/tls/https-options.ts',
} as const;
