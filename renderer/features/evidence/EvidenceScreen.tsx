import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';
import { LedgerStatusCard } from './LedgerStatusCard';
import { LedgerActions } from './LedgerActions';
import { RecordBrowser, searchKey } from './RecordBrowser';
import { RecordDetail } from './RecordDetail';

/** The ledger: status, verify and export, and the record browser; `#/evidence/<seq>` opens one record. */
export function EvidenceScreen() {
  const tenant = useUi((state) => state.route.tenant);
  const item = useUi((state) => state.route.item);
  const filters = useUi((state) => state.route.filters);
  const open = useUi((state) => state.open);
  const selected = item !== null && /^\d+$/.test(item) ? Number(item) : null;
  useShortcuts('Evidence', [
    { keys: 'Esc', key: 'Escape', description: 'Close the open record', run: () => open(null) },
  ]);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return (
    <div className="stack wide">
      {selected !== null && <RecordDetail tenant={tenant} seq={selected} onClose={() => open(null)} />}
      <LedgerStatusCard tenant={tenant} />
      <LedgerActions tenant={tenant} />
      <RecordBrowser
        key={searchKey(filters)}
        tenant={tenant}
        selected={selected}
        onSelect={(seq) => open(String(seq))}
      />
    </div>
  );
}
