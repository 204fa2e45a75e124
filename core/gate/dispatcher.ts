import { z } from 'zod';
import type { Admission } from './admission';
import type { GateContainment, GateVerdict, RuntimeAuthority, Waiting } from './authority';
import { HookInputError, claudeCodeSubject } from './claude-code';
import type { McpRegistry } from './mcp-trust';
import type { AgentCredential } from './credentials';
import { APPROVAL_REQUEST_ID, MAX_RESUME_WAIT_MS } from './client';

/** The human behind an agent, as the gate verified it: never a field the agent sets. */
export interface VerifiedActor {
  uid: number;
  name: string;
  /** `peer_credentials`: the socket peer's uid from the kernel; `install_owner`: the credential's registered owner. */
  verifiedBy: 'peer_credentials' | 'install_owner';
  pid?: number;
}

/** Who is asking, as the transport authenticated it. */
export interface GateCaller {
  credential: AgentCredential;
  actor: VerifiedActor;
}

export interface GateLimits {
  /** Largest request (socket line or HTTP body) in bytes. */
  maxRequestBytes: number;
  /** From arrival to answer (or to the start of an approval wait); beyond it the answer is deny. */
  decisionTimeoutMs: number;
  maxInFlight: number;
  maxQueued: number;
  maxConnections: number;
  /** Heartbeats to socket clients while they wait for an approval. */
  heartbeatMs: number;
  /** A request must arrive in full within this time of its first byte. */
  receiveTimeoutMs: number;
}

/** Adapter names as decision records carry them. */
const adapterSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a short lowercase adapter name');

/** A runner's report on a contained run (record type `containment`); the gate fills in the adapter. */
const containmentReportSchema = z.strictObject({
  event: z.enum(['network_denied', 'sandbox_unavailable', 'mcp_server_contained']),
  reason: z.string().min(1).max(2000),
  decision_id: z.string().min(1).max(256).optional(),
  decision_ref: z.string().min(1).max(256).optional(),
  profile_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  host: z.string().max(300).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  method: z.string().max(32).optional(),
  server: z.string().min(1).max(256).optional(),
  agent: z.object({ id: z.string().min(1).max(256), session: z.string().min(1).max(256).optional() }).optional(),
});

/** One socket request line, after the version, id and token checks. */
export const socketRequestSchema = z.object({
  op: z.enum(['decide', 'claude-code', 'mcp.tools', 'refusal', 'containment', 'contain']),
  adapter: adapterSchema.optional(),
  tenant: z.string().min(1).max(63).optional(),
  actor: z.string().min(1).max(256).optional(),
  action: z.unknown().optional(),
  input: z.unknown().optional(),
  server: z.string().min(1).max(128).optional(),
  tools: z.array(z.unknown()).max(2000).optional(),
  /** `refusal`: what the adapter refused without asking, and why. */
  reason: z.string().min(1).max(2000).optional(),
  agent: z.object({ id: z.string().min(1).max(128), session: z.string().max(256).optional() }).optional(),
  /** decide: the adapter will run an allowed command and contain it (`cavra exec`). */
  contain: z.boolean().optional(),
  report: z.unknown().optional(),
  /** contain: the working directory of the process to start (an MCP server). */
  cwd: z.string().min(1).max(4096).optional(),
  /** decide / claude-code: re-attach to the approval this adapter waited on before its gate went away (see wire.ts). */
  resume: z
    .strictObject({
      request_id: z.string().regex(APPROVAL_REQUEST_ID, 'must be an approval request id (apr_…)'),
      wait_ms: z.number().int().min(0).max(MAX_RESUME_WAIT_MS),
    })
    .optional(),
});
type GateRequest = z.infer<typeof socketRequestSchema>;

const deny = (reason: string): GateVerdict => ({ outcome: 'deny', reason, decision: null });

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns a parsed request into a verdict under the gate's limits: admission (overload is a
 * deny), a decision deadline (a stuck ledger or policy is a deny), and the op itself.
 */
export class GateDispatcher {
  constructor(
    private readonly authority: RuntimeAuthority,
    private readonly registry: McpRegistry,
    private readonly containment: GateContainment | null,
    private readonly admission: Admission,
    private readonly limits: GateLimits,
    private readonly defaultAdapter: { socket: string; claudeCode: string },
  ) {}

  async dispatch(request: GateRequest, caller: GateCaller, waiting: Waiting = {}): Promise<GateVerdict> {
    let timedOut = false;
    let release: (() => void) | null = null;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<GateVerdict>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve(deny(`CAVRA gate: no decision within ${this.limits.decisionTimeoutMs} ms, so the action is denied`));
      }, this.limits.decisionTimeoutMs);
    });
    const work = (async (): Promise<GateVerdict> => {
      release = await this.admission.enter();
      if (!release) {
        const { inFlight, queued } = this.admission.load();
        return deny(
          `CAVRA gate is over capacity (${inFlight} decisions in progress, ${queued} queued); denied rather than queued without bound`,
        );
      }
      if (timedOut) return deny('CAVRA gate: timed out while queued');
      return this.execute(request, caller, {
        signal: waiting.signal,
        ...(request.resume ? { resume: { requestId: request.resume.request_id, waitMs: request.resume.wait_ms } } : {}),
        onPending: (pending) => {
          // The approval wait has its own limit and holds no decision slot.
          clearTimeout(timer);
          release?.();
          waiting.onPending?.(pending);
        },
      });
    })();
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      return deny(`CAVRA gate failed while deciding, so the action is denied: ${describeError(error)}`);
    } finally {
      clearTimeout(timer);
      // A timed-out request keeps its slot until its work ends, so the bound stays true.
      void work.finally(() => (release as (() => void) | null)?.()).catch(() => undefined);
    }
  }

  private async execute(request: GateRequest, caller: GateCaller, waiting: Waiting): Promise<GateVerdict> {
    // The tenant comes from the credential; a caller naming another one is refused, not obeyed.
    const bound = caller.credential.tenant;
    const named = [request.tenant, (request.action as { tenant?: unknown } | undefined)?.tenant].filter(
      (tenant) => tenant !== undefined && tenant !== null,
    );
    const other = named.find((tenant) => tenant !== bound);
    if (other !== undefined) {
      return deny(
        `CAVRA gate: this adapter's credential is bound to tenant "${bound}", not "${String(other).slice(0, 63)}"; ` +
          `enroll an adapter for that tenant with "cavra agents enroll --tenant ${String(other).slice(0, 63)}"`,
      );
    }
    const context = { tenant: bound, actor: caller.actor, credential: caller.credential.id };
    switch (request.op) {
      case 'decide':
        if (request.action === undefined) return deny('action: is required');
        return this.authority.decideAction(
          request.action,
          { ...context, adapter: request.adapter ?? this.defaultAdapter.socket, contain: request.contain === true },
          waiting,
        );
      case 'claude-code': {
        let subject;
        try {
          subject = claudeCodeSubject(request.input, { tenant: bound, actor: request.actor });
        } catch (error) {
          if (error instanceof HookInputError) return deny(`The hook input is invalid (${error.message})`);
          throw error;
        }
        return this.authority.decideClaudeCode(
          subject,
          { ...context, adapter: request.adapter ?? this.defaultAdapter.claudeCode },
          waiting,
        );
      }
      case 'mcp.tools': {
        if (!request.server || !request.tools) return deny('server and tools: are required');
        return this.observeTools(bound, request.server, request.tools);
      }
      case 'refusal': {
        if (!request.reason) return deny('reason: is required');
        return this.authority.recordRefusal(
          bound,
          request.adapter ?? this.defaultAdapter.socket,
          request.agent ?? null,
          request.reason,
        );
      }
      case 'containment':
        return this.recordContainment(request.tenant, request.adapter ?? this.defaultAdapter.socket, request.report);
      case 'contain':
        return this.containServer(
          request.tenant,
          request.adapter ?? this.defaultAdapter.socket,
          request.server,
          request.cwd,
        );
    }
  }

  /**
   * The profile an MCP server is started in (`cavra mcp-proxy`). Recorded first: the
   * `containment` record names the server and the profile's digest (or judgement-only).
   */
  private async containServer(
    requested: string | undefined,
    adapter: string,
    server: string | undefined,
    cwd: string | undefined,
  ): Promise<GateVerdict> {
    if (!this.containment) return deny('this gate cannot contain MCP servers, so none may start');
    if (!server || !cwd) return deny('server and cwd: are required');
    try {
      const tenant = this.authority.tenantFor(requested);
      const grant = await this.containment.grantFor(tenant, cwd, null);
      await this.recordStart(tenant, {
        event: 'mcp_server_contained',
        adapter,
        server,
        ...(grant.enforcement === 'sandbox'
          ? { profile_sha256: grant.digest, reason: `MCP server ${server} started inside its sandbox profile` }
          : { reason: `MCP server ${server} started WITHOUT containment: ${grant.reason}`.slice(0, 2000) }),
      });
      return {
        outcome: 'allow',
        reason: `MCP server ${server}: ${grant.enforcement}`,
        decision: null,
        containment: grant,
      };
    } catch (error) {
      return deny(
        `the MCP server's sandbox profile could not be prepared, so it does not start: ${describeError(error)}`,
      );
    }
  }

  /** Record, then start: a server whose start cannot be recorded does not start. */
  private async recordStart(tenant: string, payload: Parameters<GateContainment['report']>[1]): Promise<void> {
    try {
      await (this.containment as GateContainment).report(tenant, payload);
    } catch (error) {
      throw new Error(`its start could not be recorded in the evidence ledger: ${describeError(error)}`);
    }
  }

  /** A runner's report becomes a `containment` record; the answer says whether it is durable. */
  private async recordContainment(requested: string | undefined, adapter: string, raw: unknown): Promise<GateVerdict> {
    if (!this.containment) return deny('this gate does not record containment reports');
    const parsed = containmentReportSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return deny(`report.${issue?.path.join('.') || ''}: ${issue?.message ?? 'is invalid'}`);
    }
    try {
      const tenant = this.authority.tenantFor(requested);
      const { seq } = await this.containment.report(tenant, { ...parsed.data, adapter });
      return { outcome: 'allow', reason: `recorded as containment record ${seq}`, decision: null };
    } catch (error) {
      return deny(`the containment report could not be recorded: ${describeError(error)}`);
    }
  }

  private async observeTools(requested: string | undefined, server: string, tools: unknown[]): Promise<GateVerdict> {
    try {
      const tenant = this.authority.tenantFor(requested);
      const seen = await this.registry.observeTools(tenant, server, tools);
      const reason =
        seen.change === 'changed'
          ? `tool definitions of ${server} changed (fingerprint ${seen.fingerprint.slice(0, 12)}); a finding was raised`
          : `tool definitions of ${server} ${seen.change === 'first_seen' ? 'recorded' : 'unchanged'}`;
      return { outcome: 'allow', reason, decision: null };
    } catch (error) {
      return deny(`tool definitions could not be recorded: ${describeError(error)}`);
    }
  }
}
