import type { DecisionKind, RecordSummary } from '../../../core/contract';
import { DecisionBadge } from '../../components/DecisionBadge';

export function RecordTable({
  records,
  selected,
  onSelect,
  empty,
}: {
  records: RecordSummary[];
  selected: number | null;
  onSelect: (seq: number) => void;
  empty: string;
}) {
  return (
    <table className="table" data-testid="record-table">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time</th>
          <th scope="col">Type</th>
          <th scope="col">Decision</th>
          <th scope="col">Agent / session</th>
          <th scope="col">Summary</th>
        </tr>
      </thead>
      <tbody>
        {records.length === 0 && (
          <tr>
            <td colSpan={6} className="muted">
              {empty}
            </td>
          </tr>
        )}
        {records.map((record) => (
          <tr key={record.seq} aria-selected={record.seq === selected} data-seq={record.seq}>
            <td>
              <button
                type="button"
                className="link"
                onClick={() => onSelect(record.seq)}
                aria-label={`Open record ${record.seq}`}
              >
                {record.seq}
              </button>
            </td>
            <td>
              <time dateTime={record.time}>{new Date(record.time).toLocaleString()}</time>
            </td>
            <td>
              {record.type}
              {record.pruned && <span className="badge">pruned</span>}
            </td>
            <td>{record.decision ? <DecisionBadge decision={record.decision as DecisionKind} /> : null}</td>
            <td className="small">
              {record.agent ?? '—'}
              {record.session && <div className="muted">{record.session}</div>}
            </td>
            <td className="summary-cell">{record.summary}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
