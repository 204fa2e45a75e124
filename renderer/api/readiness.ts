import { useMutation, useQuery } from '@tanstack/react-query';
import type { GateKind, OperationInput, PilotScope } from '../../core/contract';
import { useClient } from './client';

/**
 * The trial's steps are derived from the ledger, so `evidence.appended` refreshes them when the
 * ledger is watched; they are also re-read on an interval, since they follow the clock's window.
 */
export function useTrialStatus(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['trial.status', tenant],
    queryFn: () => client.call('trial.status', {}, { tenant }),
    enabled: tenant !== null,
    refetchInterval: 15_000,
    // Opening the home screen always reads the ledger again: steps may have completed elsewhere.
    refetchOnMount: 'always',
  });
}

export function useStartReadinessRun(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: { gate: GateKind; scope?: PilotScope }) => client.call('readiness.run', input, { tenant }),
  });
}

export function useStartPacketExport(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: () => client.call('readiness.packet.export', {}, { tenant }) });
}

/** Offline review: the core tells what the directory holds (bundle, readiness or closeout packet) and verifies it. */
export function useStartOfflineVerify(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'offline.verify'>) => client.call('offline.verify', input, { tenant }),
  });
}

/** Closes the trial (step 9): a job that records the decisions and exports the signed closeout packet. */
export function useStartCloseout(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'trial.closeout'>) => client.call('trial.closeout', input, { tenant }),
  });
}

/** Starts the governed workflow (trial step 4) as a job: the core refuses it with a named reason when it cannot run. */
export function useStartGovernedWorkflow(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: () => client.call('trial.workflow.run', {}, { tenant }) });
}
