/** Retries never wait longer than this, however many attempts came before. */
export const MAX_DELAY_MS = 60 * 60 * 1000;

/**
 * Exponential backoff with jitter: the wait before attempt n+1 is base·2^(n−1), capped at
 * an hour, then scaled by a random factor in [0.5, 1) ("equal jitter") so that deliveries
 * failing together do not retry together, while each wait still at least half-doubles.
 */
export function backoffDelay(baseDelayMs: number, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + 0.5 * random()));
}
