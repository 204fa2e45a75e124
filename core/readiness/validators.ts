import type { DeliveryPayload, Ledger } from '../evidence';
import type { DecisionPayload, Entitlement, GateKind, PilotScope, ValidatorId, ValidatorStatus } from '../contract';
import { observe } from './observations';

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

const DAY_MS = 86_400_000;
const since = (context: ValidatorContext) => new Date(context.now.getTime() - context.windowDays * DAY_MS);
const blocker = (message: string, evidence: number[] = []): Outcome => ({ status: 'blocker', message, evidence });
const pass = (message: string, evidence: number[] = []): Outcome => ({ status: 'pass', message, evidence });
const warn = (message: string, evidence: number[] = []): Outcome => ({ status: 'warn', message, evidence });

function gateDecisions(context: ValidatorContext) {
  const all = observe<DecisionPayload>(context.ledger, ['decision'], { since: since(context) });
  const inScope = (p: DecisionPayload) =>
    context.scope?.repository === undefined || p.repository === context.scope.repository;
  return {
    gate: all.filter((r) => GATE_ADAPTERS.has(r.payload.adapter) && inScope(r.payload)),
    notThroughGate: all.filter((r) => !GATE_ADAPTERS.has(r.payload.adapter)).length,
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

const notBuilt = (id: ValidatorId, label: string, capability: string, pilot = false): Validator => ({
  id,
  label,
  pilot,
  // Honest about the build: the capability that would produce this evidence is not part of it,
  // so there is nothing to observe and production readiness cannot be claimed.
  run: async () =>
    blocker(`${capability} is not part of this build, so there is no evidence to observe; this blocks production`),
});

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
          (r.payload.decision.approval.state === 'approved' || r.payload.decision.approval.state === 'denied'),
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
      const approvals = observe<{ request_id: string; event: string; by: string }>(context.ledger, ['approval'], {
        since: since(context),
      });
      const requesters = new Map(
        approvals.filter((r) => r.payload.event === 'requested').map((r) => [r.payload.request_id, r.payload.by]),
      );
      const selfApproved = approvals.filter(
        (r) => r.payload.event === 'approved' && requesters.get(r.payload.request_id) === r.payload.by,
      );
      const problems = [
        'no SSO identity provider is configured (OIDC sign-in is not part of this build), so the evaluator, security reviewer, operator and report recipient cannot each have signed in; the local evaluation identity is never accepted for production',
      ];
      if (selfApproved.length > 0) {
        problems.push(
          `${selfApproved.length} approvals were given by the principal who requested them (records ${selfApproved
            .slice(0, 5)
            .map((r) => r.seq)
            .join(', ')})`,
        );
      }
      return blocker(
        problems.join('; '),
        selfApproved.slice(0, 5).map((r) => r.seq),
      );
    },
  },
  notBuilt('containment', 'Containment active', 'Containment (the bubblewrap sandbox for cavra exec)'),
  notBuilt('live_ingestion', 'Live ingestion into AISPM', 'AISPM ingestion'),
  notBuilt('streaming_lag', 'Streaming (ingestion lag)', 'AISPM ingestion'),
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
