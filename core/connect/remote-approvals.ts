import crypto from 'node:crypto';
import type { ApprovalDesk, ApprovalRequest } from '../approvals';
import type { GateApprovals } from '../gate';
import type { ControlPlaneClient } from './client';
import { ControlPlaneUnreachableError } from './client';
import { MACHINE_PATHS } from './wire';
import type { MachineApprovalOpen } from './wire';

type Binding = ApprovalRequest['binding'];
type NewRequest = Parameters<ApprovalDesk['open']>[0];

/** One long-poll lasts at most this long (the server's request timeout is a minute). */
const POLL_MS = 20_000;
/** Between attempts to reach an unreachable control plane during a wait. */
const RETRY_MS = 1_000;

/**
 * What the gate tells the control plane about a request it raises: what was asked and which
 * rule and route decided. The terms (approvers, N-of-M, attestation, reuse, expiry) are left
 * out: the server derives them from the tenant's policy, never from the machine.
 */
function wireRequest(input: NewRequest): MachineApprovalOpen {
  if (input.action.type === 'report_delivery') {
    // Report deliveries are approved on the desk of the install that sends them, never by a gate.
    throw new Error('A report delivery is not an action a connected gate raises in the shared queue');
  }
  return {
    id: input.id ?? `apr_${crypto.randomUUID()}`,
    binding: {
      tenant: input.binding.tenant,
      actionSha256: input.binding.actionSha256,
      packId: input.binding.packId,
      packVersion: input.binding.packVersion,
    },
    route: input.route,
    ruleId: input.ruleId,
    reason: input.reason,
    requester: input.requester,
    agent: input.agent
      ? { id: input.agent.id, ...(input.agent.session ? { session: input.agent.session } : {}) }
      : null,
    adapter: input.adapter,
    correlationId: input.correlationId,
    decisionId: input.decisionId,
    actionType: input.actionType,
    target: input.target,
    action: input.action,
  };
}

/**
 * Approvals in connected mode (SPEC §14): for a tenant joined to a control plane, requests
 * are raised in the shared queue on the server and the gate waits for the answer there (long
 * poll), so a reviewer at any desk decides, and using an approval is the server's one
 * conditional update, so consume-once holds across machines. For other tenants, the local
 * desk. Offline fails closed: a request that cannot be raised throws (the gate denies and
 * records why); no approval is ever assumed.
 */
export class ConnectedApprovals implements GateApprovals {
  /** Requests this gate raised or used, as the server last described them. */
  private readonly known = new Map<string, ApprovalRequest>();
  private readonly waiters = new Map<string, number>();

  constructor(
    private readonly local: ApprovalDesk,
    /** The machine's client for a connected tenant, or null when the tenant is standalone. */
    private readonly remote: (tenant: string) => ControlPlaneClient | null,
  ) {}

  async consume(
    binding: Binding,
    correlationId: string,
    requestId?: string,
    by?: string,
  ): Promise<ApprovalRequest | null> {
    const client = this.remote(binding.tenant);
    if (!client) return this.local.consume(binding, correlationId, requestId, by);
    try {
      const answer = await client.call<{ request: ApprovalRequest | null }>('POST', MACHINE_PATHS.approvalConsume, {
        binding,
        correlationId,
        requestId: requestId ?? null,
      });
      if (answer.request) this.known.set(answer.request.id, answer.request);
      return answer.request;
    } catch (error) {
      // Looking for an earlier approval to reuse while offline: there is none to be had.
      if (requestId === undefined && error instanceof ControlPlaneUnreachableError) return null;
      throw error;
    }
  }

  async pendingFor(binding: Binding): Promise<ApprovalRequest | null> {
    if (!this.remote(binding.tenant)) return this.local.pendingFor(binding);
    const now = Date.now();
    for (const request of this.known.values()) {
      if (
        request.state === 'pending' &&
        request.tenant === binding.tenant &&
        request.binding.actionSha256 === binding.actionSha256 &&
        request.binding.packId === binding.packId &&
        request.binding.packVersion === binding.packVersion &&
        Date.parse(request.expiresAt) > now
      ) {
        return request;
      }
    }
    return null;
  }

  async open(input: NewRequest): Promise<ApprovalRequest> {
    const client = this.remote(input.binding.tenant);
    if (!client) return this.local.open(input);
    const answer = await client.call<{ request: ApprovalRequest }>(
      'POST',
      MACHINE_PATHS.approvalOpen,
      wireRequest(input),
    );
    if (this.known.size > 1_000) {
      for (const [id, request] of this.known)
        if (request.state !== 'pending' && !this.waiters.has(id)) this.known.delete(id);
    }
    this.known.set(answer.request.id, answer.request);
    return answer.request;
  }

  async noteWait(tenant: string, id: string, untilMs: number): Promise<void> {
    // The server learns the wait's end from each long poll (`untilMs`); locally there is nothing to note.
    if (!this.remote(tenant)) await this.local.noteWait(tenant, id, untilMs);
  }

  /** `signal` is the adapter going away: the wait ends then, so the gate can abandon the request. */
  async wait(tenant: string, id: string, timeoutMs: number, signal?: AbortSignal): Promise<ApprovalRequest | null> {
    const client = this.remote(tenant);
    if (!client) return this.local.wait(tenant, id, timeoutMs, signal);
    const deadline = Date.now() + Math.max(0, timeoutMs);
    this.waiters.set(id, (this.waiters.get(id) ?? 0) + 1);
    try {
      for (;;) {
        const left = deadline - Date.now();
        const current = this.known.get(id) ?? null;
        if (current && current.state !== 'pending') return current;
        if (left <= 0 || signal?.aborted) return current;
        const pollMs = Math.min(POLL_MS, left);
        try {
          const answer = await client.call<{ request: ApprovalRequest | null }>(
            'POST',
            MACHINE_PATHS.approvalWait,
            // The poll's window, and when the agent really stops waiting (what reviewers are shown).
            { id, waitMs: pollMs, untilMs: deadline },
            { timeoutMs: pollMs + 10_000 },
          );
          if (!answer.request) return null;
          this.known.set(id, answer.request);
        } catch (error) {
          if (!(error instanceof ControlPlaneUnreachableError)) throw error;
          // The server went away mid-wait: keep trying until the wait ends; the answer stays deny unless it returns.
          await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, Math.max(0, deadline - Date.now()))));
        }
      }
    } finally {
      const left = (this.waiters.get(id) ?? 1) - 1;
      if (left === 0) this.waiters.delete(id);
      else this.waiters.set(id, left);
    }
  }

  async get(tenant: string, id: string): Promise<ApprovalRequest | null> {
    if (!this.remote(tenant)) return this.local.get(tenant, id);
    return this.known.get(id) ?? null;
  }

  async expireDue(tenant: string): Promise<number> {
    // The server's desk expires its requests; a connected gate only reads what it says.
    return this.remote(tenant) ? 0 : this.local.expireDue(tenant);
  }

  waiting(tenant: string, id: string): boolean {
    if (!this.remote(tenant)) return this.local.waiting(tenant, id);
    return (this.waiters.get(id) ?? 0) > 0;
  }

  async abandon(tenant: string, id: string, by: string, reason: string): Promise<ApprovalRequest | null> {
    const client = this.remote(tenant);
    if (!client) return this.local.abandon(tenant, id, by, reason);
    try {
      const answer = await client.call<{ request: ApprovalRequest | null }>('POST', MACHINE_PATHS.approvalAbandon, {
        id,
        reason,
      });
      if (answer.request) this.known.set(id, answer.request);
      return answer.request;
    } catch {
      // Unreachable: the server's sweep abandons it once its noted wait is over.
      return this.known.get(id) ?? null;
    }
  }
}
