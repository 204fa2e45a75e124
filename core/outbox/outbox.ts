import { ContractError } from '../contract';
import type { DeliveryView } from '../contract';
import type { DeliveryPayload } from '../evidence';
import type { OutboundMessage } from './message';
import type { DeliveryFilter, OutboxRepository, StoredAttempt, StoredDelivery } from './store';
import type { DeliveryWorker } from './worker';

export interface QueueRequest {
  idempotencyKey: string;
  connector: {
    id: string;
    kind: StoredDelivery['connectorKind'];
    retry?: { maxAttempts: number; baseDelaySeconds: number };
  };
  purpose: StoredDelivery['purpose'];
  message: OutboundMessage;
  /** One line naming what is delivered; stored and shown in the audit instead of the content. */
  subject: string;
  recipients: string[];
  createdBy: string;
  escalate?: boolean;
  maxAttempts?: number;
  approvalId?: string;
}

export interface OutboxOptions {
  store: OutboxRepository;
  worker: DeliveryWorker;
  record: (tenant: string, payload: DeliveryPayload) => Promise<number>;
  now?: () => Date;
  onChange?: (tenant: string, deliveryId: string | null) => void;
}

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_BASE_SECONDS = 30;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The durable outbox's front: queue (written first), deliver now, the audit view, retry. */
export class Outbox {
  private readonly now: () => Date;

  constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get worker(): DeliveryWorker {
    return this.options.worker;
  }

  /** Writes the delivery to the outbox; the same idempotency key returns the delivery already there. */
  async queue(tenant: string, request: QueueRequest): Promise<StoredDelivery> {
    const { delivery, created } = await this.options.store.enqueue(
      tenant,
      {
        idempotencyKey: request.idempotencyKey,
        connectorId: request.connector.id,
        connectorKind: request.connector.kind,
        purpose: request.purpose,
        subject: request.subject.slice(0, 200),
        recipients: request.recipients,
        message: JSON.stringify(request.message),
        maxAttempts: request.maxAttempts ?? request.connector.retry?.maxAttempts ?? DEFAULT_ATTEMPTS,
        baseDelayMs: Math.round((request.connector.retry?.baseDelaySeconds ?? DEFAULT_BASE_SECONDS) * 1000),
        escalate: request.escalate ?? true,
        createdBy: request.createdBy,
        ...(request.approvalId ? { approvalId: request.approvalId } : {}),
      },
      this.now().getTime(),
    );
    if (created) this.options.onChange?.(tenant, delivery.id);
    return delivery;
  }

  deliverNow(tenant: string, id: string): Promise<StoredDelivery | null> {
    return this.options.worker.deliverNow(tenant, id);
  }

  async list(tenant: string, filter: DeliveryFilter): Promise<DeliveryView[]> {
    const deliveries = await this.options.store.list(tenant, filter);
    return this.views(tenant, deliveries);
  }

  async view(tenant: string, delivery: StoredDelivery): Promise<DeliveryView> {
    return (await this.views(tenant, [delivery]))[0] as DeliveryView;
  }

  /** A failed delivery goes back to the queue with a fresh budget; recorded first. */
  async retry(tenant: string, id: string, by: string, budget: number): Promise<DeliveryView> {
    const delivery = await this.options.store.get(tenant, id);
    if (!delivery) throw new ContractError('not_found', `id: delivery "${id}" does not exist`, 'id');
    if (delivery.state !== 'failed' && !(delivery.state === 'refused' && delivery.approvalId === null)) {
      throw new ContractError(
        'conflict',
        delivery.state === 'refused'
          ? `id: delivery ${id} was refused by its approver; deliver the report again to ask anew`
          : `id: delivery ${id} is ${delivery.state}; only failed deliveries can be retried`,
        'id',
      );
    }
    await this.options.record(tenant, {
      delivery_id: id,
      event: 'retried',
      connector: delivery.connectorId,
      connector_kind: delivery.connectorKind,
      purpose: delivery.purpose,
      idempotency_key: delivery.idempotencyKey,
      text: `retry requested by ${by}`,
    });
    const requeued = await this.options.store.requeue(tenant, id, this.now().getTime(), budget);
    if (!requeued)
      throw new ContractError('conflict', `id: delivery ${id} changed meanwhile; reload and try again`, 'id');
    this.options.onChange?.(tenant, id);
    return this.view(tenant, requeued);
  }

  health(tenant: string, connectorId: string) {
    return this.options.store.health(tenant, connectorId, this.now().getTime() - 7 * 86_400_000);
  }

  get(tenant: string, id: string): Promise<StoredDelivery | null> {
    return this.options.store.get(tenant, id);
  }

  anchoredSize(tenant: string, connectorId: string): Promise<number> {
    return this.options.store.anchoredSize(tenant, connectorId);
  }

  setAnchoredSize(tenant: string, connectorId: string, size: number): Promise<void> {
    return this.options.store.setAnchoredSize(tenant, connectorId, size);
  }

  failOpen(tenant: string, connectorId: string, text: string) {
    return this.options.store.failOpen(tenant, connectorId, text, this.now().getTime());
  }

  private async views(tenant: string, deliveries: StoredDelivery[]): Promise<DeliveryView[]> {
    const attempts = await this.options.store.attempts(
      tenant,
      deliveries.map((d) => d.id),
    );
    const byDelivery = new Map<string, StoredAttempt[]>();
    for (const attempt of attempts)
      byDelivery.set(attempt.deliveryId, [...(byDelivery.get(attempt.deliveryId) ?? []), attempt]);
    return deliveries.map((d) => ({
      id: d.id,
      connectorId: d.connectorId,
      connectorKind: d.connectorKind,
      purpose: d.purpose,
      subject: d.subject,
      recipients: d.recipients,
      state: d.state,
      attempts: d.attempts,
      maxAttempts: d.maxAttempts,
      nextAttemptAt: d.state === 'queued' ? iso(d.nextAttemptAt) : null,
      createdAt: iso(d.createdAt) as string,
      finishedAt: iso(d.finishedAt),
      lastCode: d.lastCode,
      lastText: d.lastText,
      approvalId: d.approvalId,
      escalationId: d.escalationId,
      idempotencyKey: d.idempotencyKey,
      history: (byDelivery.get(d.id) ?? []).map((a) => ({
        attempt: a.attempt,
        at: new Date(a.at).toISOString(),
        outcome: a.outcome,
        code: a.code,
        text: a.text,
        durationMs: a.durationMs,
        evidenceSeq: a.evidenceSeq,
      })),
    }));
  }
}
