import type { ContainmentPayload, DeliveryPayload, Ledger } from '../evidence';
import type {
  DecisionPayload,
  Entitlement,
  GateKind,
  Ingestion,
  PilotScope,
  Role,
  ValidatorId,
  ValidatorStatus,
} from '../contract';
import type { ContainmentSettings } from '../containment';
import { LOCAL_EVALUATOR_ID, humanPrincipalId } from '../identity';
import { observe } from './observations';

/**
 * What the validators read of a tenant besides its ledger, each from the capability that owns
 * it: the license, the containment setting, AISPM's committed ingestion cursor (read, never
 * advanced) and the tenant's SSO configuration.
 */
export interface TenantObservers {
  entitlement(tenant: string): Promise<Entitlement>;
  containment(tenant: string): Promise<ContainmentSettings>;
  ingestion(tenant: string): Promise<Ingestion>;
  sso(tenant: string): Promise<{ issuer: string } | null>;
}

/** What a validator may look at: the tenant's ledger, its entitlement, and an active isolation probe. */
export interface ValidatorContext {
  tenant: string;
  gate: GateKind;
  /** The pilot boundary; null for the production gate (the whole tenant). */
  scope: PilotScope | null;
  ledger: Ledger;
  now: Date;
  signal: AbortSignal;
  /** Deliveries and workflow traffic count when they happened within this many days. */
  windowDays: number;
  entitlement(): Promise<Entitlement>;
  containment(): Promise<ContainmentSettings>;
  ingestion(): Promise<Ingestion>;
  sso(): Promise<{ issuer: string } | null>;
  /** Runs the cross-tenant probe now; each failed expectation is a sentence. */
  probeIsolation(): Promise<{ checks: number; failures: string[] }>;
}

export interface Outcome {
  status: ValidatorStatus;
  message: string;
  evidence: number[];
}

export interface Validator {
  id: ValidatorId;
  label: string;
  /** Whether the pilot gate runs it (the production gate runs every validator). */
  pilot: boolean;
  run(context: ValidatorContext): Promise<Outcome>;
}

/**
 * Adapters that put an action through the gate. `policy.evaluate` (`cavra evaluate`, the
 * console's test bench) records decisions too, but nothing was intercepted there, so its
 * records never count as workflow traffic; a dry run records nothing at all.
 */
export const GATE_ADAPTERS: ReadonlySet<string> = new Set([
  'claude-code',
  'claude-code-http',
  'mcp-proxy',
  'git',
  'exec',
  'socket',
  'http',
]);

/** The context for one tenant: the observers bound to it. */
export function validatorContext(
  observers: TenantObservers,
  base: Omit<ValidatorContext, 'entitlement' | 'containment' | 'ingestion' | 'sso'>,
): ValidatorContext {
  const { tenant } = base;
  return {
    ...base,
    entitlement: () => observers.entitlement(tenant),
    containment: () => observers.containment(tenant),
    ingestion: () => observers.ingestion(tenant),
    sso: () => observers.sso(tenant),
  };
}

/** The roles SPEC §11 step 2 assigns; each must have signed in through the tenant's IdP. */
export const TRIAL_ROLES: readonly Role[] = ['evaluator', 'security_reviewer', 'operator', 'report_recipient'];

/** Streaming lag: AISPM may trail the ledger by this much and still count as live. */
export const LAG_PASS_SECONDS = 60;
export const LAG_WARN_SECONDS = 900;

const DAY_MS = 86_400_000;
const since = (context: ValidatorContext) => new Date(context.now.getTime() - context.windowDays * DAY_MS);
const blocker = (message: string, evidence: number[] = []): Outcome => ({ status: 'blocker', message, evidence });
const pass = (message: string, evidence: number[] = []): Outcome => ({ status: 'pass', message, evidence });
const warn = (message: string, evidence: number[] = []): Outcome => ({ status: 'warn', message, evidence });

/**
 * A decision the gate made for an agent. Only the gate writes `actor_verified_by` (from the
 * authenticated transport: the socket peer's kernel credentials or the adapter credential's
 * owner); `policy.evaluate` and anything else a caller can reach write no verified actor, so
 * naming a gate adapter in a record is not enough to count as traffic.
 */
function throughGate(p: DecisionPayload): boolean {
  return GATE_ADAPTERS.has(p.adapter) && p.actor_verified_by !== undefined && p.actor_uid !== undefined;
}

function gateDecisions(context: ValidatorContext) {
  const all = observe<DecisionPayload>(context.ledger, ['decision'], { since: since(context) });
  const inScope = (p: DecisionPayload) =>
    context.scope?.repository === undefined || p.repository === context.scope.repository;
  return {
    gate: all.filter((r) => throughGate(r.payload) && inScope(r.payload)),
    notThroughGate: all.filter((r) => !throughGate(r.payload)).length,
  };
}

function recipientInScope(scope: PilotScope | null, address: string): boolean {
  if (!scope?.recipients || scope.recipients.length === 0) return true;
  const lower = address.toLowerCase();
  return scope.recipients.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('@') ? lower.endsWith(e) : lower === e;
  });
}

function describeFailure(r: { seq: number; payload: DeliveryPayload }): string {
  const p = r.payload;
  const answer = [p.code, p.text].filter(Boolean).join(' ');
  return `delivery ${p.delivery_id} attempt ${p.attempt ?? '?'} via ${p.connector} ${p.outcome ?? p.event}${answer ? ` (${answer})` : ''} [record ${r.seq}]`;
}

function deliveries(context: ValidatorContext, accept: (p: DeliveryPayload) => boolean) {
  const attempts = observe<DeliveryPayload>(context.ledger, ['delivery'], { since: since(context) }).filter(
    (r) =>
      r.payload.event === 'attempt' &&
      accept(r.payload) &&
      (context.scope?.connector === undefined || r.payload.connector === context.scope.connector),
  );
  return {
    accepted: attempts.filter((r) => r.payload.outcome === 'accepted'),
    failed: attempts.filter((r) => r.payload.outcome !== 'accepted'),
  };
}

const list = (seqs: number[]) => seqs.slice(0, 5).join(', ');

/**
 * Who signed in through the tenant's IdP and with which roles, and which approvals nobody
 * independent gave. Login records are written only by core/identity; an SSO principal's id is
 * derived by the core from the IdP's issuer, so a login counts only when its `by` carries the
 * configured issuer's prefix (a local evaluation sign-in, or one through an IdP since replaced,
 * never does).
 */
async function identityObservation(context: ValidatorContext) {
  const sso = await context.sso();
  const logins = observe<{ by: string; outcome: string; kind?: string; issuer?: string; roles?: unknown }>(
    context.ledger,
    ['login'],
    { since: since(context) },
  );
  const prefix = sso ? humanPrincipalId(sso.issuer, '') : null;
  const holders = new Map<Role, { by: string; seq: number }>();
  for (const r of logins) {
    const p = r.payload;
    if (prefix === null || p.outcome !== 'signed_in' || p.kind !== 'human' || p.issuer !== sso?.issuer) continue;
    if (!p.by.startsWith(prefix) || !Array.isArray(p.roles)) continue;
    for (const role of TRIAL_ROLES)
      if (p.roles.includes(role) && !holders.has(role)) holders.set(role, { by: p.by, seq: r.seq });
  }
  const localLogins = logins.filter((r) => r.payload.by === LOCAL_EVALUATOR_ID && r.payload.outcome === 'signed_in');
  const approvals = observe<{ request_id: string; event: string; by: string; self_approved?: boolean }>(
    context.ledger,
    ['approval'],
    { since: since(context) },
  );
  const requesters = new Map(
    approvals.filter((r) => r.payload.event === 'requested').map((r) => [r.payload.request_id, r.payload.by]),
  );
  const selfApproved = approvals.filter(
    (r) =>
      r.payload.event === 'approved' &&
      (r.payload.self_approved === true || requesters.get(r.payload.request_id) === r.payload.by),
  );
  return {
    sso,
    holders,
    missing: TRIAL_ROLES.filter((role) => !holders.has(role)),
    localLogins,
    selfApproved,
  };
}

/** The newest `containment.enforcement` change (who chose judgement-only, and why). */
function containmentChange(context: ValidatorContext) {
  return observe<{ change: string; after?: string }>(context.ledger, ['config_change'], { limit: 2000 }).find(
    (r) => r.payload.change === 'containment.enforcement',
  );
}

const describeLag = (lag: Ingestion) =>
  `AISPM has read ${lag.cursor} of ${lag.ledgerSize} ledger records (${lag.behindRecords} behind, the oldest unread is ${lag.behindSeconds} s old)`;

export const validators: readonly Validator[] = [
  {
    id: 'license',
    label: 'License valid',
    pilot: true,
    async run(context) {
      const entitlement = await context.entitlement();
      const imports = observe<{ change: string; license_id?: string }>(context.ledger, ['config_change'], {
        limit: 200,
      })
        .filter((r) => r.payload.change === 'license.import' && r.payload.license_id === entitlement.license?.licenseId)
        .slice(0, 1)
        .map((r) => r.seq);
      if (entitlement.status !== 'active' && entitlement.status !== 'trial') {
        return blocker(`License ${entitlement.status}: ${entitlement.reason}`, imports);
      }
      if (!entitlement.enabledFeatures.includes('readiness')) {
        return blocker(`The license does not include the readiness feature: ${entitlement.reason}`, imports);
      }
      const days = entitlement.daysRemaining ?? 0;
      if (days < 7) return warn(`${entitlement.reason}; renew before it lapses`, imports);
      return pass(entitlement.reason, imports);
    },
  },
  {
    id: 'evidence_integrity',
    label: 'Evidence integrity',
    pilot: true,
    async run(context) {
      // Sign a checkpoint over every record first, so the verification covers all of them.
      try {
        context.ledger.checkpoint();
      } catch (error) {
        return blocker(
          `The ledger cannot sign a checkpoint, so its records are not covered by a signed tree head: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const result = await context.ledger.verify({ signal: context.signal });
      if (!result.ok) {
        return blocker(
          `The ledger does not verify${result.seq === null ? '' : ` at record ${result.seq}`}: ${result.reason}`,
        );
      }
      const anchors = observe<DeliveryPayload>(context.ledger, ['delivery'], { limit: 500 }).filter(
        (r) => r.payload.purpose === 'anchor' && r.payload.event === 'attempt',
      );
      const anchored = anchors.filter((r) => r.payload.outcome === 'accepted');
      const failedAnchors = anchors.length - anchored.length;
      const checkpoint = result.lastCheckpoint;
      const message =
        `All ${result.size} records verified (hash chain, Merkle tree, ${result.checkpoints} signed checkpoints)` +
        (anchors.length > 0 ? `; ${anchored.length} checkpoint anchor deliveries accepted` : '');
      const cited = anchored.slice(0, 5).map((r) => r.seq);
      if (checkpoint === null) return warn(`${message}; no signed checkpoint covers the records yet`, cited);
      if (failedAnchors > 0 && anchored.length === 0) {
        return warn(`${message}; ${failedAnchors} checkpoint anchor deliveries failed and none was accepted`, cited);
      }
      return pass(message, cited);
    },
  },
  {
    id: 'tenant_isolation',
    label: 'Tenant isolation (active cross-tenant probe)',
    pilot: true,
    async run(context) {
      const probe = await context.probeIsolation();
      if (probe.failures.length > 0) {
        return blocker(`The cross-tenant probe crossed the boundary: ${probe.failures.join('; ')}`);
      }
      return pass(`${probe.checks} cross-tenant probes run now were all refused`);
    },
  },
  {
    id: 'agent_workflows',
    label: 'Agent and tool workflows through the real adapters',
    pilot: true,
    async run(context) {
      const { gate, notThroughGate } = gateDecisions(context);
      const kinds = [
        { name: 'file', match: (p: DecisionPayload) => ['read_file', 'write_file'].includes(p.decision.action_type) },
        { name: 'command', match: (p: DecisionPayload) => p.decision.action_type === 'execute_command' },
        {
          name: 'Git (pre-push hook)',
          match: (p: DecisionPayload) => p.decision.action_type === 'git_operation' && p.adapter === 'git',
        },
        {
          name: 'MCP (through the MCP proxy)',
          match: (p: DecisionPayload) => p.decision.action_type === 'mcp_tool_call' && p.adapter === 'mcp-proxy',
        },
      ];
      const seen = kinds.map((kind) => ({ kind: kind.name, record: gate.find((r) => kind.match(r.payload)) }));
      const missing = seen.filter((s) => !s.record).map((s) => s.kind);
      const evidence = seen.flatMap((s) => (s.record ? [s.record.seq] : []));
      const ignored =
        notThroughGate > 0
          ? ` (${notThroughGate} decisions recorded by policy.evaluate were not intercepted from an agent and do not count)`
          : '';
      const where = context.scope?.repository ? ` in repository ${context.scope.repository}` : '';
      if (missing.length > 0) {
        return blocker(
          `No ${missing.join(', ')} activity came through the real adapters${where} in the last ${context.windowDays} days${ignored}; run the governed workflow (trial step 4)`,
          evidence,
        );
      }
      return pass(`File, command, Git and MCP actions came through the real adapters${where}${ignored}`, evidence);
    },
  },
  {
    id: 'runtime_enforcement',
    label: 'Runtime control enforcement',
    pilot: true,
    async run(context) {
      const { gate } = gateDecisions(context);
      const denied = gate.find((r) => r.payload.decision.decision === 'deny' && r.payload.decision.mode === 'enforce');
      const resolved = gate.find(
        (r) =>
          r.payload.decision.approval?.request_id !== undefined &&
          // An approval the waiting agent used ends `consumed` (issue 13); older records say `approved`.
          ['approved', 'consumed', 'denied'].includes(r.payload.decision.approval.state),
      );
      const evidence = [denied?.seq, resolved?.seq].filter((seq): seq is number => seq !== undefined);
      const missing = [
        denied ? null : 'no deny was enforced on an agent through an adapter',
        resolved ? null : 'no approval was resolved for an agent waiting at an adapter',
      ].filter((m): m is string => m !== null);
      if (missing.length > 0) {
        const text = missing.join('; ');
        return blocker(
          `${text.charAt(0).toUpperCase()}${text.slice(1)} in the last ${context.windowDays} days (trial step 5)`,
          evidence,
        );
      }
      return pass(
        `A deny was enforced (record ${denied?.seq}) and approval ${resolved?.payload.decision.approval?.request_id} was ${resolved?.payload.decision.approval?.state} for an agent waiting at the ${resolved?.payload.adapter} adapter`,
        evidence,
      );
    },
  },
  {
    id: 'connector_delivery',
    label: 'Connector delivery',
    pilot: true,
    async run(context) {
      const { accepted, failed } = deliveries(context, (p) => p.purpose !== 'report');
      const through = context.scope?.connector ? ` through connector ${context.scope.connector}` : '';
      if (accepted.length === 0) {
        const detail =
          failed.length > 0 ? `: ${failed.slice(0, 5).map(describeFailure).join('; ')}` : '; none was attempted';
        return blocker(
          `No connector delivery${through} was accepted in the last ${context.windowDays} days${detail}`,
          failed.slice(0, 5).map((r) => r.seq),
        );
      }
      const latest = accepted[0] as (typeof accepted)[number];
      return pass(
        `${accepted.length} connector deliveries${through} accepted; latest ${latest.payload.delivery_id} via ${latest.payload.connector} (${latest.payload.code ?? 'accepted'})`,
        accepted.slice(0, 5).map((r) => r.seq),
      );
    },
  },
  {
    id: 'report_delivery',
    label: 'Report delivery (SMTP acceptance)',
    pilot: true,
    async run(context) {
      const { accepted, failed } = deliveries(
        context,
        (p) =>
          p.purpose === 'report' &&
          p.connector_kind === 'smtp' &&
          (p.recipients ?? []).some((address) => recipientInScope(context.scope, address)),
      );
      if (accepted.length === 0) {
        const detail =
          failed.length > 0
            ? `; failed attempts: ${failed.slice(0, 5).map(describeFailure).join('; ')}`
            : '; no report delivery was attempted (trial step 7)';
        return blocker(
          `No report was accepted by an SMTP server in the last ${context.windowDays} days${detail}`,
          failed.slice(0, 10).map((r) => r.seq),
        );
      }
      const latest = accepted[0] as (typeof accepted)[number];
      return pass(
        `The SMTP server accepted report delivery ${latest.payload.delivery_id} for ${(latest.payload.accepted ?? latest.payload.recipients ?? []).join(', ')} (${[latest.payload.code, latest.payload.text].filter(Boolean).join(' ')})`,
        accepted.slice(0, 5).map((r) => r.seq),
      );
    },
  },
  {
    id: 'identity',
    label: 'Identity: SSO, each role signed in, no self-approval',
    pilot: false,
    async run(context) {
      const seen = await identityObservation(context);
      const signedIn = [...seen.holders.values()].map((h) => h.seq);
      const evidence = [...new Set([...signedIn, ...seen.selfApproved.slice(0, 5).map((r) => r.seq)])];
      const problems: string[] = [];
      if (!seen.sso) {
        problems.push(
          `no SSO identity provider is configured for tenant "${context.tenant}", so only the local evaluation identity can act and production never accepts it; configure the IdP on the Tenants and access screen (trial step 2)`,
        );
      } else if (seen.missing.length > 0) {
        problems.push(
          `nobody holding the ${seen.missing.map((r) => r.replace('_', ' ')).join(', ')} role has signed in through ${seen.sso.issuer} in the last ${context.windowDays} days${
            seen.localLogins.length > 0 ? ' (local evaluation sign-ins do not count)' : ''
          }; map their IdP groups to these roles and have each sign in (trial step 2)`,
        );
      }
      if (seen.selfApproved.length > 0) {
        problems.push(
          `${seen.selfApproved.length} approvals were given by the principal who requested them or by the local evaluation identity to an agent of the same OS user (records ${list(seen.selfApproved.map((r) => r.seq))})`,
        );
      }
      if (problems.length > 0) {
        const text = problems.join('; ');
        return blocker(`${text.charAt(0).toUpperCase()}${text.slice(1)}`, evidence);
      }
      const who = TRIAL_ROLES.map((role) => `${role.replace('_', ' ')} ${seen.holders.get(role)?.by}`).join(', ');
      return pass(`Signed in through ${seen.sso?.issuer}: ${who}; no approval was self-approved`, evidence);
    },
  },
  {
    id: 'containment',
    label: 'Containment active',
    pilot: true,
    async run(context) {
      const settings = await context.containment();
      const change = containmentChange(context);
      if (settings.enforcement === 'judgement_only') {
        const message = `Tenant "${context.tenant}" runs commands on judgement alone, without the sandbox (set by ${settings.changedBy ?? 'unknown'}${settings.reason ? `: ${settings.reason}` : ''}); restore the sandbox on the Containment screen`;
        const cited = change ? [change.seq] : [];
        // Weaker posture may be a pilot's recorded choice; production never accepts it.
        return context.gate === 'production' ? blocker(message, cited) : warn(message, cited);
      }
      // The gate alone writes `containment` on a decision (the profile it granted); runners
      // report back through the gate, and a report that the sandbox did not start cancels the run.
      const unavailable = new Set(
        observe<ContainmentPayload>(context.ledger, ['containment'], { since: since(context) })
          .filter((r) => r.payload.event === 'sandbox_unavailable' && r.payload.decision_id !== undefined)
          .map((r) => r.payload.decision_id),
      );
      const { gate } = gateDecisions(context);
      const contained = gate.filter(
        (r) =>
          r.payload.adapter === 'exec' &&
          r.payload.decision.decision === 'allow' &&
          r.payload.containment?.enforcement === 'sandbox' &&
          !unavailable.has(r.payload.decision.decision_id),
      );
      const uncontained = gate.filter(
        (r) => r.payload.adapter === 'exec' && r.payload.containment?.enforcement === 'judgement_only',
      );
      const where = context.scope?.repository ? ` in repository ${context.scope.repository}` : '';
      if (contained.length === 0) {
        return blocker(
          `The sandbox is the tenant's setting, but no command${where} was run inside it through cavra exec in the last ${context.windowDays} days${
            unavailable.size > 0 ? ` (${unavailable.size} runs were refused because the sandbox could not start)` : ''
          }; run the governed workflow (trial step 4)`,
          [...(change ? [change.seq] : [])],
        );
      }
      const latest = contained[0] as (typeof contained)[number];
      const profile =
        latest.payload.containment?.enforcement === 'sandbox' ? latest.payload.containment.profile_sha256 : '';
      const message =
        `${contained.length} commands${where} ran inside the sandbox through cavra exec; the latest in profile ${profile.slice(0, 12)} (record ${latest.seq})` +
        (uncontained.length > 0 ? `; ${uncontained.length} earlier commands ran on judgement alone` : '');
      const evidence = contained.slice(0, 5).map((r) => r.seq);
      return uncontained.length > 0 ? warn(message, evidence) : pass(message, evidence);
    },
  },
  {
    id: 'live_ingestion',
    label: 'Live ingestion into AISPM',
    pilot: false,
    async run(context) {
      const lag = await context.ingestion();
      // AISPM must have read the agent activity itself, not merely some records.
      const { gate } = gateDecisions(context);
      const newest = gate[0];
      if (!newest) {
        return blocker(
          `No adapter traffic in the last ${context.windowDays} days for AISPM to ingest; ${describeLag(lag)} (trial steps 4 and 6)`,
        );
      }
      if (lag.cursor <= newest.seq) {
        return blocker(
          `AISPM has not ingested the latest agent activity (decision record ${newest.seq}): ${describeLag(lag)}; open the AISPM screen or run "cavra aispm status" so the consumer reads the ledger (trial step 6)`,
          [newest.seq],
        );
      }
      const message = `AISPM ingested the agent activity up to record ${newest.seq} and beyond: ${describeLag(lag)}`;
      if (lag.unreadable > 0) {
        return warn(`${message}; ${lag.unreadable} records could not be read by AISPM`, [newest.seq]);
      }
      return pass(message, [newest.seq]);
    },
  },
  {
    id: 'streaming_lag',
    label: 'Streaming (ingestion lag)',
    pilot: false,
    async run(context) {
      const lag = await context.ingestion();
      if (lag.lastIngestedAt === null) {
        return blocker(`AISPM has never ingested this tenant's ledger: ${describeLag(lag)} (trial step 6)`);
      }
      const text = `${describeLag(lag)}; last ingested at ${lag.lastIngestedAt}`;
      if (lag.behindSeconds > LAG_WARN_SECONDS) {
        return blocker(
          `AISPM trails the ledger by more than ${LAG_WARN_SECONDS} s: ${text}; keep the console (or "cavra gate serve") running so AISPM ingests continuously`,
        );
      }
      if (lag.behindSeconds > LAG_PASS_SECONDS)
        return warn(`AISPM trails the ledger by more than ${LAG_PASS_SECONDS} s: ${text}`);
      return pass(`AISPM is within ${LAG_PASS_SECONDS} s of the ledger: ${text}`);
    },
  },
  {
    id: 'critical_findings',
    label: 'No open critical finding without an owner',
    pilot: false,
    async run(context) {
      const findings = observe<{ severity: string; owner?: string; status?: string; summary: string }>(context.ledger, [
        'finding',
      ]);
      const orphans = findings.filter(
        (r) =>
          r.payload.severity === 'critical' &&
          (r.payload.status === undefined || r.payload.status === 'open') &&
          (typeof r.payload.owner !== 'string' || r.payload.owner.length === 0),
      );
      if (orphans.length > 0) {
        return blocker(
          `${orphans.length} open critical findings have no owner: ${orphans
            .slice(0, 3)
            .map((r) => `"${r.payload.summary}" (record ${r.seq})`)
            .join('; ')}`,
          orphans.slice(0, 20).map((r) => r.seq),
        );
      }
      return pass(`${findings.length} finding records read; no open critical finding lacks an owner`);
    },
  },
];
