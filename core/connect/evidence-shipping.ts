import type { ConnectorConfig } from '../contract';
import type { LedgerEntry } from '../evidence';
import type { DeliveryOutcome, OutboundMessage, QueueRequest } from '../outbox';
import { ControlPlaneRefusedError, ControlPlaneUnreachableError } from './client';
import type { ControlPlaneClient } from './client';
import type { Connection } from './connection';
import { LEDGER_BATCH_PATH } from './wire';

/**
 * The outbox's name for the control plane. Evidence shipping is one more kind of delivery in
 * the one outbox (durable queue, lease, backoff, attempt history, delivery audit); this id is
 * reserved for it, so no configured connector can take its place.
 */
export const CONTROL_PLANE_CONNECTOR = 'control-plane';
const BATCH_EVENT = 'cavra.evidence.batch';

/** At most this many records, and about this many bytes of payload, per batch. */
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 2 * 1024 * 1024;
/**
 * Shipping never gives up on its own: the records stay in the local ledger, and the backoff
 * (capped at an hour) keeps trying until the control plane answers. 2 s doubles from there.
 */
const SHIPPING_ATTEMPTS = 1_000_000;
const SHIPPING_BASE_DELAY_SECONDS = 2;
/** Records the ledger writes itself; the central ledger keeps its own checkpoints. */
const LOCAL_ONLY_TYPES = new Set(['checkpoint', 'tombstone']);

export interface ShippingLedger {
  size(): number;
  entries(from: number, to: number): Iterable<LedgerEntry>;
}

export interface ShippingOutbox {
  queue(tenant: string, request: QueueRequest): Promise<unknown>;
  /** Evidence deliveries not finished yet (queued or being sent). */
  outstanding(tenant: string): Promise<number>;
  /** The first local sequence number not yet queued for shipping. */
  shippedThrough(tenant: string): Promise<number>;
  setShippedThrough(tenant: string, next: number): Promise<void>;
}

/** The outbox delivery of records [from, to) of the local ledger: the records are read when it is sent. */
interface BatchData {
  from: number;
  to: number;
}

/** The one record the outbox writes about evidence shipping itself: it must not make more shipping. */
function isShippingRecord(entry: LedgerEntry): boolean {
  if (entry.type !== 'delivery' || entry.payload === null) return false;
  return (JSON.parse(entry.payload) as { connector?: unknown }).connector === CONTROL_PLANE_CONNECTOR;
}

/**
 * A producer on the outbox worker's tick: queues the next batch of local records for the
 * control plane, one batch at a time so the central ledger receives them in local order.
 * The idempotency key is the machine id and the batch's sequence range, so a producer that
 * crashed after queueing queues nothing twice; the server keys each record by machine and
 * local sequence, so a batch re-sent after a lost acknowledgement stores nothing twice.
 * A tail made only of the outbox's own records about shipping waits for the next real
 * record, or shipping would feed itself forever.
 */
export async function queueEvidenceBatch(
  tenant: string,
  connection: Connection,
  ledger: ShippingLedger,
  outbox: ShippingOutbox,
): Promise<BatchData | null> {
  if ((await outbox.outstanding(tenant)) > 0) return null;
  const from = await outbox.shippedThrough(tenant);
  const size = ledger.size();
  if (from >= size) return null;
  let to = from;
  let bytes = 0;
  let substantive = false;
  for (const entry of ledger.entries(from, Math.min(size, from + MAX_BATCH_RECORDS))) {
    const length = entry.payload?.length ?? 0;
    if (to > from && bytes + length > MAX_BATCH_BYTES) break;
    bytes += length;
    to = entry.seq + 1;
    if (!LOCAL_ONLY_TYPES.has(entry.type) && !isShippingRecord(entry)) substantive = true;
  }
  if (!substantive) {
    // Nothing but checkpoints: skip them for good. Only shipping records: wait for company.
    let onlyLocal = true;
    for (const entry of ledger.entries(from, to)) if (!LOCAL_ONLY_TYPES.has(entry.type)) onlyLocal = false;
    if (onlyLocal) await outbox.setShippedThrough(tenant, to);
    return null;
  }
  const data: BatchData = { from, to };
  const subject = `Evidence records ${from}–${to - 1} of ${tenant} to ${connection.server}`;
  const message: OutboundMessage = {
    subject,
    text: subject,
    event: { type: BATCH_EVENT, severity: 'info', data: { ...data } },
  };
  await outbox.queue(tenant, {
    idempotencyKey: `evidence:${connection.machineId}:${from}-${to}`,
    connector: {
      id: CONTROL_PLANE_CONNECTOR,
      kind: 'webhook',
      retry: { maxAttempts: SHIPPING_ATTEMPTS, baseDelaySeconds: SHIPPING_BASE_DELAY_SECONDS },
    },
    purpose: 'evidence',
    message,
    subject,
    recipients: [connection.server],
    createdBy: 'cavra-connect',
    escalate: false,
  });
  await outbox.setShippedThrough(tenant, to);
  return data;
}

/** The connector the outbox worker resolves for the control plane (it has no settings of its own). */
export function controlPlaneConnector(): ConnectorConfig {
  return {
    id: CONTROL_PLANE_CONNECTOR,
    name: 'Control plane',
    kind: 'webhook',
    enabled: true,
    anchor: false,
    retry: { maxAttempts: SHIPPING_ATTEMPTS, baseDelaySeconds: SHIPPING_BASE_DELAY_SECONDS },
    settings: {},
  };
}

/**
 * Sends one queued batch: its records read from the local ledger, each with its local sequence
 * number. Unreachable is retried; a refusal (revoked credential, a record the server cannot
 * take) is not, and stays in the delivery audit for an operator to see and retry.
 */
export async function shipEvidenceBatch(
  client: ControlPlaneClient,
  ledger: ShippingLedger,
  message: OutboundMessage,
): Promise<DeliveryOutcome> {
  if (message.event.type !== BATCH_EVENT) {
    return { ok: false, code: null, text: 'Not an evidence batch; nothing was sent', retryable: false };
  }
  const { from, to } = message.event.data as unknown as BatchData;
  const records: { originSeq: number; type: string; payload: unknown }[] = [];
  for (const entry of ledger.entries(from, to)) {
    // Pruned records (retention) have no payload left to ship; their tombstone stays local.
    if (LOCAL_ONLY_TYPES.has(entry.type) || entry.payload === null) continue;
    records.push({ originSeq: entry.seq, type: entry.type, payload: JSON.parse(entry.payload) as unknown });
  }
  if (records.length === 0) return { ok: true, code: '200', text: 'Nothing to ship in this range', retryable: false };
  try {
    const answer = await client.call<{ value?: { receipts?: { duplicate?: boolean }[] } }>(
      'POST',
      LEDGER_BATCH_PATH,
      { records },
      { timeoutMs: 30_000 },
    );
    const receipts = answer?.value?.receipts ?? [];
    const duplicates = receipts.filter((receipt) => receipt.duplicate).length;
    return {
      ok: true,
      code: '200',
      text: `${records.length} record(s) stored by the control plane${duplicates ? ` (${duplicates} already there)` : ''}`,
      retryable: false,
    };
  } catch (error) {
    if (error instanceof ControlPlaneUnreachableError) {
      return { ok: false, code: null, text: error.message, retryable: true };
    }
    if (error instanceof ControlPlaneRefusedError) {
      // "unavailable" is the server's own "retry the batch"; other refusals need a person.
      return { ok: false, code: String(error.status), text: error.message, retryable: error.status === 503 };
    }
    return { ok: false, code: null, text: error instanceof Error ? error.message : String(error), retryable: true };
  }
}
