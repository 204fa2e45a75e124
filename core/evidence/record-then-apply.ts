import type { AppendableRecordType } from './record-types';

/** What commits one evidence record before returning (the Ledger's `appendNow`; matched structurally). */
export interface ChangeLedger<R extends { seq: number } = { seq: number }> {
  appendNow(input: { type: AppendableRecordType; payload: unknown }): R;
}

/**
 * Record, then apply (HOUSE rule 14): the one way a configuration change takes effect. The
 * evidence record commits first; only then does `apply` change state. A record that cannot
 * be committed throws before anything changed, so no change is ever in force unrecorded. If
 * `apply` fails after the record committed, a `gap` record says the recorded change did not
 * take effect, and the error goes to the caller.
 */
export function recordThenApply<T, R extends { seq: number }>(
  ledger: ChangeLedger<R>,
  change: { type: AppendableRecordType; payload: unknown },
  apply: (receipt: R) => T,
): T {
  const receipt = ledger.appendNow(change);
  const noted = (error: unknown): never => {
    try {
      ledger.appendNow({
        type: 'gap',
        payload: {
          source: 'configuration',
          reason:
            `the change recorded as record ${receipt.seq} did not take effect: ${error instanceof Error ? error.message : String(error)}`.slice(
              0,
              2000,
            ),
        },
      });
    } catch {
      // The ledger failed too; the caller still learns that the change failed.
    }
    throw error;
  };
  try {
    const applied = apply(receipt);
    // A change applied through an async repository fails later; it is noted all the same.
    if (applied instanceof Promise) return applied.catch(noted) as T;
    return applied;
  } catch (error) {
    return noted(error);
  }
}
