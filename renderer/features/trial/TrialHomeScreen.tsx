import type { TrialStep } from '../../../core/contract';
import { useTrialStatus } from '../../api/readiness';
import { formatRoute, linkTo } from '../../app/route';
import { screens } from '../../app/screens';
import type { ScreenId } from '../../app/screens';
import { useUi } from '../../state/ui';
import { GovernedWorkflowPanel } from './GovernedWorkflowPanel';

const stateText: Record<TrialStep['state'], { text: string; badge: string }> = {
  complete: { text: 'Complete', badge: 'badge badge-allow' },
  incomplete: { text: 'To do', badge: 'badge badge-warn' },
  not_built: { text: 'Not in this build', badge: 'badge' },
};

const isScreen = (id: string): id is ScreenId => screens.some((screen) => screen.id === id);

/**
 * SPEC §11, the console's home: the nine steps of the guided trial, each with its live status
 * derived from the evidence ledger (so it survives restarts and cannot be ticked by hand), a
 * link to the screen that completes it, and what is missing.
 */
export function TrialHomeScreen() {
  const tenant = useUi((state) => state.tenant);
  const status = useTrialStatus(tenant);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  if (status.isError) return <p role="alert">{status.error.message}</p>;
  if (!status.data) return <p className="muted">Loading…</p>;
  const { steps, complete } = status.data;
  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="trial-heading" data-testid="trial-progress" data-complete={complete}>
        <h2 id="trial-heading">
          Guided trial: {complete} of {steps.length} steps complete
        </h2>
        <p className="muted small">
          Each step&apos;s status is read from the tenant&apos;s evidence ledger as it is now (checked{' '}
          {new Date(status.data.checkedAt).toLocaleTimeString()}). A step completes when the evidence shows it happened.
        </p>
        <ol className="trial-steps">
          {steps.map((step) => {
            const target = isScreen(step.screen) ? step.screen : null;
            const label = target ? screens.find((s) => s.id === target)?.label : null;
            return (
              <li key={step.id} className="trial-step" data-step={step.id} data-state={step.state}>
                <div className="trial-step-head">
                  <span className={stateText[step.state].badge}>{stateText[step.state].text}</span>
                  <strong>{step.title}</strong>
                </div>
                <p className="small">{step.detail}</p>
                <div className="small">
                  {target && label && (
                    <a href={formatRoute({ screen: target, tenant, item: null, filters: {} })}>Open {label}</a>
                  )}
                  {step.evidence.length > 0 && (
                    <span className="muted">
                      {' '}
                      · evidence{' '}
                      {step.evidence.map((seq, i) => (
                        <span key={seq}>
                          {i > 0 && ', '}
                          <a href={linkTo('evidence', tenant, seq)} aria-label={`Evidence record ${seq}`}>
                            #{seq}
                          </a>
                        </span>
                      ))}
                    </span>
                  )}
                </div>
                {step.id === 'workflow' && <GovernedWorkflowPanel tenant={tenant} />}
              </li>
            );
          })}
        </ol>
      </section>
    </div>
  );
}
