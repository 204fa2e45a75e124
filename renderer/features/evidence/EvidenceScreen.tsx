import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';
import { LedgerStatusCard } from './LedgerStatusCard';
import { LedgerActions } from './LedgerActions';
import { RecordBrowser, searchKey } from './RecordBrowser';
import { RecordDetail } from './RecordDetail';
import { FocusedRecords } from './FocusedRecords';

/**
 * The ledger: status, verify and export, and the record browser; `#/evidence/<seq>` opens one
 * record. Another screen may send it a focus (the records behind an AISPM finding), shown first.
 */
export function EvidenceScreen() {
  const tenant = useUi((state) => state.route.tenant);
  const item = useUi((state) => state.route.item);
  const filters = useUi((state) => state.route.filters);
  const open = useUi((state) => state.open);
  const focus = useUi((state) => state.evidenceFocus);
  const selected = item !== null && /^\d+$/.test(item) ? Number(item) : null;
  useShortcuts('Evidence', [
    { keys: 'Esc', key: 'Escape', description: 'Close the open record', run: () => open(null) },
  ]);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const select = (seq: number) => open(String(seq));
  return (
    <div className="stack wide">
      {focus && <FocusedRecords tenant={tenant} focus={focus} selected={selected} onSelect={select} />}
      {selected !== null && <RecordDetail tenant={tenant} seq={selected} onClose={() => open(null)} />}
      <LedgerStatusCard tenant={tenant} />
      <LedgerActions tenant={tenant} />
      <RecordBrowser key={searchKey(filters)} tenant={tenant} selected={selected} onSelect={select} />
    </div>
  );
}
