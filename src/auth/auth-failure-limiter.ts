import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { Clock } from '../clock/clock.js';

/**
 * Counts failed authentications per client address in a fixed window; past the limit the client
 * gets 429 with Retry-After until the window ends. Per process: each replica limits on its own.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Seconds the client must wait, or 0 when it may try. */
  retryAfter(client: string): number {
    const w = this.windows.get(client);
    const now = this.clock.now().getTime();
    if (!w || w.resetAt <= now) return 0;
    return w.count >= this.config.auth.failureLimit ? Math.ceil((w.resetAt - now) / 1000) : 0;
  }

  recordFailure(client: string): void {
    const now = this.clock.now().getTime();
    const w = this.windows.get(client);
    if (!w || w.resetAt <= now) {
      if (this.windows.size > 100_000) this.sweep(now);
      this.windows.set(client, { count: 1, resetAt: now + this.config.auth.failureWindowSeconds * 1000 });
    } else {
      w.count += 1;
    }
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}
