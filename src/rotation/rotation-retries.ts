import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import { RotationEntity } from './entities/rotation.entity.js';
import { backoffDelayMs } from './retry-policy.js';

const LOCK_NOT_AVAILABLE = '55P03';
const driverCode = (e: unknown) => (e as { driverError?: { code?: string } }).driverError?.code;
const NOT_RETRYABLE = new Set<string>([
  DomainErrorCode.NotFound,
  DomainErrorCode.InvalidInput,
  DomainErrorCode.RotationInProgress,
  DomainErrorCode.Gone,
  DomainErrorCode.AuditUnavailable,
]);

/** Background retries end at shutdown; the rotation stays unfinished and RotationRecovery resumes it. */
export class RetriesStopped extends Error {}

/**
 * When to try again: the backoff between attempts, which errors are worth another attempt, and
 * the attempts that run in the background after an HTTP request has answered.
 */
@Injectable()
export class RotationRetries {
  private readonly logger = new Logger('RotationService');
  /** Retries running in the background (after an HTTP request answered with the unfinished rotation). */
  private readonly retrying = new Set<Promise<void>>();
  private stopping = false;
  private wakeSleepers = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  get maxAttempts(): number {
    return this.config.rotation.maxAttempts;
  }

  /** An inline attempt's error worth another attempt (a store outage, a lost race for the store). */
  retryable(e: unknown): boolean {
    if (e instanceof DomainError) return !NOT_RETRYABLE.has(e.code);
    return !(driverCode(e) === LOCK_NOT_AVAILABLE);
  }

  /** Runs the remaining attempts of `rotation` after the request that started it has answered. */
  inBackground(rotation: RotationEntity, work: () => Promise<RotationEntity>): RotationEntity {
    const snapshot = Object.assign(new RotationEntity(), rotation);
    const done: Promise<void> = work()
      .then((r) => void this.logger.log(`rotation ${r.id} of ${r.secretId} ${r.status} after ${r.attempts} attempt(s)`))
      .catch((e: unknown) => {
        if (e instanceof RetriesStopped) this.logger.log(`rotation ${rotation.id} left for recovery at shutdown`);
        else this.logger.error(`background retry of rotation ${rotation.id} failed: ${(e as Error).message}`);
      })
      .finally(() => this.retrying.delete(done));
    this.retrying.add(done);
    return snapshot;
  }

  /** The backoff before `attempt`; a background retry is cut short (and ended) by shutdown. */
  async backoff(attempt: number, interruptible: boolean): Promise<void> {
    // Each attempt refreshes the rotation's heartbeat; waiting at most half the resume threshold keeps
    // a rotation that is still retrying from looking abandoned to RotationRecovery on another replica.
    const ms = Math.min(
      backoffDelayMs(attempt - 1, this.config.rotation.retryBaseDelayMs),
      (this.config.rotation.resumeAfterSeconds * 1000) / 2,
    );
    if (!interruptible) return this.clock.sleep(ms);
    if (this.stopping) throw new RetriesStopped();
    const signal = this.wakeSleepers.signal;
    await Promise.race([this.clock.sleep(ms), new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
    if (this.stopping) throw new RetriesStopped();
  }

  /** Ends background retries (shutdown): waits for an attempt in flight, not for the backoff. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSleepers.abort();
    await Promise.all([...this.retrying]);
  }
}
