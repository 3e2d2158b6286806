/**
 * Claims of tokens whose signature has been verified, until each token's exp, in a bounded LRU
 * (Map insertion order). Only the signature check is skipped on a hit: the time and audience
 * claims are checked again on every use, the same way jsonwebtoken checks them.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { claims: Record<string, unknown>; expMs: number }>();

  constructor(
    private readonly options: { clockToleranceSeconds: number; issuer?: string; audience?: string; max?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers verified claims; a token without a numeric exp is never cached. */
  remember(key: string, claims: Record<string, unknown>): void {
    if (typeof claims.exp !== 'number') return;
    const expMs = (claims.exp + this.options.clockToleranceSeconds) * 1000;
    if (expMs <= this.now()) return;
    this.entries.delete(key);
    this.entries.set(key, { claims, expMs });
    const max = this.options.max ?? 10_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The claims when the token was verified before and its claims still hold now. */
  get(key: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const nowMs = this.now();
    if (entry.expMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    const { claims } = entry;
    const tolerance = this.options.clockToleranceSeconds * 1000;
    if (typeof claims.nbf === 'number' && claims.nbf * 1000 > nowMs + tolerance) return undefined;
    if (this.options.issuer !== undefined && claims.iss !== this.options.issuer) return undefined;
    if (this.options.audience !== undefined) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(this.options.audience)) return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return claims;
  }

  get size(): number {
    return this.entries.size;
  }
}
