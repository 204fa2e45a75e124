import { useMemo, useState } from 'react';
import type { DecisionKind } from '../../../core/contract';
import { useLedgerRecords } from '../../api/evidence';
import type { EvidenceFilter } from '../../api/evidence';
import { useUi } from '../../state/ui';
import { RecordTable } from '../evidence/RecordTable';
import { RecordDetail } from '../evidence/RecordDetail';

const decisions: DecisionKind[] = ['allow', 'warn', 'require_approval', 'deny'];

/** Decisions (and gaps: denials the gate could not record as decisions) as they are recorded, from every adapter and process, straight from the ledger. */
export function LiveActivityScreen() {
  const tenant = useUi((state) => state.tenant);
  const [paused, setPaused] = useState(false);
  const [decision, setDecision] = useState('');
  const [agent, setAgent] = useState('');
  const [selected, setSelected] = useState<number | null>(null);
  const filter = useMemo<EvidenceFilter>(() => {
    // Gaps are denials too (the gate could not sign or record): shown unless a decision is picked.
    const f: EvidenceFilter = { types: decision ? ['decision'] : ['decision', 'gap'], limit: 100 };
    if (decision) f.decisions = [decision as DecisionKind];
    if (agent.trim()) f.agent = agent.trim();
    return f;
  }, [decision, agent]);
  const records = useLedgerRecords(tenant, filter, !paused);
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
        <div className="toolbar">
          <label className="inline-field">
            <span>Decision</span>
            <select value={decision} onChange={(event) => setDecision(event.target.value)}>
              <option value="">Any</option>
              {decisions.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>Agent</span>
            <input value={agent} onChange={(event) => setAgent(event.target.value)} placeholder="claude-code" />
          </label>
        </div>
        {records.isError && <p role="alert">{records.error.message}</p>}
        <div data-testid="activity-feed">
          <RecordTable
            records={rows}
            selected={selected}
            onSelect={setSelected}
            empty={
              records.isLoading
                ? 'Loading…'
                : 'No decisions yet. Run an agent through a CAVRA adapter (see the trial checklist), or `npx cavra evaluate`.'
            }
          />
        </div>
      </section>
      {selected !== null && <RecordDetail tenant={tenant} seq={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}
