export { SqliteOutboxRepository } from './store';
export type {
  AttemptOutcome,
  DeliveryFilter,
  NewDelivery,
  OutboxRepository,
  StoredAttempt,
  StoredDelivery,
} from './store';
export { DeliveryWorker, ConnectorUnavailableError } from './worker';
export type { ApprovalOutcome, DeliveryWorkerOptions, EscalationRoute } from './worker';
export { backoffDelay, MAX_DELAY_MS } from './backoff';
export { failure, scrub } from './message';
export type {
  ConnectorCredentials,
  DeliveryContext,
  DeliveryOutcome,
  MessageAttachment,
  OutboundMessage,
  Sender,
} from './message';
export { Outbox } from './outbox';
export type { OutboxOptions, QueueRequest } from './outbox';
