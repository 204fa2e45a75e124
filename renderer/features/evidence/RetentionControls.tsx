import { useState } from 'react';
import type { FormEvent } from 'react';
import { usePrune, useSetRetention } from '../../api/evidence';
import { useUi } from '../../state/ui';

/** Retention period and legal hold; pruning keeps hashes, so the ledger still verifies. */
export function RetentionControls({
  tenant,
  retention,
}: {
  tenant: string;
  retention: { days: number | null; legalHold: boolean };
}) {
  const announce = useUi((state) => state.announce);
  const save = useSetRetention(tenant);
  const prune = usePrune(tenant);
  const [days, setDays] = useState(retention.days === null ? '' : String(retention.days));
  const [legalHold, setLegalHold] = useState(retention.legalHold);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(
      { days: days.trim() === '' ? null : Number(days), legalHold },
      { onSuccess: () => announce('Retention saved') },
    );
  }

  return (
    <form className="toolbar" onSubmit={submit} aria-label="Retention">
      <label className="inline-field">
        <span>Keep payloads (days; empty = for ever)</span>
        <input
          inputMode="numeric"
          value={days}
          onChange={(event) => setDays(event.target.value)}
          aria-invalid={save.error ? true : undefined}
        />
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={legalHold} onChange={(event) => setLegalHold(event.target.checked)} />
        Legal hold
      </label>
      <button type="submit" className="secondary" disabled={save.isPending}>
        Save retention
      </button>
      <button
        type="button"
        className="secondary"
        disabled={prune.isPending}
        onClick={() =>
          prune.mutate(undefined, {
            onSuccess: (result) =>
              announce(
                result.pruned > 0 ? `Pruned ${result.pruned} payloads` : `Nothing pruned: ${result.reason ?? ''}`,
              ),
          })
        }
      >
        Prune now
      </button>
      {save.error && <span className="field-error">{save.error.message}</span>}
      {prune.error && <span className="field-error">{prune.error.message}</span>}
      {prune.data && (
        <span className="muted small" role="status">
          {prune.data.pruned > 0
            ? `Pruned ${prune.data.pruned} payloads (tombstone #${prune.data.tombstone})`
            : `Nothing pruned: ${prune.data.reason ?? 'nothing is past retention'}`}
        </span>
      )}
    </form>
  );
}
