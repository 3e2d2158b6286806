import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PollingLoop } from '../common/polling-loop.js';
import { AppConfig } from '../config/index.js';
import type { AlertSeverity } from './alert.types.js';
import { renderBody, retryDelayMs, SIGNATURE_HEADER, signatureHeader, type StoredAlert, targetHost } from './webhook-payload.js';

export interface AlertDeliveryOptions {
  /** The first retry waits about this long; each further one doubles it (with jitter). */
  retryBaseMs: number;
  retryCapMs: number;
  /** After this many attempts a delivery is `failed` and no longer retried. */
  maxAttempts: number;
  pollIntervalMs: number;
  /** Per POST, connection to last byte. */
  timeoutMs: number;
  /** A claimed delivery whose worker died is claimed again after this (at-least-once). */
  leaseSeconds: number;
  batchSize: number;
}

/**
 * Defaults: 15 attempts over roughly 1.5–3 hours (1 s, 2 s, 4 s … capped at 1 h, jittered).
 * The base comes from ALERT_RETRY_BASE_DELAY_MS (see README.md).
 */
export const DEFAULT_ALERT_DELIVERY_OPTIONS: AlertDeliveryOptions = {
  retryBaseMs: 1000,
  retryCapMs: 3_600_000,
  maxAttempts: 15,
  pollIntervalMs: 500,
  timeoutMs: 5000,
  leaseSeconds: 60,
  batchSize: 20,
};

/** DI token for `Partial<AlertDeliveryOptions>`. */
export const ALERT_DELIVERY_OPTIONS = Symbol('ALERT_DELIVERY_OPTIONS');

interface ClaimedDelivery {
  id: string;
  alertId: string;
  target: string;
  /** Including the one about to be made. */
  attempts: number;
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string } | { ok: 'aborted' };

/** TypeORM answers UPDATE … RETURNING with [rows, count] and SELECT/INSERT with rows. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

/**
 * Sends pending alert deliveries in the background, on every replica. A delivery is claimed with
 * `FOR UPDATE SKIP LOCKED` and leased (its next_attempt_at moves past the lease), so one replica
 * sends it; one whose sender died is sent again when the lease ends. Only targets in this
 * replica's ALERT_WEBHOOK_URLS are claimed: the service never POSTs to a URL that did not come
 * from its configuration. Retry waits are real (database) time, never the injected Clock.
 */
@Injectable()
export class AlertDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AlertDelivery');
  private readonly options: AlertDeliveryOptions;
  private readonly shutdown = new AbortController();
  private readonly loop: PollingLoop;
  /** Epoch ms of the soonest retry this worker scheduled (to wake for it before the next poll). */
  private nextRetryAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    @Optional() @Inject(ALERT_DELIVERY_OPTIONS) options?: Partial<AlertDeliveryOptions>,
  ) {
    this.options = { ...DEFAULT_ALERT_DELIVERY_OPTIONS, ...options };
    this.loop = new PollingLoop(
      () => this.tick(),
      () => this.idleMs(),
      (e) => this.logger.error(`alert delivery: ${e.message}`),
    );
  }

  get settings(): Readonly<AlertDeliveryOptions> {
    return this.options;
  }

  onApplicationBootstrap(): void {
    // TASK_WORKER_ENABLED=false makes a replica serve requests only; another one delivers.
    if (this.config.tasks.workerEnabled && this.config.alerts.webhookUrls.length > 0) this.loop.start();
  }

  /** Before the pool closes: no delivery is left half-recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort();
    await this.loop.stop();
  }

  /** Look for due deliveries now instead of at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  /** The next wait: the poll interval, or less when a scheduled retry falls due sooner. */
  private idleMs(): number {
    const now = Date.now();
    if (this.nextRetryAt <= now) this.nextRetryAt = Number.POSITIVE_INFINITY;
    return Math.min(this.options.pollIntervalMs, this.nextRetryAt - now + 5);
  }


  /** Claims and sends one batch; returns how many deliveries it worked on. */
  async tick(): Promise<number> {
    const claimed = await this.claim();
    if (claimed.length === 0) return 0;
    const alerts = await this.loadAlerts([...new Set(claimed.map((d) => d.alertId))]);
    await Promise.all(claimed.map((d) => this.deliver(d, alerts.get(d.alertId))));
    return claimed.length;
  }

  private async claim(): Promise<ClaimedDelivery[]> {
    const result = await this.dataSource.query(
      `UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       WHERE id IN (
         SELECT id FROM alert_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now() AND target = ANY($3::text[])
         ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, alert_id, target, attempts`,
      [this.options.batchSize, this.options.leaseSeconds, this.config.alerts.webhookUrls],
    );
    return rowsOf<{ id: string; alert_id: string; target: string; attempts: number }>(result).map((r) => ({
      id: String(r.id),
      alertId: r.alert_id,
      target: r.target,
      attempts: r.attempts,
    }));
  }

  private async loadAlerts(ids: string[]): Promise<Map<string, StoredAlert>> {
    const rows = (await this.dataSource.query(
      'SELECT id, kind, severity, summary, details, occurred_at FROM alerts WHERE id = ANY($1::text[])',
      [ids],
    )) as { id: string; kind: string; severity: AlertSeverity; summary: string; details: Record<string, unknown>; occurred_at: Date }[];
    return new Map(
      rows.map((r) => [r.id, { id: r.id, kind: r.kind, severity: r.severity, summary: r.summary, details: r.details ?? {}, occurredAt: new Date(r.occurred_at) }]),
    );
  }

  private async deliver(d: ClaimedDelivery, alert: StoredAlert | undefined): Promise<void> {
    try {
      const outcome: Outcome = alert ? await this.send(d, alert) : { ok: false, status: null, error: 'the alert no longer exists' };
      // Shutting down mid-request: leave the claim; the lease ends and the delivery is sent again.
      if (outcome.ok === 'aborted') return;
      await this.record(d, outcome, !alert);
    } catch (e) {
      this.logger.error(`alert delivery ${d.id} to ${targetHost(d.target)}: ${(e as Error).message}`);
    }
  }

  private async send(d: ClaimedDelivery, alert: StoredAlert): Promise<Outcome> {
    const body = renderBody(alert, this.config.alerts.webhookFormat);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Strongroom-Alerts/1',
      'x-strongroom-alert-id': alert.id,
      'x-strongroom-delivery-id': d.id,
      'x-strongroom-delivery-attempt': String(d.attempts),
    };
    const secret = this.config.alerts.webhookSecret;
    // Signed with real time: receivers compare `t` with their own clock.
    if (secret) headers[SIGNATURE_HEADER] = signatureHeader(secret, body, Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(d.target, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.shutdown.signal]),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const note = res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
      return { ok: false, status: res.status, error: `HTTP ${res.status}${note}` };
    } catch (e) {
      if (this.shutdown.signal.aborted) return { ok: 'aborted' };
      return { ok: false, status: null, error: this.describe(e, d.target) };
    }
  }

  private async record(d: ClaimedDelivery, outcome: Exclude<Outcome, { ok: 'aborted' }>, permanent: boolean): Promise<void> {
    if (outcome.ok) {
      await this.dataSource.query(
        `UPDATE alert_deliveries SET status = 'delivered', last_status = $3, last_error = NULL, delivered_at = now()
         WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
        [d.id, d.attempts, outcome.status],
      );
      return;
    }
    const giveUp = permanent || d.attempts >= this.options.maxAttempts;
    const waitMs = giveUp ? 0 : retryDelayMs(d.attempts, this.options.retryBaseMs, this.options.retryCapMs);
    // `attempts = $2`: a sender whose lease ran out (and whose delivery was claimed again) records nothing.
    await this.dataSource.query(
      `UPDATE alert_deliveries SET status = $3, last_status = $4, last_error = $5,
         next_attempt_at = now() + make_interval(secs => $6::float8 / 1000)
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [d.id, d.attempts, giveUp ? 'failed' : 'pending', outcome.status, outcome.error.slice(0, 500), waitMs],
    );
    if (giveUp) {
      this.logger.error(`alert ${d.alertId} could not be delivered to ${targetHost(d.target)} after ${d.attempts} attempt(s): ${outcome.error}`);
    } else {
      this.nextRetryAt = Math.min(this.nextRetryAt, Date.now() + waitMs);
    }
  }

  /** A network error as stored and logged: the cause, never the full URL (it may hold a token). */
  private describe(e: unknown, target: string): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    let message: string;
    if (err?.name === 'TimeoutError') message = `timed out after ${this.options.timeoutMs} ms`;
    else if (err?.cause?.message) message = err.cause.code && !err.cause.message.includes(err.cause.code) ? `${err.cause.code}: ${err.cause.message}` : err.cause.message;
    else message = err?.message ?? 'request failed';
    return message.split(target).join(targetHost(target));
  }
}
