import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ContractError, TRIAL_MCP_SERVER, decisionKinds } from '../contract';
import type { DecisionKind, DecisionPayload, WorkflowRun, WorkflowStep } from '../contract';
import type { EvidenceLedgers, Ledger } from '../evidence';
import type { Finished } from './processes';
import { runProgram } from './processes';
import type { ScratchRepository } from './scratch';
import { createScratchRepository, sweepStaleScratch } from './scratch';
import type { ScriptStep, SessionTools } from './script';
import { SESSION_ID, script } from './script';

export interface WorkflowControl {
  signal: AbortSignal;
  progress: (update: { done: number; total?: number | null; phase?: string; awaitingApproval?: string | null }) => void;
}

export interface GovernedWorkflowOptions {
  home: string;
  ledgers: EvidenceLedgers;
  /**
   * The run's own agent principal in the tenant: enrolled (and recorded) when the run starts,
   * revoked when it ends, so the scripted agent acts in exactly the tenant the run is for.
   */
  agentCredentials: {
    enrol(tenant: string, label: string, by: string): { id: string; token: string };
    revoke(tenant: string, id: string, by: string): void;
  };
  /** Withdraws the approval request a cancelled run was waiting on (recorded as cancelled). */
  cancelApproval: (tenant: string, requestId: string, by: string, reason: string) => Promise<void>;
  /** Where scratch repositories go (the OS temp directory when omitted); stale ones there are swept. */
  scratchParent?: string;
  /** Whether a gate answers on this data directory's socket now. */
  gateRunning: () => Promise<boolean>;
  /** Trusted MCP servers of the tenant (the workflow's server must be one). */
  trustedMcpServers: (tenant: string) => string[];
  /** The CLI launcher the agent's processes run (`bin/cavra.cjs`); found beside the code when omitted. */
  launcher?: string;
  /** The stdio MCP server the proxy fronts; @modelcontextprotocol/server-filesystem when omitted. */
  mcpServer?: string[];
  now?: () => Date;
  /** Per adapter process; an approval step waits for a person, so it gets the gate's approval wait on top. */
  stepTimeoutMs?: number;
}

/** Walks up from the code to the first directory holding `relative`. */
function findUp(relative: string): string | null {
  let dir = path.resolve(typeof __dirname === 'string' ? __dirname : process.cwd());
  for (;;) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const FILESYSTEM_SERVER = path.join('node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');

/**
 * The governed workflow runner (trial step 4): a reproducible agent session whose actions
 * reach the running gate only through the real adapter processes, exactly as an agent's
 * would. Nothing is judged in this process; each step's decisions are read back from the
 * tenant's ledger afterwards, so the report says what the gate recorded, not what the
 * script hoped for.
 */
export class GovernedWorkflow {
  private readonly now: () => Date;

  constructor(private readonly options: GovernedWorkflowOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Refuses to start when the adapters cannot reach this data directory's gate (clear errors, nothing run). */
  async preflight(): Promise<{ launcher: string; mcpServer: string[] }> {
    if (!(await this.options.gateRunning())) {
      throw new ContractError(
        'unavailable',
        'The runtime gate is not running for this data directory, so no adapter can reach it: open the console or run "cavra gate serve", then start the workflow again',
      );
    }
    const launcher = this.options.launcher ?? findUp(path.join('bin', 'cavra.cjs'));
    if (!launcher)
      throw new ContractError('unavailable', 'The cavra launcher (bin/cavra.cjs) is not installed beside the core');
    const server =
      this.options.mcpServer ??
      (() => {
        const found = findUp(FILESYSTEM_SERVER);
        return found ? [process.execPath, found] : null;
      })();
    if (!server) {
      throw new ContractError(
        'unavailable',
        'The MCP filesystem server (@modelcontextprotocol/server-filesystem) is not installed, so the MCP part of the workflow cannot run',
      );
    }
    return { launcher, mcpServer: server };
  }

  async run(tenant: string, by: string, control: WorkflowControl): Promise<WorkflowRun> {
    const { launcher, mcpServer } = await this.preflight();
    const ledger = this.options.ledgers.ledger(tenant);
    const startedAt = this.now().toISOString();
    const runId = `wf_${crypto.randomUUID()}`;
    const total = script.length + 1;
    control.progress({ done: 0, total, phase: 'Preparing a scratch repository with a bare remote' });
    // Runs killed mid-run (the console or CLI died) left theirs behind: only marked, ownerless ones go.
    sweepStaleScratch(this.options.scratchParent);
    const repo = await createScratchRepository(control.signal, this.options.scratchParent);
    let agent: { id: string; token: string };
    try {
      agent = this.options.agentCredentials.enrol(tenant, `governed workflow ${runId.slice(3, 15)}`, by);
    } catch (error) {
      repo.remove();
      throw error;
    }
    // Beside the workspace, not in it: the credential is the adapters', not the project's.
    const tokenFile = path.join(repo.root, 'agent-credential');
    fs.writeFileSync(tokenFile, `${agent.token}\n`, { mode: 0o600, flag: 'wx' });
    let current = 0;
    let awaiting: string | null = null;
    // Cancel ends the approval request first (a cancelled record, and the waiting adapter is told
    // deny), then stops the session's processes; killing them first would leave it merely abandoned.
    const stop = new AbortController();
    const onCancel = () => {
      const id = awaiting;
      const cancelled = id
        ? this.options
            .cancelApproval(tenant, id, by, 'The governed workflow was cancelled')
            .catch(() => undefined /* decided or ended meanwhile: nothing left to withdraw */)
        : Promise.resolve();
      void cancelled.finally(() => stop.abort(control.signal.reason));
    };
    control.signal.addEventListener('abort', onCancel, { once: true });
    const session = new AgentSession(repo, {
      home: this.options.home,
      tenant,
      tokenFile,
      launcher,
      mcpServer,
      runId,
      signal: stop.signal,
      timeoutMs: this.options.stepTimeoutMs ?? 60_000,
      progress: (phase, approval) => {
        awaiting = approval;
        control.progress({ done: current, total, phase, awaitingApproval: approval });
      },
    });
    const steps: WorkflowStep[] = [];
    try {
      const installed = await session.cavra(['git', 'install-hooks', '--repo', repo.workspace]);
      if (installed.code !== 0) throw new Error(`cavra git install-hooks failed: ${installed.stderr.trim()}`);
      const trusted = this.options.trustedMcpServers(tenant).includes(TRIAL_MCP_SERVER);
      for (const [index, step] of script.entries()) {
        current = index + 1;
        control.signal.throwIfAborted();
        control.progress({ done: current, total, phase: step.title, awaitingApproval: null });
        steps.push(await this.runStep(step, session, ledger, repo.root, trusted));
        awaiting = null;
      }
      control.signal.throwIfAborted();
    } finally {
      control.signal.removeEventListener('abort', onCancel);
      // Whatever a cancel started (withdrawing the request, stopping processes) ends before cleanup.
      if (control.signal.aborted)
        await new Promise<void>((resolve) => {
          if (stop.signal.aborted) resolve();
          else stop.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      await session.close();
      repo.remove();
      this.options.agentCredentials.revoke(tenant, agent.id, by);
    }
    const decisions = Object.fromEntries(decisionKinds.map((kind) => [kind, 0])) as Record<DecisionKind, number>;
    for (const step of steps) for (const kind of step.observed) decisions[kind] += 1;
    control.progress({ done: total, total, phase: 'Done' });
    return {
      tenant,
      runId,
      workspace: repo.workspace,
      startedAt,
      finishedAt: this.now().toISOString(),
      complete: steps.every((step) => step.outcome === 'as_expected'),
      decisions,
      steps,
    };
  }

  private async runStep(
    step: ScriptStep,
    session: AgentSession,
    ledger: Ledger,
    root: string,
    mcpTrusted: boolean,
  ): Promise<WorkflowStep> {
    const mark = ledger.size();
    let detail: string;
    let failed = false;
    try {
      detail = await step.perform(session);
    } catch (error) {
      if (session.signal.aborted) throw error;
      failed = true;
      detail = `the step could not run: ${error instanceof Error ? error.message : String(error)}`;
    }
    const records = decisionsSince(ledger, mark, root);
    const observed = records.map((r) => r.payload.decision.decision);
    const asExpected =
      !failed && observed.length === step.expected.length && observed.every((kind, i) => kind === step.expected[i]);
    const outcome: WorkflowStep['outcome'] = failed ? 'failed' : asExpected ? 'as_expected' : 'unexpected';
    if (!asExpected) detail = `${detail}. ${explain(step, observed, records, mcpTrusted)}`;
    const rules = records.map((r) => r.payload.decision.explanation.winner).filter((w): w is string => Boolean(w));
    return {
      id: step.id,
      title: step.title,
      adapter: step.adapter,
      expected: step.expected,
      observed,
      outcome,
      detail: `${detail}${rules.length > 0 ? ` [${[...new Set(rules)].join(', ')}]` : ''}`.slice(0, 2000),
      records: records.map((r) => r.seq),
    };
  }
}

/** Why a step did not go as the script expected, and what to do about it. */
function explain(
  step: ScriptStep,
  observed: DecisionKind[],
  records: { payload: DecisionPayload }[],
  mcpTrusted: boolean,
): string {
  const expected = `expected ${step.expected.join(' then ')}`;
  if (observed.length === 0)
    return `The gate recorded no decision for it (${expected}): the adapter did not reach the gate`;
  const seen = `${expected}, the gate recorded ${observed.join(' then ')}`;
  if (step.adapter === 'mcp-proxy' && !mcpTrusted) {
    return `${seen}: the MCP server "${TRIAL_MCP_SERVER}" is not on the tenant's trust list; a reviewer trusts it with "cavra mcp trust ${TRIAL_MCP_SERVER} --tools read_text_file,list_directory" (or under "Trusted MCP servers" on the Policy packs screen)`;
  }
  const approval = records.find((r) => r.payload.decision.approval?.state)?.payload.decision.approval;
  if (step.expected.includes('require_approval') && approval) {
    return `${seen}: approval ${approval.request_id ?? ''} ended ${approval.state}; a reviewer approves it in the Approval queue while the step waits`;
  }
  return `${seen}: the tenant's policy differs from the built-in packs the script was written for`;
}

/** Decision records appended after `mark` for actions in the scratch repository, oldest first. */
function decisionsSince(ledger: Ledger, mark: number, root: string): { seq: number; payload: DecisionPayload }[] {
  const found: { seq: number; payload: DecisionPayload }[] = [];
  let before: number | undefined;
  for (;;) {
    const page = ledger.query({ types: ['decision'], before, limit: 200 });
    for (const summary of page.records) {
      if (summary.seq < mark) return found.reverse();
      const record = ledger.record(summary.seq);
      const payload = record?.payload as DecisionPayload | null | undefined;
      if (payload?.cwd && (payload.cwd === root || payload.cwd.startsWith(`${root}${path.sep}`))) {
        found.push({ seq: summary.seq, payload });
      }
    }
    if (page.next === null || page.records.length === 0) return found.reverse();
    before = page.next;
  }
}

interface AgentSessionOptions {
  home: string;
  /** The tenant the agent acts in, and the file holding its credential there. */
  tenant: string;
  tokenFile: string;
  launcher: string;
  mcpServer: string[];
  runId: string;
  signal: AbortSignal;
  timeoutMs: number;
  progress: (phase: string, awaitingApproval: string | null) => void;
}

/** The agent's side of the session: the processes an agent and its tools would start. */
class AgentSession implements SessionTools {
  private mcp: Client | null = null;

  constructor(
    readonly repo: ScratchRepository,
    private readonly options: AgentSessionOptions,
  ) {}

  get signal(): AbortSignal {
    return this.options.signal;
  }

  /** The agent's environment: the data directory pinned, its session named, nothing of the core's. */
  private agentEnv(): NodeJS.ProcessEnv {
    return {
      ...this.repo.gitEnv,
      CAVRA_HOME: this.options.home,
      CAVRA_TENANT: this.options.tenant,
      CAVRA_AGENT_TOKEN_FILE: this.options.tokenFile,
      CAVRA_AGENT: 'cavra-trial-agent',
      CAVRA_SESSION: SESSION_ID,
      // The console's core runs inside Electron: its executable runs the CLI as plain Node.
      ELECTRON_RUN_AS_NODE: '1',
      NODE_EXTRA_CA_CERTS: '',
    };
  }

  cavra(args: string[], options: { input?: string; cwd?: string; onStderr?: (text: string) => void } = {}) {
    return runProgram(process.execPath, [this.options.launcher, ...args], {
      cwd: options.cwd ?? this.repo.workspace,
      env: this.agentEnv(),
      input: options.input,
      signal: this.options.signal,
      // A step that waits for a reviewer is bounded by the gate's approval wait, not by this.
      timeoutMs: args[0] === 'exec' ? this.options.timeoutMs + 24 * 3_600_000 : this.options.timeoutMs,
      onStderr: options.onStderr,
    });
  }

  git(...args: string[]): Promise<Finished> {
    return runProgram('git', args, {
      cwd: this.repo.workspace,
      env: this.agentEnv(),
      signal: this.options.signal,
      timeoutMs: this.options.timeoutMs,
    });
  }

  async mcpCall(tool: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
    const client = await this.mcpClient();
    const result = (await client.callTool({ name: tool, arguments: args }, undefined, {
      signal: this.options.signal,
      timeout: this.options.timeoutMs,
    })) as { isError?: boolean; content?: { type: string; text?: string }[] };
    return {
      isError: result.isError === true,
      text: (result.content ?? []).map((c) => c.text ?? '').join('\n'),
    };
  }

  waiting(phase: string, requestId: string): void {
    this.options.progress(phase, requestId);
  }

  private async mcpClient(): Promise<Client> {
    if (this.mcp) return this.mcp;
    // Loaded on first use: every `cavra` process that opens the core would pay for the SDK.
    const [{ Client }, { StdioClientTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/stdio.js'),
    ]);
    const client = new Client({ name: 'cavra-trial-agent', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        this.options.launcher,
        'mcp-proxy',
        '--server-name',
        TRIAL_MCP_SERVER,
        '--',
        ...this.options.mcpServer,
        this.repo.workspace,
      ],
      env: this.agentEnv() as Record<string, string>,
      cwd: this.repo.workspace,
      stderr: 'pipe',
    });
    await client.connect(transport, { signal: this.options.signal, timeout: this.options.timeoutMs });
    this.mcp = client;
    return client;
  }

  async close(): Promise<void> {
    await this.mcp?.close().catch(() => undefined);
    this.mcp = null;
  }
}
