import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';
import { PackList } from './PackList';
import { PackDetail } from './PackDetail';
import { Simulator } from './Simulator';
import { PolicySettingsCard } from './PolicySettingsCard';
import { McpTrustCard } from './McpTrustCard';

/** Packs, the rule browser and the simulator; `#/policy/<pack id>` opens a pack. */
export function PolicyScreen() {
  const tenant = useUi((state) => state.route.tenant);
  const selected = useUi((state) => state.route.item);
  const open = useUi((state) => state.open);
  useShortcuts('Policy packs', [
    {
      keys: '/',
      key: '/',
      description: 'Go to the simulator',
      run: () => document.querySelector<HTMLElement>('[data-testid="simulator"] select')?.focus(),
    },
    { keys: 'Esc', key: 'Escape', description: 'Close the open pack', run: () => open(null) },
  ]);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return (
    <div className="stack wide">
      <PolicySettingsCard tenant={tenant} />
      <Simulator tenant={tenant} />
      <PackList tenant={tenant} selected={selected} onSelect={(packId) => open(packId)} />
      {selected && <PackDetail tenant={tenant} packId={selected} onClose={() => open(null)} />}
      <McpTrustCard tenant={tenant} />
    </div>
  );
}
