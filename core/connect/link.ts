import type { ConnectorConfig } from '../contract';
import type { DeliveryOutcome, Outbox, OutboundMessage } from '../outbox';
import { ConnectorUnavailableError } from '../outbox';
import type { SecretStore } from '../secrets';
import type { Connection } from './connection';
import { connectedTenants, connectionIdentity, machineCredential, readConnection } from './connection';
import type { ControlPlaneClient } from './client';
import type { MachineSelf } from './enrolment';
import { disconnectMachine, enrolMachine, machineClient, machineSelfSchema } from './enrolment';
import { MACHINE_PATHS } from './wire';
import {
  CONTROL_PLANE_CONNECTOR,
  controlPlaneConnector,
  queueEvidenceBatch,
  shipEvidenceBatch,
} from './evidence-shipping';
import type { ShippingLedger } from './evidence-shipping';
import { packCacheKey, publishedPacks, syncPacks } from './pack-sync';
import type { PackSet, PackSyncResult, SyncPolicy } from './pack-sync';

export interface ControlPlaneLinkOptions {
  home: string;
  secrets: SecretStore;
  /** The ID token of a stored sign-in (IdentityService.bearer): the operator's enrolment bearer. */
  bearer(sessionId: string): Promise<{ tenant: string; idToken: string; principal: string }>;
  /** The tenant's local ledger, whose records are shipped to the central ledger. */
  ledger(tenant: string): ShippingLedger;
  /** The policy engine: packs published (server) and synced (machine). */
  policy: SyncPolicy;
  log?: (message: string) => void;
}

/** How often a connected gate asks for a newer pack generation. */
const PACK_SYNC_MS = 30_000;

export type ConnectionStatus = {
  connection: Connection;
  credentialInKeychain: boolean;
} & ({ reachable: true; machine: MachineSelf } | { reachable: false; why: string });

/**
 * This install's side of connected mode (SPEC §14): which tenants are joined to which control
 * plane, enrolment and disconnect, and the machine-authenticated client the gate's seams use
 * (evidence shipping, approvals through the server, pack sync).
 */
export class ControlPlaneLink {
  private readonly lastPackSync = new Map<string, number>();
  /** remote()'s answer per tenant, valid while the connection file is the same file (connectionIdentity). */
  private readonly remotes = new Map<string, { identity: string | null; client: ControlPlaneClient | null }>();

  constructor(private readonly options: ControlPlaneLinkOptions) {}

  connection(tenant: string): Connection | null {
    return readConnection(this.options.home, tenant);
  }

  tenants(): string[] {
    return connectedTenants(this.options.home);
  }

  /**
   * The machine's client for a connected tenant, or null when the tenant is standalone. On the
   * approval hot path: the connection file is read, and the credential taken from the keychain,
   * once per version of the file (one stat per call checks it); connect and disconnect here drop
   * it at once, and another process's replace or remove changes the file's identity.
   */
  remote(tenant: string): ControlPlaneClient | null {
    const identity = connectionIdentity(this.options.home, tenant);
    const cached = this.remotes.get(tenant);
    if (cached && cached.identity === identity) return cached.client;
    const connection = identity === null ? null : this.connection(tenant);
    const client = connection
      ? machineClient(this.options.secrets, connection, undefined, { rememberCredential: true })
      : null;
    this.remotes.set(tenant, { identity, client });
    return client;
  }

  client(connection: Connection, timeoutMs?: number) {
    return machineClient(this.options.secrets, connection, timeoutMs);
  }

  /**
   * The bearer a person presents to the control plane: the ID token of their stored sign-in,
   * refreshed first when it has expired (enrolment; a console working on the remote tenant).
   */
  bearerFor(sessionId: string): Promise<{ tenant: string; idToken: string; principal: string }> {
    return this.options.bearer(sessionId);
  }

  /** Enrols this machine with the operator's stored sign-in for `tenant` as the bearer. */
  async connect(input: { server: string; tenant: string; sessionId: string; ca: string | null; name?: string }) {
    const operator = await this.bearerFor(input.sessionId);
    if (operator.tenant !== input.tenant) {
      throw new Error(
        `Your sign-in is for tenant "${operator.tenant}", not "${input.tenant}"; run cavra login --tenant ${input.tenant}`,
      );
    }
    this.remotes.delete(input.tenant);
    try {
      return await enrolMachine({
        home: this.options.home,
        secrets: this.options.secrets,
        server: input.server,
        tenant: input.tenant,
        operatorToken: operator.idToken,
        operator: operator.principal,
        ca: input.ca,
        name: input.name,
      });
    } finally {
      this.remotes.delete(input.tenant);
    }
  }

  async status(tenant: string): Promise<ConnectionStatus | null> {
    const connection = this.connection(tenant);
    if (!connection) return null;
    let credentialInKeychain = false;
    try {
      credentialInKeychain = machineCredential(this.options.secrets, connection) !== null;
    } catch {
      credentialInKeychain = false;
    }
    try {
      const answer = await this.client(connection, 10_000).call<unknown>('GET', MACHINE_PATHS.self);
      const machine = machineSelfSchema.parse(answer);
      return { connection, credentialInKeychain, reachable: true, machine };
    } catch (error) {
      return {
        connection,
        credentialInKeychain,
        reachable: false,
        why: error instanceof Error ? error.message : String(error),
      };
    }
  }

  /** Outbox producer: the next batch of local evidence for the control plane, when connected. */
  async queueEvidence(tenant: string, outbox: Outbox): Promise<void> {
    const connection = this.connection(tenant);
    if (!connection) return;
    await queueEvidenceBatch(tenant, connection, this.options.ledger(tenant), {
      queue: (t, request) => outbox.queue(t, request),
      outstanding: async (t) =>
        (await outbox.list(t, { states: ['queued', 'sending'], connectorId: CONTROL_PLANE_CONNECTOR, limit: 1 }))
          .length,
      shippedThrough: (t) => outbox.anchoredSize(t, CONTROL_PLANE_CONNECTOR),
      setShippedThrough: (t, next) => outbox.setAnchoredSize(t, CONTROL_PLANE_CONNECTOR, next),
    });
  }

  /** The outbox worker's view of the control plane as a destination. */
  async resolve(tenant: string): Promise<{ config: ConnectorConfig; credentials: { credential: null; dkim: null } }> {
    if (!this.connection(tenant)) {
      throw new ConnectorUnavailableError(
        `This machine is no longer connected to a control plane for tenant "${tenant}"; the batch was not sent`,
        false,
      );
    }
    return { config: controlPlaneConnector(), credentials: { credential: null, dkim: null } };
  }

  /** Sends one evidence batch the outbox holds, as this machine. */
  async ship(tenant: string, message: OutboundMessage): Promise<DeliveryOutcome> {
    const connection = this.connection(tenant);
    if (!connection) return { ok: false, code: null, text: 'Not connected to a control plane', retryable: false };
    return shipEvidenceBatch(this.client(connection, 30_000), this.options.ledger(tenant), message);
  }

  /** Server side: the tenant's packs as machines receive them. */
  publishedPacks(tenant: string): PackSet {
    return publishedPacks(this.options.policy, tenant);
  }

  /** Machine side: fetches and applies a newer pack generation, when connected. */
  async syncPacks(tenant: string): Promise<PackSyncResult | null> {
    const connection = this.connection(tenant);
    if (!connection) return null;
    this.lastPackSync.set(tenant, Date.now());
    let credential: string | null = null;
    try {
      credential = machineCredential(this.options.secrets, connection);
    } catch {
      credential = null;
    }
    return syncPacks(
      this.options.home,
      connection,
      this.client(connection, 15_000),
      this.options.policy,
      credential ? packCacheKey(credential) : null,
    );
  }

  /** Outbox producer: a pack sync every PACK_SYNC_MS per connected tenant (the first at once). */
  async syncPacksWhenDue(tenant: string): Promise<void> {
    if (Date.now() - (this.lastPackSync.get(tenant) ?? 0) < PACK_SYNC_MS) return;
    if (!this.connection(tenant)) return;
    try {
      const result = await this.syncPacks(tenant);
      if (result?.state === 'applied') {
        this.options.log?.(
          `packs of ${tenant} synced to generation ${result.generation.slice(0, 12)}: ${result.imported.join(', ') || 'assignments only'}`,
        );
      }
    } catch (error) {
      this.options.log?.(`pack sync of ${tenant} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async disconnect(tenant: string) {
    this.remotes.delete(tenant);
    try {
      return await disconnectMachine(this.options.home, this.options.secrets, tenant);
    } finally {
      this.remotes.delete(tenant);
    }
  }
}
