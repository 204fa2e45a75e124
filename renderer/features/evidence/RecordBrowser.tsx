import { useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { EvidenceFilter } from '../../api/evidence';
import { useLedgerRecords } from '../../api/evidence';
import { decisionKinds } from '../../../core/contract';
import type { DecisionKind } from '../../../core/contract';
import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';
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
  'finding_triage',
  'operating_review',
  'containment',
];
const PAGE_SIZES = ['50', '100', '500'];

/** The search form's fields; they are also the filter names in the address. */
const draftKeys = ['type', 'decision', 'agent', 'session', 'rule', 'from', 'to'] as const;

/** Changes when the searched-for filters change (a search, back, a link), not when paging. */
export function searchKey(filters: Readonly<Record<string, string>>): string {
  return draftKeys.map((key) => filters[key] ?? '').join('\n');
}
type Draft = Record<(typeof draftKeys)[number], string>;

function draftOf(filters: Readonly<Record<string, string>>): Draft {
  return Object.fromEntries(draftKeys.map((key) => [key, filters[key] ?? ''])) as Draft;
}

/** The address holds local times as the form shows them; the core wants RFC 3339. */
function toIso(local: string): string | undefined {
  const time = new Date(local);
  return local && !Number.isNaN(time.getTime()) ? time.toISOString() : undefined;
}

function toFilter(filters: Readonly<Record<string, string>>): EvidenceFilter {
  const filter: EvidenceFilter = { limit: PAGE_SIZES.includes(filters.size ?? '') ? Number(filters.size) : 50 };
  if (filters.type && recordTypes.includes(filters.type)) filter.types = [filters.type];
  if (decisionKinds.includes(filters.decision as DecisionKind)) filter.decisions = [filters.decision as DecisionKind];
  if (filters.agent?.trim()) filter.agent = filters.agent.trim();
  if (filters.session?.trim()) filter.session = filters.session.trim();
  if (filters.rule?.trim()) filter.rule = filters.rule.trim();
  const from = toIso(filters.from ?? '');
  const to = toIso(filters.to ?? '');
  if (from) filter.from = from;
  if (to) filter.to = to;
  if (filters.before && /^\d+$/.test(filters.before) && Number(filters.before) > 0)
    filter.before = Number(filters.before);
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
  const filters = useUi((state) => state.route.filters);
  const setFilters = useUi((state) => state.setFilters);
  const [draft, setDraft] = useState<Draft>(() => draftOf(filters));
  // Cursors of the newer pages this view came through; after a reload "Newer" starts from the newest.
  const [newer, setNewer] = useState<string[]>([]);
  const firstField = useRef<HTMLSelectElement>(null);
  const records = useLedgerRecords(tenant, toFilter(filters));
  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  useShortcuts('Evidence', [
    { keys: '/', key: '/', description: 'Search the ledger', run: () => firstField.current?.focus() },
  ]);

  function search(event: FormEvent) {
    event.preventDefault();
    setFilters({ ...draft, before: '' });
    setNewer([]);
  }

  const page = (before: string) => setFilters({ before });
  const rows = records.data?.records ?? [];
  const shownFilters = Object.entries(filters)
    .filter(([key]) => key !== 'before' && key !== 'size')
    .sort(([a], [b]) => a.localeCompare(b));

  return (
    <section className="card" aria-labelledby="records-heading">
      <h2 id="records-heading">Records</h2>
      <form className="toolbar" onSubmit={search} aria-label="Search the ledger">
        <label className="inline-field">
          <span>Type</span>
          <select ref={firstField} value={draft.type} onChange={(event) => set({ type: event.target.value })}>
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
            {decisionKinds.map((decision) => (
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
        records={rows}
        selected={selected}
        onSelect={onSelect}
        label="Records"
        exportName={[
          'records',
          tenant,
          ...shownFilters.map(([k, v]) => `${k}=${v}`),
          rows.length > 0 ? `${rows[rows.length - 1]?.seq}-${rows[0]?.seq}` : '',
        ]}
        empty={records.isLoading ? 'Loading…' : 'No records match.'}
        tools={
          <div className="pager" role="group" aria-label="Pages">
            <button
              type="button"
              className="secondary"
              disabled={!filters.before}
              onClick={() => {
                page(newer[newer.length - 1] ?? '');
                setNewer(newer.slice(0, -1));
              }}
            >
              Newer
            </button>
            <button
              type="button"
              className="secondary"
              disabled={!records.data?.next}
              onClick={() => {
                if (!records.data?.next) return;
                setNewer([...newer, filters.before ?? '']);
                page(String(records.data.next));
              }}
            >
              Older
            </button>
            <label className="inline-field inline">
              <span>Per page</span>
              <select
                value={filters.size ?? '50'}
                onChange={(event) => setFilters({ size: event.target.value, before: '' })}
              >
                {PAGE_SIZES.map((size) => (
                  <option key={size}>{size}</option>
                ))}
              </select>
            </label>
          </div>
        }
      />
    </section>
  );
}
