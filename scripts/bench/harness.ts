/** Shared measuring for `npm run bench`: suites print figures; nothing here fails a build. */

export interface BenchSuite {
  name: string;
  run(print: (line: string) => void): Promise<void>;
}

/** Percentile of already-sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Summarises durations in nanoseconds as p50/p95/p99 in µs or ms. */
export function latencySummary(samplesNs: number[], unit: 'us' | 'ms' = 'us'): string {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const scale = unit === 'us' ? 1e3 : 1e6;
  const fmt = (p: number) => (percentile(sorted, p) / scale).toFixed(unit === 'us' ? 1 : 2);
  return `p50 ${fmt(50)} ${unit}  p95 ${fmt(95)} ${unit}  p99 ${fmt(99)} ${unit}  (n=${sorted.length})`;
}

/** Runs `fn` over `inputs` repeatedly, timing each call with hrtime. */
export function timeEach<T>(inputs: readonly T[], fn: (input: T) => unknown, rounds = 1): number[] {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const input of inputs) {
      const start = process.hrtime.bigint();
      fn(input);
      samples.push(Number(process.hrtime.bigint() - start));
    }
  }
  return samples;
}
