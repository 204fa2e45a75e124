import { events as eventSpecs } from '../contract';
import type { EventEnvelope, EventName, EventPayload, Principal, Role } from '../contract';

interface Subscription {
  principal: Principal;
  listener: (event: EventEnvelope) => void;
}

/**
 * Push events to subscribers. A tenant's event reaches only members of that tenant who hold
 * one of the roles the event declares (the same lookup the dispatcher uses for calls), and,
 * when it names one, only that principal (a job's progress goes to whoever started it).
 * Agents never receive console events: they act through the gate.
 */
export class EventBus {
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly rolesIn: (principal: Principal, tenant: string) => readonly Role[]) {}

  subscribe(principal: Principal, listener: (event: EventEnvelope) => void): () => void {
    const subscription = { principal, listener };
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  emit<K extends EventName>(
    event: K,
    tenant: string | null,
    payload: EventPayload<K>,
    only?: { principalId: string },
  ): void {
    const envelope: EventEnvelope = { event, tenant, payload };
    const allowed = eventSpecs[event].roles;
    for (const { principal, listener } of this.subscriptions) {
      if (!this.mayReceive(principal, tenant, allowed, only)) continue;
      try {
        listener(envelope);
      } catch {
        // A failing listener (a closed socket, a destroyed window) must not stop the others.
      }
    }
  }

  private mayReceive(
    principal: Principal,
    tenant: string | null,
    allowed: readonly Role[],
    only: { principalId: string } | undefined,
  ): boolean {
    if (principal.kind === 'agent') return false;
    if (only && only.principalId !== principal.id) return false;
    if (tenant === null) return true;
    const held = this.rolesIn(principal, tenant);
    return held.some((role) => allowed.includes(role));
  }
}
