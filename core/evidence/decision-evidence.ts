import type { Action, Decision } from '../contract';
import { decisionRecord } from './decision-record';
import type { EvidenceLedgers } from './ledgers';
import { recordThenApply } from './record-then-apply';

/**
 * The ledger behind the policy service's evidence seam (core/policy `PolicyEvidence`,
 * matched structurally so neither module imports the other). A decision is appended and
 * committed before `recordDecision` resolves; if the append fails it rejects and the
 * policy service denies the action. The record keeps who acted and where, never the
 * action's file contents or MCP arguments.
 */
export interface DecisionEvidence {
  recordDecision(tenant: string, decision: Decision, action: Action): Promise<string | null>;
  /** Records a pack activation or configuration change, then applies it (recordThenApply). */
  recordThenApply<T>(
    tenant: string,
    change: { type: 'pack_activated' | 'config_change'; payload: Record<string, unknown> },
    apply: () => T,
  ): T;
}

export function ledgerEvidence(ledgers: EvidenceLedgers): DecisionEvidence {
  return {
    async recordDecision(tenant, decision, action) {
      const ledger = ledgers.ledger(tenant);
      const receipt = await ledger.append({
        type: 'decision',
        payload: decisionRecord(decision, {
          // The contract operation is the route in: `cavra evaluate` and any other contract client.
          adapter: 'policy.evaluate',
          agent: action.agent,
          actor: action.actor,
          repository: action.repository,
          cwd: action.cwd,
        }),
      });
      return evidenceRef(ledger.origin, receipt.seq);
    },
    recordThenApply(tenant, change, apply) {
      return recordThenApply(ledgers.ledger(tenant), change, () => apply());
    },
  };
}

/** `<ledger origin>#<seq>`: names one record of one tenant's ledger, unique across installs. */
export function evidenceRef(origin: string, seq: number): string {
  return `${origin}#${seq}`;
}
