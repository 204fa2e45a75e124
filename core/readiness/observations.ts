import type { Ledger, RecordType } from '../evidence';

/** A ledger record a validator looked at: its sequence number, time and payload. */
export interface Observed<T> {
  seq: number;
  time: string;
  payload: T;
}

/**
 * The newest records of some types (newest first), with their payloads; records whose
 * payload retention pruned are skipped (they prove nothing about the present). Bounded:
 * validators look at recent behaviour, never at an unbounded history.
 */
export function observe<T>(
  ledger: Ledger,
  types: RecordType[],
  options: { since?: Date; limit?: number } = {},
): Observed<T>[] {
  const limit = options.limit ?? 5000;
  const found: Observed<T>[] = [];
  let before: number | undefined;
  for (;;) {
    const page = ledger.query({ types, from: options.since, before, limit: 500 });
    for (const summary of page.records) {
      if (summary.pruned) continue;
      const record = ledger.record(summary.seq);
      if (!record || record.payload === null) continue;
      found.push({ seq: summary.seq, time: summary.time, payload: record.payload as T });
      if (found.length >= limit) return found;
    }
    if (page.next === null || page.records.length === 0) return found;
    before = page.next;
  }
}
