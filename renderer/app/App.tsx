import { useEffect, useRef, useState } from 'react';
import { useEventEffects } from '../api/events';
import { useSystemHealth, useSystemInfo } from '../api/queries';
import { useShortcutDispatch, useShortcuts } from '../components/shortcuts';
import { useSessionStatus, useSignOut } from '../api/access';
import { SignInScreen } from './SignInScreen';
import { useUi } from '../state/ui';
import { LiveRegion } from './LiveRegion';
import { ShortcutHelp } from './ShortcutHelp';
import { TenantSwitcher } from './TenantSwitcher';
import { screens } from './screens';
import type { ScreenId } from './screens';
import { useRouteSync } from './useRouteSync';
import { TenantsScreen } from '../features/tenants/TenantsScreen';
import { Placeholder } from '../features/placeholder/Placeholder';
import { PolicyScreen } from '../features/policy/PolicyScreen';
import { EvidenceScreen } from '../features/evidence/EvidenceScreen';
import { OfflineReviewScreen } from '../features/offline/OfflineReviewScreen';
import { LiveActivityScreen } from '../features/activity/LiveActivityScreen';
import { ApprovalQueueScreen } from '../features/approvals/ApprovalQueueScreen';
import { PendingCount } from '../features/approvals/PendingCount';
import { ConnectorsScreen } from '../features/connectors/ConnectorsScreen';
import { ReportsScreen } from '../features/reports/ReportsScreen';
import { HealthScreen } from '../features/health/HealthScreen';
import { LicenseScreen } from '../features/license/LicenseScreen';
import { LicenseLock, LockedBadge } from '../features/license/LicenseLock';
import { AispmScreen } from '../features/aispm/AispmScreen';
import { OperatingReviewsScreen } from '../features/reviews/OperatingReviewsScreen';
import { ReadinessScreen } from '../features/readiness/ReadinessScreen';
import { TrialHomeScreen } from '../features/trial/TrialHomeScreen';

export function App() {
  const status = useSessionStatus();
  if (status.isPending) return <p className="muted">Loading…</p>;
  if (status.data && status.data.principal === null) return <SignInScreen />;
  return <Console />;
}

function Console() {
  const screen = useUi((state) => state.route.screen);
  const tenant = useUi((state) => state.route.tenant);
  const show = useUi((state) => state.show);
  const focusRequest = useUi((state) => state.focusRequest);
  const info = useSystemInfo();
  const health = useSystemHealth();
  const [help, setHelp] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEventEffects();
  useRouteSync();
  useShortcutDispatch();
  useShortcuts('Everywhere', [
    { keys: '?', key: '?', description: 'Show the keyboard shortcuts', run: () => setHelp(true) },
  ]);
  const current = screens.find((s) => s.id === screen) ?? screens[0];

  // After choosing a screen, focus lands on its heading, so reading and Tab start there.
  useEffect(() => {
    if (focusRequest > 0) heading.current?.focus();
  }, [focusRequest]);
  useEffect(() => {
    document.title = `${current.label} · CAVRA Enterprise`;
  }, [current.label]);

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            C
          </span>
          <span className="brand-name">
            CAVRA <strong>Enterprise</strong>
          </span>
        </div>
        <TenantSwitcher />
        <button
          type="button"
          className="topbar-button"
          aria-keyshortcuts="?"
          onClick={() => setHelp(true)}
          data-testid="shortcuts-button"
        >
          Shortcuts <kbd aria-hidden="true">?</kbd>
        </button>
        <div className="principal" data-testid="principal">
          {info.data ? (
            <>
              <span className="principal-name">{info.data.principal.displayName}</span>
              {info.data.principal.kind === 'local_evaluation' && (
                <span className="badge badge-warn">Evaluation identity</span>
              )}
              <SignOutButton />
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
                data-screen={s.id}
                onClick={() => show(s.id, { focus: true })}
              >
                <span className="nav-label">{s.label}</span>
                {s.id === 'approvals' && <PendingCount tenant={tenant} />}
                <LockedBadge tenant={tenant} screen={s.id} />
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
              {info.data.build.channel === 'demo' && (
                <div>
                  <span className="badge badge-warn" data-testid="build-channel">
                    Demo build
                  </span>
                </div>
              )}
              <EnforcementStatus
                gateRunning={info.data.gate.running}
                health={health.data ?? null}
                failed={health.isError}
                onOpen={() => show('health')}
              />
            </>
          ) : (
            <span className="muted">Loading…</span>
          )}
        </footer>
      </nav>
      <main className="content" id="main" aria-labelledby="screen-heading">
        <h1 id="screen-heading" ref={heading} tabIndex={-1}>
          {current.label}
        </h1>
        <LicenseLock tenant={tenant} screen={current.id}>
          <Screen id={current.id} arrivesWith={current.arrivesWith} />
        </LicenseLock>
      </main>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
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
    case 'health':
      return <HealthScreen />;
    case 'trial':
      return <TrialHomeScreen />;
    case 'readiness':
      return <ReadinessScreen />;
    case 'license':
      return <LicenseScreen />;
    case 'aispm':
      return <AispmScreen />;
    case 'reviews':
      return <OperatingReviewsScreen />;
    default:
      return <Placeholder arrivesWith={arrivesWith ?? 'a later capability'} />;
  }
}

/**
 * The sidebar's answer to "can this console enforce?": green only when the gate listens and
 * no health check fails; red as soon as one does (a green dot over a gate that denies
 * everything for want of a keychain was the bug); amber for warnings. Opens the health screen.
 */
function EnforcementStatus({
  gateRunning: infoGateRunning,
  health,
  failed,
  onOpen,
}: {
  gateRunning: boolean;
  health: { status: 'ok' | 'warn' | 'fail'; checks: { id: string; title: string; status: string }[] } | null;
  failed: boolean;
  onOpen: () => void;
}) {
  // The health report is the newer observation of the gate whenever there is one.
  const gateCheck = health?.checks.find((c) => c.id === 'gate');
  const gateRunning = gateCheck ? gateCheck.status === 'ok' : infoGateRunning;
  const failing = health?.checks.filter((c) => c.status === 'fail') ?? [];
  const warnings = health?.checks.filter((c) => c.status === 'warn') ?? [];
  let tone = gateRunning ? 'gate-up' : 'gate-down';
  let text = gateRunning ? 'Gate listening' : 'Gate not running';
  if (failed) {
    tone = 'gate-down';
    text = 'Health unknown';
  } else if (failing.length > 0) {
    tone = 'gate-down';
    text = `Cannot enforce: ${failing.map((c) => c.title).join(', ')}`;
  } else if (warnings.length > 0 && gateRunning) {
    tone = 'gate-warn';
    text = `Gate listening · ${warnings.length} warning${warnings.length > 1 ? 's' : ''}`;
  }
  return (
    <button
      type="button"
      className={`status-link ${tone}`}
      data-testid="gate-status"
      data-health={health?.status}
      onClick={onOpen}
    >
      {text}
    </button>
  );
}

function SignOutButton() {
  const signOut = useSignOut();
  return (
    <button
      type="button"
      className="secondary small"
      disabled={signOut.isPending}
      onClick={() => signOut.mutate(undefined, { onSettled: () => window.location.reload() })}
    >
      Sign out
    </button>
  );
}
