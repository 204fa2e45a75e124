import { useState } from 'react';
import type { FormEvent } from 'react';
import { findingCategories, severities } from '../../../core/contract';
import type { FindingCategory, FindingStatus, FindingView, FindingsFilter, Severity } from '../../../core/contract';
import { useAcceptRisk, useFindings, useUpdateFinding } from '../../api/aispm';
import { SeverityBadge } from '../../components/DecisionBadge';
import { useUi } from '../../state/ui';
import { categoryText, formatTime, statusText } from './labels';

type StatusView = 'active' | 'accepted_risk' | 'resolved' | 'all';

const statusViews: Record<StatusView, { label: string; statuses?: FindingStatus[] }> = {
  active: { label: 'Open and acknowledged', statuses: ['open', 'acknowledged'] },
  accepted_risk: { label: 'Accepted risk', statuses: ['accepted_risk'] },
  resolved: { label: 'Resolved', statuses: ['resolved'] },
  all: { label: 'All' },
};

interface Draft {
  view: StatusView;
  severity: Severity | '';
  category: FindingCategory | '';
  owner: string;
  search: string;
}

function toFilter(draft: Draft): FindingsFilter {
  const filter: FindingsFilter = { limit: 200 };
  const statuses = statusViews[draft.view].statuses;
  if (statuses) filter.statuses = statuses;
  if (draft.severity) filter.severities = [draft.severity];
  if (draft.category) filter.categories = [draft.category];
  if (draft.owner.trim() === '-') filter.owner = '';
  else if (draft.owner.trim()) filter.owner = draft.owner.trim();
  if (draft.search.trim()) filter.search = draft.search.trim();
  return filter;
}

export function FindingsPanel({ tenant }: { tenant: string }) {
  const [draft, setDraft] = useState<Draft>({ view: 'active', severity: '', category: '', owner: '', search: '' });
  const [filter, setFilter] = useState<FindingsFilter>(toFilter(draft));
  const [selected, setSelected] = useState<string | null>(null);
  const findings = useFindings(tenant, filter);
  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  const list = findings.data?.findings ?? [];
  const active = list.find((f) => f.id === selected) ?? null;

  function search(event: FormEvent) {
    event.preventDefault();
    setFilter(toFilter(draft));
  }

  return (
    <section className="card" aria-labelledby="findings-heading">
      <h2 id="findings-heading">Findings</h2>
      <form className="toolbar" onSubmit={search} aria-label="Filter findings">
        <label className="inline-field">
          <span>Status</span>
          <select value={draft.view} onChange={(e) => set({ view: e.target.value as StatusView })}>
            {Object.entries(statusViews).map(([value, view]) => (
              <option key={value} value={value}>
                {view.label}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Severity</span>
          <select value={draft.severity} onChange={(e) => set({ severity: e.target.value as Severity | '' })}>
            <option value="">Any</option>
            {[...severities].reverse().map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Category</span>
          <select value={draft.category} onChange={(e) => set({ category: e.target.value as FindingCategory | '' })}>
            <option value="">Any</option>
            {findingCategories.map((c) => (
              <option key={c} value={c}>
                {categoryText[c]}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Owner (- for none)</span>
          <input value={draft.owner} onChange={(e) => set({ owner: e.target.value })} />
        </label>
        <label className="inline-field">
          <span>Search</span>
          <input
            value={draft.search}
            onChange={(e) => set({ search: e.target.value })}
            placeholder="rule, repository…"
          />
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
      </form>
      {findings.isError && <p role="alert">{findings.error.message}</p>}
      <p className="muted small" data-testid="findings-count">
        {findings.data ? `${findings.data.total} finding${findings.data.total === 1 ? '' : 's'}` : 'Loading…'}
      </p>
      <div className="table-scroll">
        <table className="table" data-testid="findings-table">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Finding</th>
              <th scope="col">Status</th>
              <th scope="col">Owner</th>
              <th scope="col">Seen</th>
              <th scope="col">Evidence</th>
            </tr>
          </thead>
          <tbody>
            {list.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  {findings.isLoading ? 'Loading…' : 'No findings match.'}
                </td>
              </tr>
            )}
            {list.map((finding) => (
              <FindingRow
                key={finding.id}
                finding={finding}
                selected={finding.id === selected}
                onSelect={() => setSelected(finding.id === selected ? null : finding.id)}
              />
            ))}
          </tbody>
        </table>
      </div>
      {active && <FindingDetail tenant={tenant} finding={active} onClose={() => setSelected(null)} />}
    </section>
  );
}

function FindingRow({
  finding,
  selected,
  onSelect,
}: {
  finding: FindingView;
  selected: boolean;
  onSelect: () => void;
}) {
  const showEvidence = useUi((state) => state.showEvidence);
  return (
    <tr aria-selected={selected} data-finding={finding.id}>
      <td>
        <SeverityBadge severity={finding.severity} />
      </td>
      <td className="summary-cell">
        <button type="button" className="link" onClick={onSelect} aria-expanded={selected}>
          {finding.title}
        </button>
        <div className="muted small">
          {categoryText[finding.category]} · {finding.kind}
          {finding.repositories.length > 0 && ` · ${finding.repositories.slice(0, 3).join(', ')}`}
        </div>
      </td>
      <td>
        {finding.riskAcceptanceExpired ? (
          <span className="text-deny">Open (acceptance expired)</span>
        ) : (
          statusText[finding.status]
        )}
        {finding.status === 'accepted_risk' && finding.acceptedUntil && (
          <div className="muted small">until {new Date(finding.acceptedUntil).toLocaleDateString()}</div>
        )}
      </td>
      <td>{finding.owner ?? <span className="muted">Unowned</span>}</td>
      <td className="small">
        {finding.occurrences}×<div className="muted">last {formatTime(finding.lastSeen)}</div>
      </td>
      <td>
        <button
          type="button"
          className="secondary"
          onClick={() => showEvidence({ kind: 'finding', findingId: finding.id, title: finding.title })}
          aria-label={`${finding.evidenceCount} record${finding.evidenceCount === 1 ? '' : 's'} behind: ${finding.title}`}
        >
          {finding.evidenceCount} record{finding.evidenceCount === 1 ? '' : 's'}
        </button>
      </td>
    </tr>
  );
}

function FindingDetail({ tenant, finding, onClose }: { tenant: string; finding: FindingView; onClose: () => void }) {
  const announce = useUi((state) => state.announce);
  const update = useUpdateFinding(tenant);
  const accept = useAcceptRisk(tenant);
  const [owner, setOwner] = useState(finding.owner ?? '');
  const [note, setNote] = useState('');
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const error = update.error ?? accept.error;

  function change(input: { owner?: string | null; status?: 'open' | 'acknowledged' | 'resolved' }) {
    update.mutate(
      { id: finding.id, ...input, ...(note.trim() ? { note: note.trim() } : {}) },
      {
        onSuccess: (next) => {
          setNote('');
          announce(`${next.title}: ${statusText[next.status]}${next.owner ? `, owner ${next.owner}` : ''}`);
        },
      },
    );
  }

  function acceptRisk(event: FormEvent) {
    event.preventDefault();
    accept.mutate(
      { id: finding.id, until: until ? new Date(`${until}T23:59:59`).toISOString() : '', note: reason },
      { onSuccess: (next) => announce(`${next.title}: risk accepted until ${next.acceptedUntil ?? ''}`) },
    );
  }

  return (
    <div className="finding-detail" data-testid="finding-detail">
      <div className="card-head">
        <h3>{finding.title}</h3>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <p>{finding.detail}</p>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          {statusText[finding.status]} — by {finding.statusBy}, {formatTime(finding.statusAt)}
          {!finding.active && ' (the condition no longer holds)'}
        </dd>
        <dt>Subject</dt>
        <dd>
          {Object.entries(finding.subject)
            .map(([k, v]) => `${k}: ${v}`)
            .join(' · ') || '—'}
        </dd>
        <dt>Repositories</dt>
        <dd>{finding.repositories.join(', ') || '—'}</dd>
        <dt>Agents</dt>
        <dd>{finding.agents.join(', ') || '—'}</dd>
        <dt>First / last seen</dt>
        <dd>
          {formatTime(finding.firstSeen)} / {formatTime(finding.lastSeen)}
        </dd>
        <dt>Posture weight</dt>
        <dd>{finding.postureWeight === 0 ? 'Counted by coverage, not here' : `${finding.postureWeight} × severity`}</dd>
        {finding.note && (
          <>
            <dt>Note</dt>
            <dd>{finding.note}</dd>
          </>
        )}
      </dl>
      {error && (
        <p role="alert" className="field-error">
          {error.message}
        </p>
      )}
      <div className="two-col">
        <div className="stack-tight">
          <label className="inline-field">
            <span>Owner (principal id)</span>
            <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="secops@acme.example" />
          </label>
          <label className="inline-field">
            <span>Note (recorded with the change)</span>
            <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={update.isPending}
              onClick={() => change({ owner: owner.trim() === '' ? null : owner })}
            >
              {owner.trim() === '' ? 'Clear owner' : 'Assign owner'}
            </button>
            {finding.status === 'open' && (
              <button type="button" className="secondary" onClick={() => change({ status: 'acknowledged' })}>
                Acknowledge
              </button>
            )}
            {finding.status !== 'resolved' ? (
              <button type="button" className="secondary" onClick={() => change({ status: 'resolved' })}>
                Resolve
              </button>
            ) : (
              <button type="button" className="secondary" onClick={() => change({ status: 'open' })}>
                Reopen
              </button>
            )}
          </div>
        </div>
        <form className="stack-tight" onSubmit={acceptRisk} aria-label="Accept the risk">
          <label className="inline-field">
            <span>Accept the risk until</span>
            <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} required />
          </label>
          <label className="inline-field">
            <span>Why the risk is accepted</span>
            <input value={reason} onChange={(e) => setReason(e.target.value)} required />
          </label>
          <button type="submit" className="secondary" disabled={accept.isPending}>
            Accept risk
          </button>
        </form>
      </div>
      <p className="muted small">Every change is written to the evidence ledger before it takes effect.</p>
    </div>
  );
}
