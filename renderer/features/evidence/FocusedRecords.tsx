import { useState } from 'react';
import { useFindingEvidence, useLinkedRecords } from '../../api/aispm';
import type { EvidenceFocus } from '../../state/ui';
import { useUi } from '../../state/ui';
import { RecordTable } from './RecordTable';

/** The records another screen sent here: the evidence behind a finding, or the records a view links to. */
export function FocusedRecords({
  tenant,
  focus,
  selected,
  onSelect,
}: {
  tenant: string;
  focus: EvidenceFocus;
  selected: number | null;
  onSelect: (seq: number) => void;
}) {
  const clear = useUi((state) => state.clearEvidenceFocus);
  return (
    <section className="card focus-card" aria-labelledby="focus-heading" data-testid="focused-records">
      <div className="card-head">
        <h2 id="focus-heading">
          {focus.kind === 'finding' ? 'Records behind the finding' : 'Records behind this view'}
        </h2>
        <button type="button" className="secondary" onClick={clear}>
          Back to all records
        </button>
      </div>
      <p className="summary-cell">{focus.title}</p>
      {focus.kind === 'finding' ? (
        <FindingRecords tenant={tenant} findingId={focus.findingId} selected={selected} onSelect={onSelect} />
      ) : (
        <LinkedRecords tenant={tenant} seqs={focus.seqs} selected={selected} onSelect={onSelect} />
      )}
    </section>
  );
}

function FindingRecords({
  tenant,
  findingId,
  selected,
  onSelect,
}: {
  tenant: string;
  findingId: string;
  selected: number | null;
  onSelect: (seq: number) => void;
}) {
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const evidence = useFindingEvidence(tenant, findingId, pages[pages.length - 1]);
  return (
    <>
      {evidence.isError && <p role="alert">{evidence.error.message}</p>}
      {evidence.data && (
        <p className="muted small" data-testid="focus-total">
          {evidence.data.total} record{evidence.data.total === 1 ? '' : 's'} linked to this finding, newest first.
        </p>
      )}
      <RecordTable
        records={evidence.data?.records ?? []}
        selected={selected}
        onSelect={onSelect}
        label="Records behind the finding"
        exportName={['finding-records', tenant, findingId]}
        empty={evidence.isLoading ? 'Loading…' : 'No records are linked to this finding.'}
      />
      <div className="toolbar">
        <button
          type="button"
          className="secondary"
          disabled={pages.length === 1}
          onClick={() => setPages(pages.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!evidence.data?.next}
          onClick={() => evidence.data?.next && setPages([...pages, evidence.data.next])}
        >
          Older
        </button>
      </div>
    </>
  );
}

function LinkedRecords({
  tenant,
  seqs,
  selected,
  onSelect,
}: {
  tenant: string;
  seqs: number[];
  selected: number | null;
  onSelect: (seq: number) => void;
}) {
  const records = useLinkedRecords(tenant, seqs.slice(0, 100));
  return (
    <>
      {records.isError && <p role="alert">{records.error.message}</p>}
      <RecordTable
        records={records.data?.records ?? []}
        selected={selected}
        onSelect={onSelect}
        label="Records behind this view"
        exportName={['linked-records', tenant, `${seqs.length}-records`]}
        empty={records.isLoading ? 'Loading…' : 'These records are no longer in the ledger.'}
      />
    </>
  );
}
