import { usePrune, useSetRetention } from '../../api/evidence';
import { Field, SubmitRow } from '../../components/form/Field';
import { useContractForm } from '../../components/form/useContractForm';
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
  const form = useContractForm('evidence.retention.set', {
    initial: { days: retention.days === null ? '' : String(retention.days), legalHold: retention.legalHold },
    labels: { days: 'Days to keep payloads', legalHold: 'Legal hold' },
    // Empty keeps payloads for ever; anything else must be a whole number of days (the schema says so).
    toInput: ({ days, legalHold }) => ({ days: days.trim() === '' ? null : Number(days), legalHold }),
  });

  const submit = form.onSubmit((input) =>
    save.mutate(input, { onSuccess: () => announce('Retention saved'), onError: (error) => form.showError(error) }),
  );

  return (
    <form className="toolbar retention" onSubmit={submit} aria-label="Retention" noValidate>
      <Field form={form} name="days" hint="Empty keeps them for ever.">
        {(describedBy) => <input {...form.textProps('days')} aria-describedby={describedBy} inputMode="numeric" />}
      </Field>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={form.values.legalHold}
          onChange={(event) => form.set('legalHold', event.target.checked)}
        />
        Legal hold
      </label>
      <SubmitRow form={form} label="Save retention" pending={save.isPending} tone="secondary">
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
      </SubmitRow>
      {prune.error && <p className="field-error">{prune.error.message}</p>}
      {prune.data && (
        <p className="muted small" role="status">
          {prune.data.pruned > 0
            ? `Pruned ${prune.data.pruned} payloads (tombstone #${prune.data.tombstone})`
            : `Nothing pruned: ${prune.data.reason ?? 'nothing is past retention'}`}
        </p>
      )}
    </form>
  );
}
