import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { Clock } from '../clock/clock.js';
import { PollingLoop } from '../common/polling-loop.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';

export interface FailureVerdict {
  /** Seconds the client must wait (429 Retry-After); 0 while it is under the limit. */
  retryAfterSeconds: number;
  /** This denial has no audit row of its own: the window's aggregated row counts it. */
  aggregated: boolean;
}

interface ClosedWindow {
  client_address: string;
  window_start: Date;
  window_end: Date;
  failures: number;
  suppressed: number;
}

const SWEEP_BATCH = 500;

/**
 * Counts failed authentications per client address in fixed windows, in PostgreSQL, so every
 * replica sees one count. Only requests that failed authentication are counted and checked: a
 * valid token is never refused for what others did from the same address. Past the limit the
 * client gets 429 with Retry-After until the window ends. Every denial is counted; past the first
 * 429 of a window the denials get no audit row each but one aggregated row per window, written
 * when the window has closed (by the sweeper, or by the address's next failure).
 */
@Injectable()
export class AuthFailureLimiter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly sweeper = new PollingLoop(
    () => this.flushClosed(),
    () => this.sweepIntervalMs(),
    (e) => this.logger.error(`failed-auth window sweep: ${e.message}`),
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  private startTimer: NodeJS.Timeout | undefined;

  onApplicationBootstrap(): void {
    // Nothing can have closed at boot that the previous sweep missed by much: first sweep later.
    this.startTimer = setTimeout(() => this.sweeper.start(), this.sweepIntervalMs());
    this.startTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.startTimer);
    await this.sweeper.stop();
  }

  private sweepIntervalMs(): number {
    return Math.min(this.config.auth.failureWindowSeconds, 60) * 1000;
  }

  /**
   * Counts one failed authentication from `client` and says whether it is past the limit. If the
   * count cannot be kept (database down) the request is refused with 401 all the same.
   */
  async recordFailure(client: string): Promise<FailureVerdict> {
    try {
      return await this.count(client);
    } catch (e) {
      this.logger.error(`failed-auth count: ${(e as Error).message}`);
      return { retryAfterSeconds: 0, aggregated: false };
    }
  }

  private async count(client: string): Promise<FailureVerdict> {
    const windowMs = this.config.auth.failureWindowSeconds * 1000;
    const now = this.clock.now().getTime();
    const start = Math.floor(now / windowMs) * windowMs;
    const limit = this.config.auth.failureLimit;
    // One statement, atomic across replicas: the first 429 of a window (failures = limit + 1) keeps
    // its own audit row, the ones after it are only counted in `suppressed`.
    const [row] = (await this.dataSource.query(
      `WITH counted AS (
         INSERT INTO auth_failure_windows (client_address, window_start, window_end, failures, suppressed)
         VALUES ($1, $2, $3, 1, 0)
         ON CONFLICT (client_address, window_start) DO UPDATE SET
           failures = auth_failure_windows.failures + 1,
           suppressed = auth_failure_windows.suppressed + CASE WHEN auth_failure_windows.failures + 1 > $4 THEN 1 ELSE 0 END
         RETURNING failures)
       SELECT failures FROM counted`,
      [client.slice(0, 64), new Date(start), new Date(start + windowMs), limit + 1],
    )) as { failures: number }[];
    if (!row) throw new Error('the failure count came back empty');
    const failures = Number(row.failures);
    // The address's first failure of a window is the moment to close its earlier windows.
    if (failures === 1) {
      await this.flushClosed(client).catch((e: Error) => this.logger.error(`failed-auth window flush: ${e.message}`));
    }
    if (failures <= limit) return { retryAfterSeconds: 0, aggregated: false };
    // audit_events_total (the denial-rate alert) still sees every denial: the aggregated row adds
    // one when written, so the first suppressed denial is left to it.
    if (failures > limit + 2) this.metrics.auditEvent(AuditAction.AuthRateLimited, 'denied');
    return { retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - now) / 1000)), aggregated: failures > limit + 1 };
  }

  /**
   * Deletes closed windows (of one client, or a batch of any) and writes, in the same
   * transaction, one aggregated audit row for each that suppressed denials. Returns the windows done.
   */
  async flushClosed(client?: string): Promise<number> {
    const now = this.clock.now();
    // Most sweeps find nothing: look before opening a transaction (also keeps the embedded
    // database, which serialises connections, free of idle transactions).
    const due = (await this.dataSource.query(
      `SELECT 1 FROM auth_failure_windows WHERE window_end <= $1 ${client === undefined ? '' : 'AND client_address = $2'} LIMIT 1`,
      client === undefined ? [now] : [now, client.slice(0, 64)],
    )) as unknown[];
    if (due.length === 0) return 0;
    return this.uow.run(async (tx) => {
      const closed = (await tx.query(
        // As a CTE so the driver hands back plain rows (a bare DELETE answers [rows, count]).
        `WITH gone AS (
           DELETE FROM auth_failure_windows WHERE (client_address, window_start) IN (
             SELECT client_address, window_start FROM auth_failure_windows
             WHERE window_end <= $1 ${client === undefined ? '' : 'AND client_address = $3'}
             ORDER BY window_end LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING client_address, window_start, window_end, failures, suppressed)
         SELECT * FROM gone ORDER BY window_end`,
        client === undefined ? [now, SWEEP_BATCH] : [now, SWEEP_BATCH, client.slice(0, 64)],
      )) as ClosedWindow[];
      for (const w of closed) {
        if (Number(w.suppressed) === 0) continue;
        await this.audit.record({
          action: AuditAction.AuthRateLimited,
          outcome: 'denied',
          actor: 'anonymous',
          roles: [],
          requestId: null,
          clientIp: w.client_address,
          userAgent: null,
          occurredAt: now,
          details: {
            aggregated: true,
            count: Number(w.suppressed),
            failures_in_window: Number(w.failures),
            window_start: new Date(w.window_start).toISOString(),
            window_end: new Date(w.window_end).toISOString(),
            status: 429,
          },
        });
      }
      return closed.length;
    });
  }
}
