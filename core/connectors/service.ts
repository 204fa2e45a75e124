import crypto from 'node:crypto';
import { ContractError, DEFAULT_RETRY, connectorSecrets } from '../contract';
import type { ConnectorConfig, ConnectorView, SecretSlot } from '../contract';
import type { ChangeLedger } from '../evidence';
import { recordThenApply } from '../evidence';
import type { ConnectorCredentials, Outbox, OutboundMessage } from '../outbox';
import { ConnectorUnavailableError } from '../outbox';
import type { TenantSecrets } from '../secrets';
import { KeychainUnavailableError } from '../secrets';
import type { ConnectorRepository, StoredConnector } from './repository';
import { checkSecret } from './secret-rules';

export interface ConnectorServiceOptions {
  repository: ConnectorRepository;
  secrets: (tenant: string) => TenantSecrets;
  outbox: Outbox;
  /** The tenant's ledger: every change is a `config_change` record committed before it applies. */
  ledger: (tenant: string) => ChangeLedger;
  now?: () => Date;
}

/** Keychain service name of a connector's secrets: one entry per slot, under the tenant. */
const secretService = (id: string) => `connector/${id}`;

/**
 * Connectors of a tenant (SPEC §8): settings in the tenant database, secrets only in the OS
 * keychain (read for one send, never returned), a test that sends a real message through
 * the outbox, and health from the delivery attempts.
 */
export class ConnectorService {
  private readonly now: () => Date;

  constructor(private readonly options: ConnectorServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async list(tenant: string): Promise<ConnectorView[]> {
    const connectors = await this.options.repository.list(tenant);
    return Promise.all(connectors.map((connector) => this.view(tenant, connector)));
  }

  async get(tenant: string, id: string): Promise<StoredConnector> {
    const connector = await this.options.repository.get(tenant, id);
    if (!connector) throw new ContractError('not_found', `id: connector "${id}" does not exist`, 'id');
    return connector;
  }

  async save(tenant: string, config: ConnectorConfig, by: string): Promise<ConnectorView> {
    const previous = await this.options.repository.get(tenant, config.id);
    if (previous && previous.kind !== config.kind) {
      throw new ContractError(
        'conflict',
        `kind: connector "${config.id}" is a ${previous.kind} connector; remove it first to reuse the id`,
        'kind',
      );
    }
    if (config.anchor && !['smtp', 'webhook', 'witness_file'].includes(config.kind)) {
      throw new ContractError(
        'invalid_input',
        'anchor: only smtp, webhook and witness_file connectors anchor checkpoints',
        'anchor',
      );
    }
    if (config.anchor && config.kind === 'smtp' && !config.settings.anchorTo) {
      throw new ContractError(
        'invalid_input',
        'settings.anchorTo: name the mailbox that receives checkpoints',
        'settings.anchorTo',
      );
    }
    const stored: StoredConnector = { ...config, updatedAt: this.now().toISOString(), updatedBy: by };
    await this.change(
      tenant,
      {
        change: previous ? 'connectors.update' : 'connectors.create',
        by,
        connector: config.id,
        kind: config.kind,
        enabled: config.enabled,
        anchor: config.anchor,
        settings: config.settings,
      },
      () => this.options.repository.save(tenant, stored),
    );
    return this.view(tenant, stored);
  }

  async remove(tenant: string, id: string, by: string): Promise<boolean> {
    const connector = await this.options.repository.get(tenant, id);
    if (!connector) return false;
    await this.change(tenant, { change: 'connectors.remove', by, connector: id, kind: connector.kind }, () =>
      this.options.repository.remove(tenant, id),
    );
    for (const slot of ['credential', 'dkim'] as const) {
      try {
        this.options.secrets(tenant).delete(secretService(id), slot);
      } catch {
        // Without the keychain the entry stays orphaned under an id no connector has.
      }
    }
    await this.options.outbox.failOpen(tenant, id, `connector ${id} was removed by ${by}`);
    return true;
  }

  async setSecret(tenant: string, id: string, slot: SecretSlot, value: string, by: string): Promise<ConnectorView> {
    const connector = await this.get(tenant, id);
    const problem = checkSecret(connector, slot, value);
    if (problem) throw new ContractError('invalid_input', `value: ${problem}`, 'value');
    const secrets = this.options.secrets(tenant);
    // Fail before recording when there is no keychain to hold it: nothing is stored anywhere else.
    this.keychain(() => secrets.get(secretService(id), slot));
    await this.change(tenant, { change: 'connectors.secret.set', by, connector: id, slot }, () =>
      this.keychain(() => secrets.set(secretService(id), slot, value)),
    );
    return this.view(tenant, connector);
  }

  async clearSecret(tenant: string, id: string, slot: SecretSlot, by: string): Promise<ConnectorView> {
    const connector = await this.get(tenant, id);
    const secrets = this.options.secrets(tenant);
    this.keychain(() => secrets.get(secretService(id), slot));
    await this.change(tenant, { change: 'connectors.secret.clear', by, connector: id, slot }, () =>
      this.keychain(() => secrets.delete(secretService(id), slot)),
    );
    return this.view(tenant, connector);
  }

  /** Record, then apply (HOUSE rule 14): the `config_change` record commits before `apply` runs. */
  private async change<T>(
    tenant: string,
    payload: { change: string; by: string } & Record<string, unknown>,
    apply: () => T | Promise<T>,
  ): Promise<T> {
    return recordThenApply(this.options.ledger(tenant), { type: 'config_change', payload }, async () => apply());
  }

  /** The connector and its secrets for one send; the worker calls this right before sending. */
  async resolve(tenant: string, id: string): Promise<{ config: ConnectorConfig; credentials: ConnectorCredentials }> {
    const connector = await this.options.repository.get(tenant, id);
    if (!connector) throw new ConnectorUnavailableError(`Connector ${id} does not exist (removed?)`, false);
    if (!connector.enabled) throw new ConnectorUnavailableError(`Connector ${id} is disabled`, true);
    const secrets = this.options.secrets(tenant);
    try {
      return {
        config: connector,
        credentials: {
          credential: secrets.get(secretService(id), 'credential'),
          dkim: connector.kind === 'smtp' ? secrets.get(secretService(id), 'dkim') : null,
        },
      };
    } catch (error) {
      if (error instanceof KeychainUnavailableError) {
        // Fail closed: nothing is sent without the credential, and the attempt says why.
        throw new ConnectorUnavailableError(`Cannot read the connector secret: ${error.message}`, true);
      }
      throw error;
    }
  }

  /** Sends a real test message through the outbox now and returns what the server answered. */
  async test(tenant: string, id: string, to: string | undefined, by: string) {
    const connector = await this.get(tenant, id);
    if (connector.kind === 'smtp' && !to) {
      throw new ContractError('invalid_input', 'to: an SMTP test needs a recipient address', 'to');
    }
    const at = this.now().toISOString();
    const message: OutboundMessage = {
      subject: `CAVRA connector test (${connector.name})`,
      text: `This is a test message from CAVRA Enterprise for tenant ${tenant}, sent by ${by} at ${at}. No action is needed.`,
      html: `<p>This is a test message from <strong>CAVRA Enterprise</strong> for tenant ${escapeHtml(tenant)}, sent by ${escapeHtml(by)} at ${at}.</p><p>No action is needed.</p>`,
      ...(to ? { to: [to] } : {}),
      event:
        connector.kind === 'witness_file'
          ? { type: 'cavra.checkpoint', severity: 'info', data: { test: true, tenant } }
          : { type: 'cavra.connector.test', severity: 'info', data: { connector: id, requested_by: by } },
    };
    if (connector.kind === 'witness_file') {
      throw new ContractError(
        'invalid_input',
        'id: a witness file only receives signed checkpoints; it is tested by anchoring (evidence verify --witness)',
        'id',
      );
    }
    const queued = await this.options.outbox.queue(tenant, {
      idempotencyKey: `test:${id}:${crypto.randomUUID()}`,
      connector,
      purpose: 'test',
      message,
      subject: message.subject,
      recipients: to ? [to] : [],
      createdBy: by,
      escalate: false,
      maxAttempts: 1,
    });
    const done = await this.options.outbox.deliverNow(tenant, queued.id);
    const view = done ? await this.options.outbox.view(tenant, done) : null;
    const last = view?.history.at(-1);
    return {
      ok: done?.state === 'delivered',
      code: last?.code ?? done?.lastCode ?? null,
      text: last?.text ?? done?.lastText ?? 'not attempted',
      durationMs: last?.durationMs ?? 0,
      evidenceSeq: last?.evidenceSeq ?? null,
    };
  }

  private async view(tenant: string, connector: StoredConnector): Promise<ConnectorView> {
    let keychainError: string | null = null;
    const secrets = connectorSecrets[connector.kind].map((spec) => {
      let set = false;
      try {
        set = this.options.secrets(tenant).get(secretService(connector.id), spec.slot) !== null;
      } catch (error) {
        keychainError = error instanceof Error ? error.message : String(error);
      }
      return { ...spec, set };
    });
    const health = await this.options.outbox.health(tenant, connector.id);
    return {
      id: connector.id,
      name: connector.name,
      kind: connector.kind,
      enabled: connector.enabled,
      anchor: connector.anchor,
      retry: connector.retry ?? DEFAULT_RETRY,
      settings: connector.settings,
      secrets,
      keychainError,
      updatedAt: connector.updatedAt,
      updatedBy: connector.updatedBy,
      health: {
        lastAttemptAt: health.last ? new Date(health.last.at).toISOString() : null,
        lastOutcome: health.last?.outcome ?? null,
        lastText: health.last?.text ?? null,
        recentFailures: health.failures,
        recentSuccesses: health.successes,
      },
    };
  }

  private keychain<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof KeychainUnavailableError) throw new ContractError('unavailable', error.message);
      throw error;
    }
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
