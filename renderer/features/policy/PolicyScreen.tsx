import { useState } from 'react';
import { useUi } from '../../state/ui';
import { PackList } from './PackList';
import { PackDetail } from './PackDetail';
import { Simulator } from './Simulator';
import { PolicySettingsCard } from './PolicySettingsCard';

export function PolicyScreen() {
  const tenant = useUi((state) => state.tenant);
  const [selected, setSelected] = useState<string | null>(null);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return (
    <div className="stack wide">
      <PolicySettingsCard tenant={tenant} />
      <Simulator tenant={tenant} />
      <PackList tenant={tenant} selected={selected} onSelect={setSelected} />
      {selected && <PackDetail tenant={tenant} packId={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}
