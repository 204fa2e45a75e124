import { useState } from 'react';
import { closeoutResultSchema } from '../../../core/contract';
import { useJob } from '../../api/jobs';
import { useStartCloseout } from '../../api/readiness';
import { Field, SubmitRow } from '../../components/form/Field';
import { useContractForm } from '../../components/form/useContractForm';
import { JobProgress } from '../../components/JobProgress';
import { useUi } from '../../state/ui';

/**
 * Trial step 9: the pilot decision, the evaluator's feedback, package access and the license's
 * fate, recorded and signed as a closeout packet. Surrendering the license is opt-in: it locks
 * the Enterprise workflows at once.
 */
export function CloseoutForm({ tenant }: { tenant: string }) {
  const announce = useUi((state) => state.announce);
  const start = useStartCloseout(tenant);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(tenant, jobId);
  const result = closeoutResultSchema.safeParse(job.data?.result);
  const form = useContractForm('trial.closeout', {
    initial: { pilotDecision: '', feedback: '', accessRemoved: '', accessDetail: '', surrender: false as boolean },
    labels: {
      pilotDecision: 'Pilot decision',
      feedback: 'Evaluator feedback',
      accessRemoved: 'Package access',
      accessDetail: 'What was removed, or why access stays',
      surrender: 'Surrender the license now',
    },
    toInput: (v) =>
      ({
        pilotDecision: v.pilotDecision,
        feedback: v.feedback,
        packageAccess: {
          removed: v.accessRemoved === 'removed' ? true : v.accessRemoved === 'kept' ? false : undefined,
          detail: v.accessDetail,
        },
        license: v.surrender ? 'surrender' : 'let_expire',
      }) as never,
    fieldFor: (path) =>
      path === 'packageAccess.detail'
        ? 'accessDetail'
        : path === 'packageAccess.removed'
          ? 'accessRemoved'
          : path === 'pilotDecision' || path === 'feedback'
            ? path
            : undefined,
  });
  const submit = form.onSubmit((input) =>
    start.mutate(input, {
      onSuccess: ({ jobId: id }) => {
        setJobId(id);
        announce('Trial closeout started');
      },
      onError: (error) => form.showError(error),
    }),
  );
  return (
    <section className="card" aria-labelledby="closeout-heading" data-testid="closeout">
      <h2 id="closeout-heading">Close out the trial</h2>
      <p className="muted small">
        Runs the production gate for the remaining blockers, records your decisions as evidence, and writes a signed
        closeout packet with its evidence bundle into the tenant archive (verify it in Offline review).
      </p>
      <form className="form wide-form" onSubmit={submit} noValidate>
        <Field form={form} name="pilotDecision">
          {(describedBy) => (
            <select {...form.textProps('pilotDecision')} aria-describedby={describedBy}>
              <option value="">Choose…</option>
              <option value="proceed">Proceed to production</option>
              <option value="extend">Extend the evaluation</option>
              <option value="stop">Stop</option>
            </select>
          )}
        </Field>
        <Field form={form} name="feedback">
          {(describedBy) => <textarea {...form.textProps('feedback')} aria-describedby={describedBy} rows={3} />}
        </Field>
        <Field
          form={form}
          name="accessRemoved"
          hint="Registry tokens, download links, package mirrors given for the trial."
        >
          {(describedBy) => (
            <select {...form.textProps('accessRemoved')} aria-describedby={describedBy}>
              <option value="">Choose…</option>
              <option value="removed">Removed</option>
              <option value="kept">Kept</option>
            </select>
          )}
        </Field>
        <Field form={form} name="accessDetail">
          {(describedBy) => <input {...form.textProps('accessDetail')} aria-describedby={describedBy} />}
        </Field>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={form.values.surrender}
            onChange={(event) => form.set('surrender', event.target.checked)}
          />{' '}
          Surrender the license now (Enterprise workflows lock at once; otherwise it runs to its expiry)
        </label>
        <SubmitRow
          form={form}
          label="Close out and export the closeout packet"
          pendingLabel="Closing out…"
          pending={start.isPending || job.data?.state === 'running'}
        />
      </form>
      {job.data && <JobProgress job={job.data} label="Trial closeout" />}
      {job.data?.state === 'succeeded' && result.success && (
        <div className="notice" role="status" data-testid="closeout-result">
          Closeout packet written to <code>{result.data.dir}</code>: pilot decision{' '}
          <strong>{result.data.pilotDecision}</strong>, license {result.data.license.outcome} (entitlement{' '}
          {result.data.license.status}), {result.data.blockers.length} blockers remaining.
        </div>
      )}
    </section>
  );
}
