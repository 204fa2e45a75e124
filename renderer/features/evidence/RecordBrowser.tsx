import { useState } from 'react';
import type { FormEvent } from 'react';
import type { EvidenceFilter } from '../../api/evidence';
import { useLedgerRecords } from '../../api/evidence';
import type { DecisionKind } from '../../../core/contract';
import { RecordTable } from './RecordTable';

const recordTypes = [
  'decision',
  'approval',
  'config_change',
  'pack_activated',
  'checkpoint',
  'gap',
  'tombstone',
  'mcp_tools',
  'finding',
];
const decisions: DecisionKind[] = ['allow', 'warn', 'require_approval', 'deny'];

interface Draft {
  type: string;
  decision: string;
  agent: string;
  session: string;
  rule: string;
  from: string;
  to: string;
}

const emptyDraft: Draft = { type: '', decision: '', agent: '', session: '', rule: '', from: '', to: '' };

function toFilter(draft: Draft): EvidenceFilter {
  const filter: EvidenceFilter = { limit: 50 };
  if (draft.type) filter.types = [draft.type];
  if (draft.decision) filter.decisions = [draft.decision as DecisionKind];
  if (draft.agent.trim()) filter.agent = draft.agent.trim();
  if (draft.session.trim()) filter.session = draft.session.trim();
  if (draft.rule.trim()) filter.rule = draft.rule.trim();
  if (draft.from) filter.from = new Date(draft.from).toISOString();
  if (draft.to) filter.to = new Date(draft.to).toISOString();
  return filter;
}

export function RecordBrowser({
  tenant,
  selected,
  onSelect,
}: {
  tenant: string;
  selected: number | null;
  onSelect: (seq: number) => void;
}) {
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [filter, setFilter] = useState<EvidenceFilter>({ limit: 50 });
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const before = pages[pages.length - 1];
  const records = useLedgerRecords(tenant, before === undefined ? filter : { ...filter, before });
  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));

  function search(event: FormEvent) {
    event.preventDefault();
    setFilter(toFilter(draft));
    setPages([undefined]);
  }

  return (
    <section className="card" aria-labelledby="records-heading">
      <h2 id="records-heading">Records</h2>
      <form className="toolbar" onSubmit={search} aria-label="Search the ledger">
        <label className="inline-field">
          <span>Type</span>
          <select value={draft.type} onChange={(event) => set({ type: event.target.value })}>
            <option value="">Any</option>
            {recordTypes.map((type) => (
              <option key={type}>{type}</option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Decision</span>
          <select value={draft.decision} onChange={(event) => set({ decision: event.target.value })}>
            <option value="">Any</option>
            {decisions.map((decision) => (
              <option key={decision}>{decision}</option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Agent</span>
          <input value={draft.agent} onChange={(event) => set({ agent: event.target.value })} />
        </label>
        <label className="inline-field">
          <span>Session</span>
          <input value={draft.session} onChange={(event) => set({ session: event.target.value })} />
        </label>
        <label className="inline-field">
          <span>Rule</span>
          <input
            value={draft.rule}
            onChange={(event) => set({ rule: event.target.value })}
            placeholder="secrets.read"
          />
        </label>
        <label className="inline-field">
          <span>From</span>
          <input type="datetime-local" value={draft.from} onChange={(event) => set({ from: event.target.value })} />
        </label>
        <label className="inline-field">
          <span>To</span>
          <input type="datetime-local" value={draft.to} onChange={(event) => set({ to: event.target.value })} />
        </label>
        <button type="submit" className="secondary">
          Search
        </button>
      </form>
      {records.isError && <p role="alert">{records.error.message}</p>}
      <RecordTable
        records={records.data?.records ?? []}
        selected={selected}
        onSelect={onSelect}
        empty={records.isLoading ? 'Loading…' : 'No records match.'}
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
          disabled={!records.data?.next}
          onClick={() => records.data?.next && setPages([...pages, records.data.next])}
        >
          Older
        </button>
      </div>
    </section>
  );
}
