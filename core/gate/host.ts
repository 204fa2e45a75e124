import type { ApprovalDesk } from '../approvals';
import type {
  GateApprovals,
  GateContainment,
  GateEvidence,
  GatePolicy,
  GateTenants,
  RecordedDecision,
} from './authority';
import type { McpRegistry } from './mcp-trust';
import type { AgentCredentials } from './credentials';

/** What a ledger must offer the gate (the evidence Ledger satisfies it). */
interface GateLedger {
  /** Names this tenant's log; evidence references are `<origin>#<seq>`. */
  readonly origin: string;
  append(input: { type: 'decision' | 'gap'; payload: unknown }): Promise<{ seq: number }>;
  /** Whether checkpoints can be signed now (the ledger caches its signer, so this is cheap). */
  signing(): { state: 'ready'; keyId: string } | { state: 'unavailable'; reason: string };
}

/**
 * The services a gate runs on, as the core holds them: the console's main process and
 * `cavra gate serve` pass their core's, so the gate and the console share one writer per
 * tenant ledger (HOUSE rule 6).
 */
export interface GateHost {
  home: string;
  tenants: { defaultTenant(): string | null; exists(tenantId: string): boolean };
  ledgers: { ledger(tenantId: string): GateLedger };
  policy: GatePolicy;
  approvals: ApprovalDesk;
  /** Where the gate raises and awaits approvals when not the local desk (connected mode's shared queue). */
  gateApprovals?: GateApprovals;
  mcp: McpRegistry;
  /** Compiles sandbox profiles for `cavra exec` and records what runners report. */
  containment?: GateContainment;
  /** Adapter credentials: each authenticates an agent principal bound to one tenant. */
  agents: AgentCredentials;
  /** Told about every decision the gate recorded (the core turns it into a push event). */
  onDecision?: (recorded: RecordedDecision) => void;
}

/** Tenants that exist, and the default, are looked up at most this often (tenants are never deleted). */
const TENANT_CACHE_MS = 1_000;

export function gateTenants(host: GateHost): GateTenants {
  const known = new Map<string, number>();
  let fallback: { tenant: string | null; at: number } | null = null;
  return {
    resolve(requested) {
      const now = performance.now();
      if (requested === undefined && (!fallback || now - fallback.at > TENANT_CACHE_MS)) {
        fallback = { tenant: host.tenants.defaultTenant(), at: now };
      }
      const tenant = requested ?? fallback?.tenant ?? null;
      if (tenant === null) throw new Error('no tenant was named and the install has no default tenant');
      const seen = known.get(tenant);
      if (seen === undefined || now - seen > TENANT_CACHE_MS) {
        if (!host.tenants.exists(tenant)) throw new Error(`tenant "${tenant}" does not exist`);
        known.set(tenant, now);
      }
      return tenant;
    },
  };
}

export function gateEvidence(host: GateHost): GateEvidence {
  return {
    async append(tenant, type, payload) {
      const ledger = host.ledgers.ledger(tenant);
      const receipt = await ledger.append({ type, payload });
      return { seq: receipt.seq, ref: `${ledger.origin}#${receipt.seq}` };
    },
    signing(tenant) {
      const signing = host.ledgers.ledger(tenant).signing();
      return signing.state === 'ready' ? { ready: true } : { ready: false, reason: signing.reason };
    },
  };
}
