/**
 * Exponential backoff with full jitter: attempt n waits a random time in [d/2, d] where
 * d = base × 2^(n-1), capped. `random` is injectable so tests can pin it.
 */
export function backoffDelayMs(attempt: number, baseMs: number, capMs = 5 * 60_000, random = Math.random): number {
  if (baseMs <= 0) return 0;
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
