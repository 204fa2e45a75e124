import { useMemo, useRef, useState } from 'react';
import type { DecisionKind } from '../../../core/contract';
import { decisionKinds } from '../../../core/contract';
import { useLedgerRecords } from '../../api/evidence';
import type { EvidenceFilter } from '../../api/evidence';
import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';
import { RecordTable } from '../evidence/RecordTable';
import { RecordDetail } from '../evidence/RecordDetail';

/**
 * Decisions as they are recorded, from every adapter and process, straight from the ledger,
 * with the gate's `gap` records (what it could not sign or record) among them. The filters
 * and the open record live in the address.
 */
export function LiveActivityScreen() {
  const tenant = useUi((state) => state.route.tenant);
  const { filters, item } = useUi((state) => state.route);
  const setFilters = useUi((state) => state.setFilters);
  const open = useUi((state) => state.open);
  const [paused, setPaused] = useState(false);
  const agentField = useRef<HTMLInputElement>(null);
  const decision = decisionKinds.includes(filters.decision as DecisionKind) ? (filters.decision as DecisionKind) : '';
  const agent = filters.agent ?? '';
  const filter = useMemo<EvidenceFilter>(() => {
    // Gaps are denials too (the gate could not sign or record): shown unless a decision is picked.
    const f: EvidenceFilter = { types: decision ? ['decision'] : ['decision', 'gap'], limit: 200 };
    if (decision) f.decisions = [decision];
    if (agent.trim()) f.agent = agent.trim();
    return f;
  }, [decision, agent]);
  const records = useLedgerRecords(tenant, filter, !paused);
  const selected = item !== null && /^\d+$/.test(item) ? Number(item) : null;
  useShortcuts('Live activity', [
    { keys: '/', key: '/', description: 'Filter by agent', run: () => agentField.current?.focus() },
    { keys: 'p', key: 'p', description: 'Pause or resume the feed', run: () => setPaused((was) => !was) },
    { keys: 'Esc', key: 'Escape', description: 'Close the open record', run: () => open(null) },
  ]);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const rows = records.data?.records ?? [];

  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="activity-heading">
        <div className="card-head">
          <h2 id="activity-heading">
            Decisions <span className={`live-dot ${paused ? 'paused' : ''}`} aria-hidden="true" />
            <span className="muted small">{paused ? 'Paused' : 'Live'}</span>
          </h2>
          <button type="button" className="secondary" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
        </div>
        <div className="toolbar" role="group" aria-label="Filters">
          <label className="inline-field">
            <span>Decision</span>
            <select value={decision} onChange={(event) => setFilters({ decision: event.target.value })}>
              <option value="">Any</option>
              {decisionKinds.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>Agent</span>
            <input
              ref={agentField}
              value={agent}
              onChange={(event) => setFilters({ agent: event.target.value })}
              placeholder="claude-code"
            />
          </label>
        </div>
        {records.isError && <p role="alert">{records.error.message}</p>}
        <div data-testid="activity-feed">
          <RecordTable
            records={rows}
            selected={selected}
            onSelect={(seq) => open(String(seq))}
            label="Decisions"
            exportName={[
              'decisions',
              tenant,
              ...Object.entries(filters)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => `${k}=${v}`),
            ]}
            empty={
              records.isLoading
                ? 'Loading…'
                : 'No decisions yet. Run an agent through a CAVRA adapter (see the trial checklist), or `npx cavra evaluate`.'
            }
          />
        </div>
      </section>
      {selected !== null && <RecordDetail tenant={tenant} seq={selected} onClose={() => open(null)} />}
    </div>
  );
}
