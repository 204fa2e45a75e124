import { useEffect, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { decisionKinds, workflowRunSchema } from '../../../core/contract';
import type { WorkflowRun, WorkflowStep } from '../../../core/contract';
import { useJob } from '../../api/jobs';
import { useStartGovernedWorkflow } from '../../api/readiness';
import { linkTo } from '../../app/route';
import { JobProgress } from '../../components/JobProgress';
import { useUi } from '../../state/ui';
import { useWorkflowJob } from '../../state/workflow';

const outcomeText: Record<WorkflowStep['outcome'], { text: string; badge: string }> = {
  as_expected: { text: 'As expected', badge: 'badge badge-allow' },
  unexpected: { text: 'Not as expected', badge: 'badge badge-deny' },
  failed: { text: 'Failed', badge: 'badge badge-deny' },
  cancelled: { text: 'Cancelled', badge: 'badge' },
};

/**
 * Trial step 4 from the console: starts the governed workflow (trial.workflow.run) as a job,
 * shows its progress with Cancel, points at the approval it waits for, and then shows which
 * decision types the gate recorded for each scripted action, with links to the records.
 */
export function GovernedWorkflowPanel({ tenant }: { tenant: string }) {
  const announce = useUi((state) => state.announce);
  const queryClient = useQueryClient();
  const start = useStartGovernedWorkflow(tenant);
  const jobId = useWorkflowJob((store) => store.jobs[tenant] ?? null);
  const setJobId = useWorkflowJob((store) => store.started);
  const job = useJob(tenant, jobId);
  const state = job.data?.state;
  const run = workflowRunSchema.safeParse(job.data?.result);
  const approval = state === 'running' ? (job.data?.progress.awaitingApproval ?? null) : null;

  const seen = useRef(state);
  useEffect(() => {
    const before = seen.current;
    seen.current = state;
    if (!state || state === 'running' || before === state) return;
    // The step's status is derived from the records the run just wrote.
    void queryClient.invalidateQueries({ queryKey: ['trial.status', tenant] });
    announce(`Governed workflow ${state === 'succeeded' ? 'finished' : state}`);
  }, [state, tenant, queryClient, announce]);

  return (
    <div className="stack-tight" data-testid="governed-workflow">
      <div>
        <button
          type="button"
          className="primary"
          disabled={start.isPending || state === 'running'}
          onClick={() =>
            start.mutate(undefined, {
              onSuccess: ({ jobId: started }) => {
                setJobId(tenant, started);
                announce('Governed workflow started');
              },
            })
          }
        >
          Run governed workflow
        </button>{' '}
        <span className="muted small">
          A scripted agent session in a scratch repository: file, command, Git and MCP actions through the real
          adapters. One action waits for a reviewer in the Approval queue.
        </span>
      </div>
      {start.error && (
        <p role="alert" className="field-error">
          The governed workflow could not start: {start.error.message}
        </p>
      )}
      {job.data && <JobProgress job={job.data} label="Governed workflow" />}
      {approval && (
        <p className="notice" data-testid="workflow-approval">
          The agent is waiting for approval request <code>{approval}</code>:{' '}
          <a href={linkTo('approvals', tenant, approval)}>decide it in the Approval queue</a>. Someone other than the
          agent&apos;s user must decide it.
        </p>
      )}
      {state === 'succeeded' && run.success && <WorkflowOutcome tenant={tenant} run={run.data} />}
      {state === 'succeeded' && !run.success && (
        <p role="alert" className="field-error">
          The workflow finished but its result could not be read; open Live activity for its decisions.
        </p>
      )}
    </div>
  );
}

function WorkflowOutcome({ tenant, run }: { tenant: string; run: WorkflowRun }) {
  const happened = decisionKinds.filter((kind) => run.decisions[kind] > 0);
  const missing = decisionKinds.filter((kind) => run.decisions[kind] === 0);
  const notAsExpected = run.steps.filter((step) => step.outcome !== 'as_expected');
  return (
    <div data-testid="workflow-outcome" data-complete={run.complete}>
      <div className={`notice ${run.complete ? 'notice-allow' : 'notice-deny'}`} role="status">
        {run.complete
          ? 'Every action was decided as the script expected.'
          : `${notAsExpected.length} of ${run.steps.length} actions were not decided as expected: see below.`}{' '}
        Decisions recorded:{' '}
        {happened.map((kind, i) => (
          <span key={kind}>
            {i > 0 && ', '}
            {kind} {run.decisions[kind]}
          </span>
        ))}
        {happened.length === 0 && 'none'}
        {missing.length > 0 && `; no ${missing.join(', ')} decision happened`}.
      </div>
      <table className="table" aria-label="Governed workflow actions">
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col">Adapter</th>
            <th scope="col">Expected</th>
            <th scope="col">Recorded</th>
            <th scope="col">Outcome</th>
            <th scope="col">Evidence</th>
          </tr>
        </thead>
        <tbody>
          {run.steps.map((step) => (
            <tr key={step.id} data-workflow-step={step.id} data-outcome={step.outcome}>
              <td className="small">
                {step.title}
                <div className="muted">{step.detail}</div>
              </td>
              <td className="small">{step.adapter}</td>
              <td className="small">{step.expected.join(' then ')}</td>
              <td className="small">{step.observed.join(' then ') || 'nothing'}</td>
              <td>
                <span className={outcomeText[step.outcome].badge}>{outcomeText[step.outcome].text}</span>
              </td>
              <td className="small">
                {step.records.map((seq, i) => (
                  <span key={seq}>
                    {i > 0 && ', '}
                    <a href={linkTo('evidence', tenant, seq)} aria-label={`Evidence record ${seq}`}>
                      #{seq}
                    </a>
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
