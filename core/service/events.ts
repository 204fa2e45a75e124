import type { EventEnvelope, EventName, EventPayload, Principal } from '../contract';

interface Subscription {
  principal: Principal;
  listener: (event: EventEnvelope) => void;
}

/**
 * Push events to subscribers. A tenant's events reach only principals who belong to that
 * tenant; `canSee` is the same membership check the dispatcher uses for calls.
 */
export class EventBus {
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly canSee: (principal: Principal, tenant: string) => boolean) {}

  subscribe(principal: Principal, listener: (event: EventEnvelope) => void): () => void {
    const subscription = { principal, listener };
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  emit<K extends EventName>(event: K, tenant: string | null, payload: EventPayload<K>): void {
    const envelope: EventEnvelope = { event, tenant, payload };
    for (const { principal, listener } of this.subscriptions) {
      if (tenant !== null && !this.canSee(principal, tenant)) continue;
      try {
        listener(envelope);
      } catch {
        // A failing listener (a closed socket, a destroyed window) must not stop the others.
      }
    }
  }
}
