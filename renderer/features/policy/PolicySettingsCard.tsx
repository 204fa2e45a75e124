import { usePolicySettings } from '../../api/policy';
import { DecisionBadge } from '../../components/DecisionBadge';

export function PolicySettingsCard({ tenant }: { tenant: string }) {
  const settings = usePolicySettings(tenant);
  if (settings.isError) return <p role="alert">{settings.error.message}</p>;
  if (!settings.data) return null;
  const { mode, defaultDecision, requireSignedPacks, signingKeys } = settings.data;
  return (
    <section className="card summary-strip" aria-label="Tenant policy settings">
      <div>
        <span className="muted">Mode</span>
        <strong className={mode === 'shadow' ? 'text-warn' : undefined}>
          {mode === 'enforce' ? 'Enforce' : 'Shadow (record only)'}
        </strong>
      </div>
      <div>
        <span className="muted">When no rule matches</span>
        <DecisionBadge decision={defaultDecision} />
      </div>
      <div>
        <span className="muted">Signed packs</span>
        <strong>
          {requireSignedPacks
            ? `Required (${signingKeys.length} key${signingKeys.length === 1 ? '' : 's'})`
            : 'Not required'}
        </strong>
      </div>
    </section>
  );
}
