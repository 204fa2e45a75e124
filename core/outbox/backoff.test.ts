import { describe, expect, it } from 'vitest';
import { MAX_DELAY_MS, backoffDelay } from './backoff';

describe('backoff with equal jitter', () => {
  it('doubles from the base and stays within [½, 1) of each step', () => {
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      const step = 1000 * 2 ** (attempt - 1);
      expect(backoffDelay(1000, attempt, () => 0)).toBe(step / 2);
      expect(backoffDelay(1000, attempt, () => 0.98)).toBeLessThan(step);
      expect(backoffDelay(1000, attempt, () => 0.98)).toBeGreaterThan(step * 0.98);
    }
  });

  it('spreads deliveries that fail together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(30_000, 3)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(60_000);
      expect(delay).toBeLessThan(120_000);
    }
  });

  it('never waits longer than an hour, however many attempts came before', () => {
    expect(backoffDelay(30_000, 40, () => 0.999999)).toBeLessThanOrEqual(MAX_DELAY_MS);
    expect(backoffDelay(30_000, 40, () => 0)).toBe(MAX_DELAY_MS / 2);
  });
});
