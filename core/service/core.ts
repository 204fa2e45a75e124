import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContractError, isOperationName, issueInWords, operations, requestEnvelopeSchema } from '../contract';
import type { EventEnvelope, OperationName, OperationSpec, Principal, ResponseEnvelope } from '../contract';
import type { SecretStore } from '../secrets';
import { TenantDirectory } from '../tenants';
import {
  IdentityService,
  OidcSignIn,
  accessRefusal,
  currentOsUser,
  localEvaluationPrincipal,
  sessionHandlers,
} from '../identity';
import type { OidcOptions } from '../identity';
import { SharedRegistry, SharedTenantProfiles, SqliteTenantProfiles, onboardingHandlers } from '../tenants';
import type { OnboardingDeps } from '../tenants';
import { EvidenceLedgers, ledgerEvidence, recordThenApply } from '../evidence';
import type { EvidenceSigner } from '../evidence';
import { ApprovalDesk, StepUp, StoredApprovalRepository, approvalHandlers, notifyBreakGlass } from '../approvals';
import type { ApprovalRequest } from '../approvals';
import {
  AgentCredentials,
  McpRegistry,
  enrolAgent,
  enrolmentHandlers,
  mcpTrustHandlers,
  probeGate,
  revokeAgent,
} from '../gate';
import type { EnrolmentDeps } from '../gate';
import type { GateHost } from '../gate';
import { FilePackTestResults, PolicyService, findBuiltinPackDir, packTestResultsPath } from '../policy';
import { AispmService, aispmHandlers, ledgerSource } from '../aispm';
import { normalizeAction } from '../normalize';
import {
  ConnectorService,
  SqliteConnectorRepository,
  connectorHandlers,
  queueCheckpointAnchors,
  send,
} from '../connectors';
import { DeliveryWorker, Outbox, SqliteOutboxRepository } from '../outbox';
import { ReportService, StoredReportRepository, reportHandlers } from '../reports';
import { LicenseService, SqliteLicenseRepository, buildChannel, licenseHandlers } from '../license';
import { ReadinessService, TrialService, readinessHandlers } from '../readiness';
import type { TenantObservers } from '../readiness';
import { ContainmentService, StoredContainmentSettings, containmentHandlers } from '../containment';
import { GovernedWorkflow, trialWorkflowHandlers } from '../trial-workflow';
import { EventBus } from './events';
import type { Handlers, HandlerDeps } from './handlers';
import { policyHandlers } from './policy-handlers';
import { systemHandlers } from './system-handlers';
import { tenantHandlers } from './tenant-handlers';
import { jobHandlers } from './job-handlers';
import { evidenceHandlers } from './evidence-handlers';
import { RegistryWatch } from './registry-watch';
import { bundleDirFor } from './bundle-location';
import { JobRunner } from './jobs';
import { inputError } from './input-error';
import type { ShellKind } from './types';
import { version as packageVersion } from '../../package.json';
import { SqliteStore } from '../store';
import type { Store } from '../store';
import {
  CONTROL_PLANE_CONNECTOR,
  ConnectedApprovals,
  ControlPlaneLink,
  RemoteApprovalEvents,
  ReviewerSessions,
  connectedApprovalHandlers,
} from '../connect';

export interface CoreOptions {
  home: string;
  shell: ShellKind;
  now?: () => Date;
  /** Where internal failures are reported (message only, never input values). */
  log?: (message: string) => void;
  /** The built-in policy packs; found by walking up from the code to `policy-packs/` when omitted. */
  policyPacksDir?: string;
  /** Where tenant signing keys live: the OS keychain unless given (benchmarks pass a throwaway store). */
  secrets?: SecretStore;
  /**
   * Run the outbox's delivery worker in the background (the console and `gate serve` do;
   * short-lived CLI commands deliver what they queued themselves). `tickMs` paces it.
   */
  deliveries?: { run: boolean; tickMs?: number };
  /** How the core talks to IdPs (tests put a network attacker between the core and a real IdP). */
  oidc?: OidcOptions;
  /**
   * Where the approval desk records its events (`approval` records), resolving to the record's
   * sequence number once durable: the tenant's local ledger unless given. The control plane
   * passes its central ledger, so the shared queue's requests and verdicts are in the one
   * organisation-wide ledger that machines ship their evidence to.
   */
  recordApproval?: (tenant: string, event: object) => Promise<number>;
  /**
   * What replicas of `cavra server` share (its PostgreSQL store): the approval desk keeps its
   * requests there instead of the tenant's SQLite file, so every replica serves one queue.
   * `ensureTenant` makes the shared store's tenant row before a tenant's first write.
   */
  shared?: { store: Store; ensureTenant(tenant: string): Promise<void> };
  /**
   * The callers are on other machines (`cavra server`): an action's paths are theirs, so the
   * policy judges every action from its text alone and never probes this machine's files.
   */
  actionsFromOtherMachines?: boolean;
  /**
   * Where tenants' evidence signing keys come from instead of the OS keychain: cavra server's
   * configured key, so every replica signs each tenant's checkpoints with the same key.
   */
  signingKey?: (tenant: string) => EvidenceSigner;
  /** The CLI launcher the governed workflow's agent runs (tests pass their own build); found beside the code otherwise. */
  cavraLauncher?: string;
}

export interface CoreService {
  readonly home: string;
  readonly version: string;
  /** The one entry point every transport uses. Never throws; always returns an envelope. */
  invoke(principal: Principal | null, request: unknown): Promise<ResponseEnvelope>;
  subscribe(principal: Principal, listener: (event: EventEnvelope) => void): () => void;
  /** Stops jobs and closes every database; a worker-hosted core finishes asynchronously. */
  close(): void | Promise<void>;
}

/** A core in this thread: it can also host the runtime gate (`startGate({ host: core.gateHost })`). */
export interface LocalCoreService extends CoreService {
  readonly gateHost: GateHost;
  /**
   * A person's OIDC bearer token for `tenant` (cavra server), checked against the tenant's IdP
   * and mapped to a principal whose roles are applied as at sign-in; throws ContractError.
   */
  bearerPrincipal(tenant: string, token: string): Promise<Principal>;
  /**
   * The guard's access check for `op` in `tenant` (role, license feature) without running the
   * operation, for a route that serves what the operation means in another form: cavra server's
   * central ledger bundle is `evidence.export` of the organisation's ledger. Throws
   * ContractError; a refusal is recorded as evidence, as through `invoke`.
   */
  authorize(principal: Principal, op: OperationName, tenant: string): Promise<void>;
  /** The tenant's evidence signing key (cavra server signs the central ledger's checkpoints with it). */
  evidenceSigner(tenant: string): EvidenceSigner;
  /** Connected mode: this install's membership of control planes (`cavra connect`). */
  readonly controlPlane: ControlPlaneLink;
  /**
   * With a shared store: the first load of the shared tenant registry into this replica's
   * mirror (rejects when it cannot be read; it is retried every second until it succeeds).
   * Resolves at once otherwise.
   */
  ready(): Promise<void>;
  /** Whether the shared registry was loaded (always true without a shared store). */
  isReady(): boolean;
}

/**
 * The core half of the guard (HOUSE rule 3): parse the request, authenticate, check the
 * caller's role in the tenant, call the handler, validate its output, return an error
 * envelope without stack traces, and audit state changes. Shells add the sender check.
 */
export function createCore(options: CoreOptions): LocalCoreService {
  const log = options.log ?? ((message: string) => process.stderr.write(`[cavra] ${message}\n`));
  const tenants = new TenantDirectory(options.home, options.now, {
    secrets: options.secrets,
    signer: options.signingKey,
  });
  // cavra server: the tenant registry, profiles and policy live in the shared store; this
  // install's registry becomes its mirror (core/tenants/shared-registry.ts).
  const sharedRegistry = options.shared
    ? new SharedRegistry({
        store: options.shared.store,
        directory: tenants,
        now: options.now,
        log,
        signingKey: options.signingKey,
      })
    : null;
  if (sharedRegistry) tenants.share(sharedRegistry);
  // The store port over this install's SQLite files; capabilities moved behind it use this.
  const store = new SqliteStore({
    install: () => tenants.registryDatabase(),
    tenant: (tenant) => tenants.store(tenant),
  });
  tenants.bootstrap(localEvaluationPrincipal);
  const events = new EventBus((principal, tenant) => tenants.rolesIn(principal.id, tenant));
  const jobs = new JobRunner(events, log, options.now);
  const ledgers = new EvidenceLedgers(tenants, { now: options.now });
  const escalateBreakGlass = (tenant: string, request: ApprovalRequest): Promise<void> =>
    notifyBreakGlass(
      {
        escalationRoute: (t): Promise<{ connectorId: string; to: string[] } | null> => reports.escalationRoute(t),
        connectorKind: async (t, id) => (await connectors.get(t, id).catch(() => null))?.kind ?? null,
        queue: (t, delivery) => outbox.queue(t, delivery),
        recordUndelivered: (t, text, requestId) =>
          recordDelivery(t, {
            delivery_id: `break-glass:${requestId}`,
            event: 'refused',
            connector: 'none',
            connector_kind: 'smtp',
            purpose: 'escalation',
            idempotency_key: `break-glass:${requestId}`,
            recipients: [],
            text: text.slice(0, 500),
          }),
      },
      tenant,
      request,
    );
  const approvals: ApprovalDesk = new ApprovalDesk({
    repository: new StoredApprovalRepository(
      options.shared?.store ?? store,
      options.shared ? (tenant) => options.shared!.ensureTenant(tenant) : undefined,
    ),
    record:
      options.recordApproval ??
      (async (tenant, event) => (await ledgers.ledger(tenant).append({ type: 'approval', payload: event })).seq),
    standing: (tenant, principalId) => ({
      groups: tenants.groupsIn(principalId, tenant),
      roles: tenants.rolesIn(principalId, tenant),
    }),
    tenantKind: (tenant) => tenants.kindOf(tenant),
    ssoConfigured: async (tenant) => (await profiles.get(tenant)).sso !== null,
    packVersion: (tenant, packId) => policy.activeVersion(tenant, packId),
    escalate: (tenant: string, request: ApprovalRequest): Promise<void> => escalateBreakGlass(tenant, request),
    now: options.now,
    onChange: (request, change) =>
      events.emit('approvals.changed', request.tenant, {
        tenantId: request.tenant,
        id: request.id,
        state: request.state,
        change,
      }),
    log,
  });
  const mcp = new McpRegistry({
    store: (tenant) => tenants.store(tenant),
    record: async (tenant, type, payload) => (await ledgers.ledger(tenant).append({ type, payload })).seq,
    change: (tenant, payload, apply) =>
      recordThenApply(ledgers.ledger(tenant), { type: 'config_change', payload }, () => apply()),
    now: options.now,
  });
  const policy = new PolicyService({
    tenants,
    builtinDir: options.policyPacksDir ?? findBuiltinPackDir(),
    normalize: normalizeAction,
    userHome: os.homedir(),
    now: options.now,
    mcpTrust: mcp,
    evidence: ledgerEvidence(ledgers),
    testResults: new FilePackTestResults(packTestResultsPath(options.home)),
    dataDirectories: dataDirectoriesOf(options.home),
    actionsFromOtherMachines: options.actionsFromOtherMachines === true,
  });
  // Bound late: the identity service is made below; called only when a machine enrols.
  const controlPlane = new ControlPlaneLink({
    home: options.home,
    secrets: tenants.secretStore(),
    bearer: (sessionId) => identity.sessionBearer(sessionId),
    ledger: (tenant) => ledgers.ledger(tenant),
    policy,
    log,
  });
  const appendRecord = async (tenant: string, type: 'delivery' | 'config_change', payload: unknown) =>
    (await ledgers.ledger(tenant).append({ type, payload })).seq;
  const recordDelivery = (tenant: string, payload: unknown) => appendRecord(tenant, 'delivery', payload);
  const deliveriesChanged = (tenant: string, deliveryId: string | null) =>
    events.emit('deliveries.changed', tenant, { tenantId: tenant, deliveryId });
  const connectorRepository = new SqliteConnectorRepository((tenant) => tenants.store(tenant));
  const outboxStore = new SqliteOutboxRepository((tenant) => tenants.store(tenant));
  // The worker calls the connector and report services, which need the outbox it serves; its
  // closures run only after all three exist.
  const worker: DeliveryWorker = new DeliveryWorker({
    store: outboxStore,
    tenants: () => tenants.ids(),
    // The control plane is the outbox's one built-in destination (connected mode's evidence shipping).
    resolve: (tenant, id) =>
      id === CONTROL_PLANE_CONNECTOR ? controlPlane.resolve(tenant) : connectors.resolve(tenant, id),
    send: (config, credentials, message, context) =>
      config.id === CONTROL_PLANE_CONNECTOR
        ? controlPlane.ship(context.tenant, message)
        : send(config, credentials, message, context),
    record: recordDelivery,
    escalationRoute: (tenant) => reports.escalationRoute(tenant),
    approval: async (tenant, id) => {
      const request = await approvals.get(tenant, id);
      if (!request) return { state: 'closed', why: 'the approval request no longer exists' };
      if (request.state === 'pending') return { state: 'pending' };
      if (request.state === 'approved') {
        return {
          state: 'approved',
          consume: async () => (await approvals.consume(request.binding, `delivery:${id}`, id)) !== null,
        };
      }
      return { state: 'closed', why: `the approval request was ${request.state}` };
    },
    producers: [
      (tenant): Promise<void> =>
        queueCheckpointAnchors(tenant, { connectors: connectorRepository, ledger: (t) => ledgers.ledger(t), outbox }),
      (tenant) => reports.runDueSchedules(tenant),
      (tenant) => controlPlane.queueEvidence(tenant, outbox),
      (tenant) => controlPlane.syncPacksWhenDue(tenant),
    ],
    onChange: deliveriesChanged,
    now: options.now,
    log,
    tickMs: options.deliveries?.tickMs,
  });
  const outbox: Outbox = new Outbox({
    store: outboxStore,
    worker,
    record: recordDelivery,
    now: options.now,
    onChange: deliveriesChanged,
  });
  const connectors = new ConnectorService({
    repository: connectorRepository,
    secrets: (tenant) => tenants.secretsFor(tenant),
    outbox,
    ledger: (tenant) => ledgers.ledger(tenant),
    now: options.now,
  });
  const reports = new ReportService({
    repository: new StoredReportRepository(store),
    ledger: (tenant) => ledgers.ledger(tenant),
    outbox,
    connectors,
    approvals,
    record: recordDelivery,
    now: options.now,
  });
  const license = new LicenseService({
    repository: new SqliteLicenseRepository((tenant) => tenants.store(tenant)),
    ledger: (tenant) => ledgers.ledger(tenant),
    now: options.now,
  });
  if (options.deliveries?.run) worker.start();
  // Bound late (AISPM, containment and the profiles are made below); called only when a validator runs.
  const observers: TenantObservers = {
    entitlement: (tenant) => license.entitlement(tenant),
    containment: (tenant) => containment.settings(tenant),
    ingestion: (tenant) => aispm.ingestion(tenant),
    sso: async (tenant) => {
      const sso = (await profiles.get(tenant)).sso;
      return sso ? { issuer: sso.issuer } : null;
    },
  };
  const readiness = new ReadinessService({
    ...observers,
    home: options.home,
    ledgers,
    surrenderLicense: (tenant, by, reason) => license.surrender(tenant, by, reason),
    // Bound late: the probe goes through the same dispatcher and guard as every caller.
    invoke: (principal, request) => service.invoke(principal, request),
    tenantIds: () => tenants.ids(),
    signer: (tenant) => tenants.evidenceSigner(tenant),
    channel: buildChannel,
    now: options.now,
  });
  const aispm = new AispmService({
    home: options.home,
    ledgers: { ledger: (tenant) => ledgerSource(ledgers.ledger(tenant)) },
    now: options.now,
    // The console answers at once and keeps ingesting in the background; the CLI and tests read to the tail.
    readBudgetMs: options.shell === 'desktop' || options.shell === 'browser' ? 1_500 : Number.POSITIVE_INFINITY,
    background: options.shell === 'desktop' || options.shell === 'browser',
    onChange: (tenant, cursor) => events.emit('aispm.changed', tenant, { tenantId: tenant, cursor }),
    log,
  });
  const containment = new ContainmentService({
    policy,
    settings: new StoredContainmentSettings(store),
    record: async (tenant, type, payload) => ledgers.ledger(tenant).append({ type, payload }),
    cavraHome: options.home,
    userHome: os.homedir(),
    now: options.now,
  });
  const mirroredProfiles = new SqliteTenantProfiles(tenants.registryDatabase(), options.now);
  const profiles = sharedRegistry ? new SharedTenantProfiles(mirroredProfiles, sharedRegistry) : mirroredProfiles;
  sharedRegistry?.bindPolicy({
    snapshot: (tenant) => policy.snapshot(tenant),
    replace: (tenant, body) => policy.replaceWith(tenant, body),
  });
  const ready = sharedRegistry ? sharedRegistry.load() : Promise.resolve();
  sharedRegistry?.start();
  // Awaited by ready(); a failure here must not surface as an unhandled rejection meanwhile.
  ready.catch(() => undefined);
  const identity = new IdentityService({
    tenants,
    profiles,
    secrets: tenants.secretStore(),
    oidc: new OidcSignIn({ now: options.now, ...options.oidc }),
    record: async (tenant, type, payload) => (await ledgers.ledger(tenant).append({ type, payload })).seq,
    now: options.now,
  });
  const onboarding: OnboardingDeps = {
    tenants,
    profiles,
    packIds: () => policy.builtinPackIds(),
    assignments: (tenant) =>
      policy
        .listPacks(tenant)
        .packs.flatMap((pack) => pack.assignments.map((repository) => ({ packId: pack.id, repository }))),
    assign: (tenant, packId, repository, by) => void policy.assign(tenant, packId, repository, by),
    retention: (tenant) => {
      const ledger = ledgers.ledger(tenant);
      return { ...ledger.retention(), set: ledger.retentionChosen() };
    },
    setRetention: async (tenant, days, legalHold, by) => {
      await ledgers.ledger(tenant).setRetention({ days, legalHold }, by.id);
    },
    selfApproved: async (tenant) => (await approvals.selfApproved(tenant)).map((request) => request.id),
    record: async (tenant, payload) => {
      await ledgers.ledger(tenant).append({ type: 'config_change', payload });
    },
  };
  const agents = new AgentCredentials(tenants.registryDatabase(), options.now);
  const gateHost: GateHost = {
    home: options.home,
    tenants,
    ledgers,
    policy,
    approvals,
    // A tenant joined to a control plane raises its approvals in the shared queue there.
    gateApprovals: new ConnectedApprovals(approvals, (tenant) => controlPlane.remote(tenant)),
    mcp,
    containment,
    agents,
  };
  const enrolment: EnrolmentDeps = {
    agents,
    change: (tenant, payload, apply) =>
      recordThenApply(ledgers.ledger(tenant), { type: 'config_change', payload }, () => apply()),
    owner: currentOsUser,
  };
  // Which sign-in a principal's calls come from: a connected tenant's approvals go to the control plane with its token.
  const reviewerSessions = new ReviewerSessions();
  // A connected tenant's queue changes on the control plane: its events reach a subscribed console through this.
  const remoteApprovalEvents = new RemoteApprovalEvents(
    controlPlane,
    reviewerSessions,
    (tenant, payload) => events.emit('approvals.changed', tenant, payload),
    log,
  );
  const deps: HandlerDeps = { tenants, events, jobs, shell: options.shell, version: packageVersion };
  const evidence = evidenceHandlers(ledgers, deps, options.now);
  const registryWatch = new RegistryWatch(tenants, events);
  const handlers: Handlers = {
    ...systemHandlers(deps),
    ...evidence.handlers,
    ...tenantHandlers(deps, ledgers),
    ...jobHandlers(deps),
    // The console's approvals source: the local desk, or the control plane for a connected tenant.
    ...connectedApprovalHandlers(
      approvalHandlers(approvals, new StepUp(approvals, identity, options.now)),
      controlPlane,
      reviewerSessions,
    ),
    ...mcpTrustHandlers(mcp),
    ...enrolmentHandlers(enrolment),
    ...policyHandlers(policy, events),
    ...connectorHandlers(connectors, outbox, (tenant) => deliveriesChanged(tenant, null)),
    ...reportHandlers(reports, (tenant) => deliveriesChanged(tenant, null)),
    ...licenseHandlers(license),
    ...readinessHandlers(
      readiness,
      new TrialService({ ...observers, ledgers, now: options.now }),
      (spec, work) => jobs.start(spec, work),
      (tenant, given) => bundleDirFor(options.home, tenant, given),
    ),
    ...aispmHandlers(aispm),
    ...trialWorkflowHandlers(
      new GovernedWorkflow({
        home: options.home,
        ledgers,
        agentCredentials: {
          enrol: (tenant, label, by) => {
            const issued = enrolAgent(enrolment, tenant, label, by);
            return { id: issued.credential.id, token: issued.token };
          },
          revoke: (tenant, id, by) => void revokeAgent(enrolment, tenant, id, by),
        },
        cancelApproval: async (tenant, requestId, by, reason) => {
          await approvals.cancel(tenant, requestId, by, reason);
        },
        gateRunning: async () => (await probeGate(options.home)).running,
        trustedMcpServers: (tenant) => mcp.list(tenant).map((entry) => entry.server),
        launcher: options.cavraLauncher,
        now: options.now,
      }),
      (spec, work) => jobs.start(spec, work),
    ),
    ...containmentHandlers(containment),
    ...reviewerSessions.watch(sessionHandlers(identity, tenants, profiles, options.shell)),
    ...onboardingHandlers(onboarding, (tenant) =>
      events.emit('tenants.changed', tenant, { tenantId: tenant, change: 'updated' }),
    ),
  };

  /** Refusals are evidence in the tenant they concern (never for a tenant that does not exist). */
  async function recordRefusal(principal: Principal, op: string, tenant: string | null, error: ContractError) {
    if (tenant === null || !tenants.exists(tenant)) return;
    try {
      await ledgers.ledger(tenant).append({
        type: 'access_refused',
        payload: { by: principal.id, kind: principal.kind, op, code: error.code, reason: error.message.slice(0, 2000) },
      });
    } catch (recordError) {
      log(`refusal could not be recorded: ${recordError instanceof Error ? recordError.message : String(recordError)}`);
    }
  }

  async function authorize(principal: Principal, spec: OperationSpec, tenant: string | null): Promise<void> {
    const concerned = spec.scope === 'tenant' && tenant !== null && (await tenants.knows(tenant));
    const ssoConfigured = concerned ? (await profiles.get(tenant)).sso !== null : false;
    const refusal = accessRefusal(principal, spec, tenant === null ? null : { id: tenant, ssoConfigured });
    if (refusal) throw new ContractError(refusal.code, refusal.message);
    if (spec.scope === 'install') {
      const required = spec.installRoles ?? [];
      if (required.length === 0) return;
      const held = tenants.installRoles(principal.id);
      if (!required.some((role) => held.includes(role))) {
        throw new ContractError('forbidden', `This operation needs the ${required.join(' or ')} role`);
      }
      return;
    }
    if (tenant === null) throw new ContractError('invalid_input', 'tenant: this operation needs a tenant', 'tenant');
    const held = concerned ? tenants.rolesIn(principal.id, tenant) : [];
    // A tenant that does not exist and one the caller may not see look the same from outside.
    if (held.length === 0) throw new ContractError('forbidden', `You have no access to tenant "${tenant}"`, 'tenant');
    if (!spec.roles.some((role) => held.includes(role))) {
      throw new ContractError(
        'forbidden',
        `This operation needs one of these roles in "${tenant}": ${spec.roles.join(', ')}`,
      );
    }
  }

  async function dispatch(principal: Principal | null, request: unknown): Promise<unknown> {
    const envelope = requestEnvelopeSchema.safeParse(request, { reportInput: true, error: issueInWords });
    if (!envelope.success) throw inputError(envelope.error, 'request');
    const { op, tenant, input } = envelope.data;
    if (!isOperationName(op)) throw new ContractError('invalid_input', `op: unknown operation "${op}"`, 'op');
    const spec: OperationSpec = operations[op];
    if (!principal && !(spec.scope === 'install' && spec.public)) {
      throw new ContractError('unauthenticated', 'Sign in first: the request carries no principal');
    }
    if (principal) {
      try {
        await authorize(principal, spec, tenant);
      } catch (error) {
        if (error instanceof ContractError) await recordRefusal(principal, op, tenant, error);
        throw error;
      }
    }
    const parsed = spec.input.safeParse(input, { reportInput: true, error: issueInWords });
    if (!parsed.success) throw inputError(parsed.error);
    // Enterprise workflows run only under a license that enables them (SPEC §10); a refusal
    // is evidence like any other (someone tried a locked feature).
    if (spec.scope === 'tenant' && spec.feature && tenant !== null) {
      try {
        await license.require(tenant, spec.feature);
      } catch (error) {
        if (error instanceof ContractError && principal) await recordRefusal(principal, op, tenant, error);
        throw error;
      }
    }
    const handler = handlers[op] as (
      ctx: { principal: Principal | null; tenant: string | null },
      input: unknown,
    ) => unknown;
    const run = async () => handler({ principal, tenant }, parsed.data);
    // A shared registry: a policy change applies to the tenant's shared policy, under its lock.
    const output =
      sharedRegistry && tenant !== null && spec.mutates && op.startsWith('policy.')
        ? await sharedRegistry.policyChange(tenant, run)
        : await run();
    if (sharedRegistry && op === 'tenants.onboard') {
      const onboarded = (output as { tenant: { id: string } | null }).tenant;
      if (onboarded) await sharedRegistry.publishPolicy(onboarded.id);
    }
    const checked = spec.output.safeParse(output);
    if (!checked.success) throw new Error(`${op} produced output that does not match the contract`);
    return checked.data;
  }

  function audit(principal: Principal | null, request: unknown, outcome: 'ok' | 'error', errorCode?: string): void {
    const parsed = requestEnvelopeSchema.safeParse(request);
    if (!parsed.success || !isOperationName(parsed.data.op) || !operations[parsed.data.op as OperationName].mutates)
      return;
    tenants.audit({
      principalId: principal?.id ?? null,
      tenantId: parsed.data.tenant,
      op: parsed.data.op,
      outcome,
      errorCode,
    });
  }

  const service: LocalCoreService = {
    home: options.home,
    version: packageVersion,
    gateHost,
    bearerPrincipal: (tenant, token) => identity.bearer(tenant, token),
    async authorize(principal, op, tenant) {
      const spec: OperationSpec = operations[op];
      try {
        await authorize(principal, spec, tenant);
        if (spec.scope === 'tenant' && spec.feature) await license.require(tenant, spec.feature);
      } catch (error) {
        if (error instanceof ContractError) await recordRefusal(principal, op, tenant, error);
        throw error;
      }
    },
    evidenceSigner: (tenant) => tenants.evidenceSigner(tenant),
    controlPlane,
    ready: () => ready,
    isReady: () => sharedRegistry?.isLoaded() ?? true,
    async invoke(principal, request) {
      try {
        const value = await dispatch(principal, request);
        audit(principal, request, 'ok');
        return { ok: true, value };
      } catch (error) {
        const envelope =
          error instanceof ContractError
            ? error.toEnvelope()
            : { code: 'internal' as const, message: 'Internal error; the console log has details' };
        if (!(error instanceof ContractError))
          log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
        try {
          audit(principal, request, 'error', envelope.code);
        } catch (auditError) {
          log(`audit failed: ${auditError instanceof Error ? auditError.message : String(auditError)}`);
        }
        return { ok: false, error: envelope };
      }
    },
    subscribe: (principal, listener) => {
      // Someone is listening (a console): tenants other processes create, and records other
      // processes append to the listener's tenants, should reach it.
      registryWatch.start();
      if (principal.kind !== 'agent') evidence.watchTenants(tenants.listFor(principal.id).map((t) => t.id));
      const unsubscribe = events.subscribe(principal, listener);
      const unwatch = remoteApprovalEvents.watch(
        principal,
        tenants.listFor(principal.id).map((t) => t.id),
      );
      return () => {
        unwatch();
        unsubscribe();
      };
    },
    close: () => {
      remoteApprovalEvents.close();
      sharedRegistry?.stop();
      const closeStores = () => {
        jobs.cancelAll();
        evidence.stop();
        registryWatch.stop();
        aispm.close();
        approvals.close();
        ledgers.close();
        tenants.close();
      };
      // A delivery in flight finishes its bookkeeping before the databases close.
      if (worker.isRunning()) return worker.stop().then(closeStores);
      closeStores();
    },
  };
  return service;
}

/** The data directory as configured and as resolved (a symlinked CAVRA_HOME is the same place). */
function dataDirectoriesOf(home: string): string[] {
  const given = path.resolve(home);
  let real = given;
  try {
    real = fs.realpathSync(given);
  } catch {
    // Not created yet: the configured path is all there is.
  }
  return real === given ? [given] : [given, real];
}
