import { useState } from 'react';
import { useUi } from '../../state/ui';
import { LedgerStatusCard } from './LedgerStatusCard';
import { LedgerActions } from './LedgerActions';
import { RecordBrowser } from './RecordBrowser';
import { RecordDetail } from './RecordDetail';

export function EvidenceScreen() {
  const tenant = useUi((state) => state.tenant);
  const [selected, setSelected] = useState<number | null>(null);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return (
    <div className="stack wide">
      <LedgerStatusCard tenant={tenant} />
      <LedgerActions tenant={tenant} />
      <RecordBrowser tenant={tenant} selected={selected} onSelect={setSelected} />
      {selected !== null && <RecordDetail tenant={tenant} seq={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}
