import { create } from 'zustand';

/**
 * UI state only: the governed-workflow job this console started, per tenant, so its progress
 * and outcome are still on the home screen after a visit to the Approval queue to decide the
 * request it waits on (the job itself lives in the core).
 */
interface WorkflowJobState {
  jobs: Readonly<Record<string, string>>;
  started(tenant: string, jobId: string): void;
}

export const useWorkflowJob = create<WorkflowJobState>((set) => ({
  jobs: {},
  started: (tenant, jobId) => set((state) => ({ jobs: { ...state.jobs, [tenant]: jobId } })),
}));
