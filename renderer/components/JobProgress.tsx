import type { Job } from '../../core/contract';
import { useCancelJob } from '../api/jobs';

/** Progress of long work with text and Cancel (HOUSE rule 8). */
export function JobProgress({ job, label }: { job: Job; label: string }) {
  const cancel = useCancelJob(job.tenant);
  const { done, total, phase } = job.progress;
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : null;
  // Work that counts nothing (a packet export) says no count rather than "0 so far" once it ended.
  const text = total
    ? `${done.toLocaleString()} of ${total.toLocaleString()}`
    : done > 0 || job.state === 'running'
      ? `${done.toLocaleString()} so far`
      : '';
  return (
    <div className="job" data-testid={`job-${job.kind}`} data-state={job.state}>
      <div className="job-head">
        <span className="job-phase">{job.state === 'running' ? phase : stateText[job.state]}</span>
        <span className="muted">{text}</span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total ?? undefined}
        aria-valuenow={total ? done : undefined}
        aria-valuetext={text ? `${phase}: ${text}` : phase}
      >
        <div className="progress-bar" style={{ width: `${percent ?? 100}%` }} data-indeterminate={percent === null} />
      </div>
      {job.state === 'running' && (
        <button type="button" className="secondary" onClick={() => cancel.mutate(job.id)} disabled={cancel.isPending}>
          Cancel
        </button>
      )}
      {job.error && <p className="field-error">{job.error.message}</p>}
    </div>
  );
}

const stateText: Record<Job['state'], string> = {
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
