import crypto from 'node:crypto';
import { ContractError } from '../contract';
import type { Job, JobProgress, Principal } from '../contract';
import type { EventBus } from './events';

export interface JobContext {
  /** Aborted when someone cancels the job; long work checks it between steps. */
  signal: AbortSignal;
  /** Reports progress; events are throttled so a tight loop can call this freely. */
  progress(update: { done: number; total?: number | null; phase?: string; awaitingApproval?: string | null }): void;
}

interface JobEntry {
  job: Job;
  owner: string;
  controller: AbortController;
  lastEmit: number;
}

const PROGRESS_INTERVAL_MS = 100;
const RETAINED_FINISHED = 200;

/**
 * Runs long work off the request path. Only the principal who started a job, in the same
 * tenant, can see or cancel it; progress and the outcome go out as `jobs.changed` events.
 */
export class JobRunner {
  private readonly jobs = new Map<string, JobEntry>();

  constructor(
    private readonly events: EventBus,
    private readonly log: (message: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start<T>(
    spec: { kind: string; tenant: string; principal: Principal; phase: string },
    work: (context: JobContext) => Promise<T>,
  ): string {
    const id = `job_${crypto.randomUUID()}`;
    const entry: JobEntry = {
      job: {
        id,
        kind: spec.kind,
        tenant: spec.tenant,
        state: 'running',
        progress: { done: 0, total: null, phase: spec.phase },
        startedAt: this.now().toISOString(),
        finishedAt: null,
      },
      owner: spec.principal.id,
      controller: new AbortController(),
      lastEmit: 0,
    };
    this.jobs.set(id, entry);
    this.prune();
    const context: JobContext = {
      signal: entry.controller.signal,
      progress: (update) => {
        if (entry.job.state !== 'running') return;
        const progress: JobProgress = {
          done: update.done,
          total: update.total === undefined ? entry.job.progress.total : update.total,
          phase: update.phase ?? entry.job.progress.phase,
        };
        const awaiting =
          update.awaitingApproval === undefined ? entry.job.progress.awaitingApproval : update.awaitingApproval;
        if (awaiting !== undefined) progress.awaitingApproval = awaiting;
        entry.job = { ...entry.job, progress };
        const at = Date.now();
        if (at - entry.lastEmit >= PROGRESS_INTERVAL_MS) {
          entry.lastEmit = at;
          this.emit(entry);
        }
      },
    };
    // Start on the next turn so the caller has the id before the first event.
    setImmediate(() => {
      work(context).then(
        (result) =>
          entry.controller.signal.aborted ? this.finish(entry, 'cancelled') : this.finish(entry, 'succeeded', result),
        (error: unknown) => {
          if (entry.controller.signal.aborted) return this.finish(entry, 'cancelled');
          if (error instanceof ContractError) return this.finish(entry, 'failed', undefined, error.toEnvelope());
          this.log(`job ${spec.kind} failed: ${error instanceof Error ? error.message : String(error)}`);
          this.finish(entry, 'failed', undefined, {
            code: 'internal',
            message: 'The job failed; the console log has details',
          });
        },
      );
    });
    this.emit(entry);
    return id;
  }

  get(jobId: string, principal: Principal, tenant: string): Job {
    return this.owned(jobId, principal, tenant).job;
  }

  cancel(jobId: string, principal: Principal, tenant: string): Job {
    const entry = this.owned(jobId, principal, tenant);
    if (entry.job.state === 'running') {
      entry.controller.abort();
      entry.job = { ...entry.job, progress: { ...entry.job.progress, phase: 'Cancelling' } };
      this.emit(entry);
    }
    return entry.job;
  }

  /** Cancels everything still running (shutdown). */
  cancelAll(): void {
    for (const entry of this.jobs.values()) if (entry.job.state === 'running') entry.controller.abort();
  }

  private owned(jobId: string, principal: Principal, tenant: string): JobEntry {
    const entry = this.jobs.get(jobId);
    // Someone else's job and no job at all look the same from outside.
    if (!entry || entry.owner !== principal.id || entry.job.tenant !== tenant) {
      throw new ContractError('not_found', `jobId: no job "${jobId}" of yours in this tenant`, 'jobId');
    }
    return entry;
  }

  private finish(entry: JobEntry, state: Job['state'], result?: unknown, error?: Job['error']): void {
    entry.job = {
      ...entry.job,
      state,
      finishedAt: this.now().toISOString(),
      ...(result === undefined ? {} : { result }),
      ...(error === undefined ? {} : { error }),
    };
    this.emit(entry);
  }

  private emit(entry: JobEntry): void {
    this.events.emit('jobs.changed', entry.job.tenant, entry.job, { principalId: entry.owner });
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((entry) => entry.job.state !== 'running');
    for (const entry of finished.slice(0, Math.max(0, finished.length - RETAINED_FINISHED))) {
      this.jobs.delete(entry.job.id);
    }
  }
}
