import type { ReactNode } from 'react';
import type { DecisionKind, RecordSummary } from '../../../core/contract';
import { DecisionBadge } from '../../components/DecisionBadge';
import { DataTable } from '../../components/table/DataTable';
import type { Column } from '../../components/table/DataTable';

/** Day and time to the second, 24-hour: short enough for a narrow column; the tooltip and CSV keep RFC 3339. */
const when = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

const columns: Column<RecordSummary>[] = [
  { id: 'seq', header: '#', width: '3.75rem', cell: (r) => r.seq, text: (r) => r.seq },
  {
    id: 'time',
    header: 'Time',
    width: '9.5rem',
    cell: (r) => <time dateTime={r.time}>{when.format(new Date(r.time))}</time>,
    text: (r) => r.time,
  },
  {
    id: 'kind',
    header: 'Record',
    width: '9.5rem',
    // A decision record says its decision; any other record its type.
    cell: (r) =>
      r.decision ? (
        <DecisionBadge decision={r.decision as DecisionKind} />
      ) : (
        <>
          <span className={r.type === 'gap' ? 'record-type record-gap' : 'record-type'}>{r.type}</span>
          {r.pruned && <span className="badge">pruned</span>}
        </>
      ),
    text: (r) => [r.type, r.decision, r.pruned ? 'pruned' : null].filter(Boolean).join(' '),
  },
  {
    id: 'agent',
    header: 'Agent · session',
    width: '11rem',
    wideOnly: true,
    cell: (r) => (
      <>
        {r.agent ?? '—'}
        {r.session && <span className="muted"> · {r.session}</span>}
      </>
    ),
    text: (r) => [r.agent, r.session].filter(Boolean).join(' · ') || null,
  },
  { id: 'summary', header: 'Summary', cell: (r) => r.summary, text: (r) => r.summary },
];

/** Only in the CSV: each row's record hash, so a spreadsheet row can be checked against the ledger. */
const hashColumn: Column<RecordSummary> = {
  id: 'hash',
  header: 'Record hash',
  cell: (r) => <code>{r.recordHash.slice(0, 12)}…</code>,
  text: (r) => r.recordHash,
};

/** Ledger records in a long, virtualized table; the number opens a record. */
export function RecordTable({
  records,
  selected,
  onSelect,
  empty,
  label,
  exportName,
  tools,
  testId = 'record-table',
}: {
  records: readonly RecordSummary[];
  selected: number | null;
  onSelect: (seq: number) => void;
  empty: ReactNode;
  label: string;
  exportName: readonly string[];
  tools?: ReactNode;
  testId?: string;
}) {
  return (
    <DataTable
      rows={records}
      columns={columns}
      csvOnly={[hashColumn]}
      rowKey={(r) => r.seq}
      label={label}
      selected={selected}
      onOpen={(r) => onSelect(r.seq)}
      openLabel={(r) => `Open record ${r.seq}`}
      empty={empty}
      exportName={exportName}
      testId={testId}
      tools={tools}
    />
  );
}
