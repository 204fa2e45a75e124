import crypto from 'node:crypto';
import os from 'node:os';
import type { ConnectorConfig } from '../contract';
import type { ConnectorCredentials, DeliveryOutcome, OutboundMessage } from './message';
import type { DeliveryPayload } from '../evidence';
import { backoffDelay } from './backoff';
import type { AttemptOutcome, OutboxRepository, StoredDelivery } from './store';

/** Why a send could not even start (connector removed, keychain locked); says whether waiting helps. */
export class ConnectorUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ConnectorUnavailableError';
  }
}

export interface EscalationRoute {
  connectorId: string;
  to: string[];
}

export type ApprovalOutcome =
  { state: 'pending' } | { state: 'approved'; consume: () => Promise<boolean> } | { state: 'closed'; why: string };

export interface DeliveryWorkerOptions {
  store: OutboxRepository;
  /** Every tenant whose outbox the worker serves. */
  tenants: () => string[];
  /** The connector and its secrets, read for this one send. Throws ConnectorUnavailableError. */
  resolve: (
    tenant: string,
    connectorId: string,
  ) => Promise<{ config: ConnectorConfig; credentials: ConnectorCredentials }>;
  send: (
    config: ConnectorConfig,
    credentials: ConnectorCredentials,
    message: OutboundMessage,
    context: { deliveryId: string; idempotencyKey: string; tenant: string; now: Date },
  ) => Promise<DeliveryOutcome>;
  /** Appends a `delivery` record to the tenant's ledger; resolves with its seq once durable. */
  record: (tenant: string, payload: DeliveryPayload) => Promise<number>;
  escalationRoute: (tenant: string) => Promise<EscalationRoute | null>;
  approval: (tenant: string, approvalId: string) => Promise<ApprovalOutcome>;
  /** Work that queues deliveries on each tick (checkpoint anchors, report schedules). */
  producers?: readonly ((tenant: string) => Promise<void>)[];
  onChange?: (tenant: string, deliveryId: string | null) => void;
  now?: () => Date;
  random?: () => number;
  log?: (message: string) => void;
  tickMs?: number;
  /** How long a claimed delivery is ours before another worker may take it over. */
  leaseMs?: number;
}

const OWNER_HOST = os.hostname();

/**
 * Sends what the outbox holds (SPEC §8). A delivery is claimed under a lease, sent with its
 * idempotency key, the server's answer is made durable on the row, the attempt is recorded
 * in the ledger, and only then does the delivery change state ("record, then apply"). A
 * failure is retried with exponential backoff and jitter up to the connector's attempt
 * limit, then escalated. A worker that dies mid-attempt leaves a leased row that the next
 * worker recovers: with the answer saved it finishes the bookkeeping; without it the attempt
 * is recorded as interrupted and retried under the same idempotency key.
 */
export class DeliveryWorker {
  readonly owner = `pid:${process.pid}:${crypto.randomBytes(4).toString('hex')}@${OWNER_HOST}`;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly log: (message: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.log = options.log ?? ((message) => process.stderr.write(`[cavra] ${message}\n`));
  }

  /** Runs ticks in the background until `stop`. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  isRunning(): boolean {
    return !this.stopped && (this.timer !== null || this.running !== null);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every tenant: producers, approvals, then every due delivery. */
  async tick(): Promise<void> {
    for (const tenant of this.options.tenants()) {
      try {
        for (const produce of this.options.producers ?? []) await produce(tenant);
        await this.settleApprovals(tenant);
        const due = await this.options.store.claimDue(
          tenant,
          { owner: this.owner, now: this.now().getTime(), leaseMs: this.leaseMs(), limit: 8 },
          isOwnerGone,
        );
        await Promise.all(due.map((delivery) => this.process(tenant, delivery)));
      } catch (error) {
        this.log(`outbox of ${tenant}: ${message(error)}`);
      }
    }
  }

  /** Claims and sends one delivery now (connector tests, "deliver now" from the CLI); returns it afterwards. */
  async deliverNow(tenant: string, id: string): Promise<StoredDelivery | null> {
    const [claimed] = await this.options.store.claimDue(
      tenant,
      { owner: this.owner, now: this.now().getTime(), leaseMs: this.leaseMs(), limit: 1, onlyId: id },
      isOwnerGone,
    );
    if (claimed) await this.process(tenant, claimed);
    return this.options.store.get(tenant, id);
  }

  private leaseMs(): number {
    return this.options.leaseMs ?? 10 * 60_000;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.options.tickMs ?? 1000);
      });
    }, delay);
    this.timer.unref();
  }

  private async process(tenant: string, delivery: StoredDelivery): Promise<void> {
    try {
      let outcome = delivery.outcome;
      if (!outcome && delivery.recovered) {
        outcome = {
          attempt: delivery.attempts,
          at: this.now().getTime(),
          ok: false,
          interrupted: true,
          code: null,
          text:
            'The worker stopped during this attempt (crash or restart); the outcome is unknown, so the delivery is ' +
            'retried under the same idempotency key',
          retryable: true,
          durationMs: 0,
        };
      }
      if (!outcome) {
        outcome = await this.attempt(tenant, delivery);
        // Durable before anything else: a crash from here on never sends this attempt again.
        if (!(await this.options.store.saveOutcome(tenant, delivery.id, this.owner, outcome))) {
          this.log(`delivery ${delivery.id}: lease lost during the attempt; another worker owns it now`);
          return;
        }
      }
      await this.finish(tenant, delivery, outcome);
    } catch (error) {
      this.log(`delivery ${delivery.id}: ${message(error)} (kept for the next pass)`);
    } finally {
      this.options.onChange?.(tenant, delivery.id);
    }
  }

  private async attempt(tenant: string, delivery: StoredDelivery): Promise<AttemptOutcome> {
    const started = this.now();
    const startedMs = performance.now();
    let result: DeliveryOutcome;
    try {
      const { config, credentials } = await this.options.resolve(tenant, delivery.connectorId);
      const message = JSON.parse(delivery.message) as OutboundMessage;
      result = await this.options.send(config, credentials, message, {
        deliveryId: delivery.id,
        idempotencyKey: delivery.idempotencyKey,
        tenant,
        now: started,
      });
    } catch (error) {
      result =
        error instanceof ConnectorUnavailableError
          ? { ok: false, code: null, text: error.message, retryable: error.retryable }
          : { ok: false, code: null, text: `Internal error before sending: ${message(error)}`, retryable: true };
    }
    return {
      ...result,
      attempt: delivery.attempts,
      at: started.getTime(),
      durationMs: Math.max(0, Math.round(performance.now() - startedMs)),
    };
  }

  /** Records the attempt, then moves the delivery on: delivered, retried later, or failed and escalated. */
  private async finish(tenant: string, delivery: StoredDelivery, outcome: AttemptOutcome): Promise<void> {
    const seq = await this.options.record(tenant, {
      delivery_id: delivery.id,
      event: 'attempt',
      connector: delivery.connectorId,
      connector_kind: delivery.connectorKind,
      purpose: delivery.purpose,
      idempotency_key: delivery.idempotencyKey,
      attempt: outcome.attempt,
      outcome: outcome.interrupted ? 'interrupted' : outcome.ok ? 'accepted' : 'failed',
      code: outcome.code,
      text: outcome.text.slice(0, 500),
      duration_ms: outcome.durationMs,
      recipients: delivery.recipients,
      ...(outcome.accepted ? { accepted: outcome.accepted } : {}),
      ...(outcome.rejected ? { rejected: outcome.rejected } : {}),
    });
    const nowMs = this.now().getTime();
    if (outcome.ok) {
      await this.options.store.resolveAttempt(tenant, delivery.id, outcome, {
        state: 'delivered',
        nextAttemptAt: null,
        evidenceSeq: seq,
      });
      return;
    }
    if (outcome.retryable && outcome.attempt < delivery.maxAttempts) {
      await this.options.store.resolveAttempt(tenant, delivery.id, outcome, {
        state: 'queued',
        nextAttemptAt: nowMs + backoffDelay(delivery.baseDelayMs, outcome.attempt, this.random),
        evidenceSeq: seq,
      });
      return;
    }
    const escalationId = delivery.escalate ? await this.escalate(tenant, delivery, outcome) : null;
    await this.options.store.resolveAttempt(tenant, delivery.id, outcome, {
      state: 'failed',
      nextAttemptAt: null,
      evidenceSeq: seq,
      escalationId,
    });
  }

  /** Queues a notice of the failed delivery to the tenant's escalation route, and records that it did. */
  private async escalate(tenant: string, delivery: StoredDelivery, outcome: AttemptOutcome): Promise<string | null> {
    const route = await this.options.escalationRoute(tenant);
    const base = {
      delivery_id: delivery.id,
      event: 'escalated' as const,
      connector: delivery.connectorId,
      connector_kind: delivery.connectorKind,
      purpose: delivery.purpose,
      idempotency_key: delivery.idempotencyKey,
      attempt: outcome.attempt,
    };
    if (!route) {
      await this.options.record(tenant, { ...base, text: 'No escalation route is configured for this tenant' });
      return null;
    }
    const { config } = await this.options.resolve(tenant, route.connectorId).catch(() => ({ config: null }));
    const text = [
      `A ${delivery.purpose} delivery could not be completed after ${outcome.attempt} attempt(s).`,
      `Delivery: ${delivery.id}`,
      `Subject: ${delivery.subject}`,
      `Connector: ${delivery.connectorId} (${delivery.connectorKind})`,
      `Recipients: ${delivery.recipients.join(', ') || '-'}`,
      `Last response: ${outcome.code ?? '-'} ${outcome.text}`,
      'Fix the cause, then retry it from the delivery audit (Reports → Delivery audit, or cavra reports deliveries).',
    ].join('\n');
    const { delivery: escalation } = await this.options.store.enqueue(
      tenant,
      {
        idempotencyKey: `escalation:${delivery.id}:${delivery.attempts}`,
        connectorId: route.connectorId,
        connectorKind: config?.kind ?? 'smtp',
        purpose: 'escalation',
        subject: `CAVRA escalation: delivery failed — ${delivery.subject}`.slice(0, 200),
        recipients: route.to,
        message: JSON.stringify({
          subject: `CAVRA escalation: delivery failed — ${delivery.subject}`.slice(0, 200),
          text,
          to: route.to,
          event: {
            type: 'cavra.delivery.escalated',
            severity: 'critical',
            data: {
              delivery: delivery.id,
              connector: delivery.connectorId,
              purpose: delivery.purpose,
              attempts: outcome.attempt,
              last_code: outcome.code,
              last_text: outcome.text,
            },
          },
        } satisfies OutboundMessage),
        maxAttempts: config?.retry?.maxAttempts ?? 5,
        baseDelayMs: Math.round((config?.retry?.baseDelaySeconds ?? 30) * 1000),
        // An escalation that fails is recorded but not escalated again: no loops.
        escalate: false,
        createdBy: 'cavra',
      },
      this.now().getTime(),
    );
    await this.options.record(tenant, {
      ...base,
      text: `Escalated to ${route.connectorId} as delivery ${escalation.id}`,
      recipients: route.to,
    });
    return escalation.id;
  }

  /** Deliveries to external recipients wait here for their approval request to be decided. */
  private async settleApprovals(tenant: string): Promise<void> {
    for (const delivery of await this.options.store.awaitingApproval(tenant)) {
      if (!delivery.approvalId) continue;
      const approval = await this.options.approval(tenant, delivery.approvalId);
      if (approval.state === 'pending') continue;
      const approved = approval.state === 'approved' && (await approval.consume());
      const why = approval.state === 'closed' ? approval.why : 'the approval was already used';
      await this.options.record(tenant, {
        delivery_id: delivery.id,
        event: approved ? 'queued' : 'refused',
        connector: delivery.connectorId,
        connector_kind: delivery.connectorKind,
        purpose: delivery.purpose,
        idempotency_key: delivery.idempotencyKey,
        text: approved ? `approved (${delivery.approvalId})` : `not sent: ${why} (${delivery.approvalId})`,
        recipients: delivery.recipients,
      });
      await this.options.store.settleApproval(
        tenant,
        delivery.id,
        approved ? 'queued' : 'refused',
        approved ? 'approved; queued' : `not sent: ${why}`,
        this.now().getTime(),
      );
      this.options.onChange?.(tenant, delivery.id);
    }
  }
}

/** A lease owner on this host whose process no longer exists will never finish its attempt. */
function isOwnerGone(owner: string): boolean {
  const match = /^pid:(\d+):[0-9a-f]+@(.*)$/.exec(owner);
  if (!match || match[2] !== OWNER_HOST) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
