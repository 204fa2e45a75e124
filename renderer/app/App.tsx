import { useEventEffects } from '../api/events';
import { useSystemInfo } from '../api/queries';
import { useUi } from '../state/ui';
import { LiveRegion } from './LiveRegion';
import { TenantSwitcher } from './TenantSwitcher';
import { screens } from './screens';
import type { ScreenId } from './screens';
import { TenantsScreen } from '../features/tenants/TenantsScreen';
import { Placeholder } from '../features/placeholder/Placeholder';
import { PolicyScreen } from '../features/policy/PolicyScreen';
import { EvidenceScreen } from '../features/evidence/EvidenceScreen';
import { OfflineReviewScreen } from '../features/offline/OfflineReviewScreen';
import { LiveActivityScreen } from '../features/activity/LiveActivityScreen';
import { ApprovalQueueScreen } from '../features/approvals/ApprovalQueueScreen';
import { ConnectorsScreen } from '../features/connectors/ConnectorsScreen';
import { ReportsScreen } from '../features/reports/ReportsScreen';

export function App() {
  const screen = useUi((state) => state.screen);
  const show = useUi((state) => state.show);
  const info = useSystemInfo();
  useEventEffects();
  const current = screens.find((s) => s.id === screen) ?? screens[0];

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            C
          </span>
          <span>
            CAVRA <strong>Enterprise</strong>
          </span>
        </div>
        <TenantSwitcher />
        <div className="principal" data-testid="principal">
          {info.data ? (
            <>
              <span>{info.data.principal.displayName}</span>
              {info.data.principal.kind === 'local_evaluation' && (
                <span className="badge badge-warn">Evaluation identity</span>
              )}
            </>
          ) : null}
        </div>
      </header>
      <nav className="sidebar" aria-label="Console screens">
        <ul>
          {screens.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className="nav-item"
                aria-current={s.id === screen ? 'page' : undefined}
                onClick={() => show(s.id)}
              >
                {s.label}
              </button>
            </li>
          ))}
        </ul>
        <footer className="sidebar-footer" data-testid="system-info">
          {info.isError ? (
            <span role="alert">System info unavailable: {info.error.message}</span>
          ) : info.data ? (
            <>
              <div>
                {info.data.product} {info.data.version}
              </div>
              <div className="muted">{info.data.shell === 'browser' ? 'Browser mode' : 'Desktop'}</div>
              <div className={info.data.gate.running ? 'gate-up' : 'gate-down'} data-testid="gate-status">
                Gate {info.data.gate.running ? 'listening' : 'not running'}
              </div>
            </>
          ) : (
            <span className="muted">Loading…</span>
          )}
        </footer>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        <h1>{current.label}</h1>
        <Screen id={current.id} arrivesWith={current.arrivesWith} />
      </main>
      <LiveRegion />
    </div>
  );
}

function Screen({ id, arrivesWith }: { id: ScreenId; arrivesWith: string | null }) {
  switch (id) {
    case 'tenants':
      return <TenantsScreen />;
    case 'policy':
      return <PolicyScreen />;
    case 'evidence':
      return <EvidenceScreen />;
    case 'offline':
      return <OfflineReviewScreen />;
    case 'activity':
      return <LiveActivityScreen />;
    case 'approvals':
      return <ApprovalQueueScreen />;
    case 'connectors':
      return <ConnectorsScreen />;
    case 'reports':
      return <ReportsScreen />;
    default:
      return <Placeholder arrivesWith={arrivesWith ?? 'a later capability'} />;
  }
}
