import { spawn } from 'node:child_process';
import { createContractClient, requiredTrialRoles, TRIAL_MCP_SERVER } from '../../core/contract';
import type {
  Action,
  CloseoutResult,
  ContractClient,
  Job,
  PacketExportResult,
  Principal,
  Role,
  SignedIn,
  TrialStatus,
  WorkflowRun,
} from '../../core/contract';
import { probeGate, startGate } from '../../core/gate';
import type { RunningGate } from '../../core/gate';
import { createCore, createInMemoryTransport } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { launcherPath } from '../adapters/launcher';
import { oidcLogin } from '../commands/login';
import { giveVerdict } from '../commands/approvals';
import type { CliIO } from '../io';
import { rememberSession } from '../sign-in';
import type { LoadedTrialConfig } from './config';

export interface TrialOutcome {
  ready: boolean;
  packetDir: string | null;
  /** The signed closeout packet (step 9), when the configuration closes the trial. */
  closeoutDir: string | null;
  blockers: { validator: string; message: string }[];
  steps: TrialStatus['steps'];
}

/** Who acts in the trial: each signed-in person with the roles the IdP's groups gave them. */
interface Person {
  role: (typeof requiredTrialRoles)[number] | 'local_evaluator';
  principal: Principal;
  roles: Role[];
  client: ContractClient;
}

/** A failure of one trial step, worded for the person running it. */
export class TrialStepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = 'TrialStepError';
  }
}

const SIGN_IN_TIMEOUT_MS = 60_000;
const DELIVERY_WAIT_MS = 60_000;

/** Runs the headless browser the config names; it must follow the IdP back to the callback. */
function headlessSignIn(command: string[], login: string, env: NodeJS.ProcessEnv) {
  return (authorizationUrl: string) =>
    new Promise<void>((resolve, reject) => {
      const [program, ...args] = command as [string, ...string[]];
      const child = spawn(program, args, {
        env: { ...env, CAVRA_SIGN_IN_URL: authorizationUrl, CAVRA_SIGN_IN_USER: login },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), SIGN_IN_TIMEOUT_MS);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`idp.sign_in_command: cannot run ${program}: ${error.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`idp.sign_in_command exited ${code} signing in ${login}: ${stderr.trim().slice(-500)}`));
      });
    });
}

async function awaitJob<T>(
  client: ContractClient,
  tenant: string,
  jobId: string,
  onPoll?: (job: Job) => Promise<void>,
) {
  let phase = '';
  for (;;) {
    const job: Job = await client.call('jobs.get', { jobId }, { tenant });
    if (job.state === 'succeeded') return { job, result: job.result as T };
    if (job.state !== 'running') throw new Error(job.error?.message ?? `the job ended ${job.state}`);
    if (job.progress.phase !== phase) phase = job.progress.phase;
    await onPoll?.(job);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The governed workflow's actions judged by policy.evaluate only: recorded, but nothing intercepted. */
function simulatedActions(tenant: string): Action[] {
  const cwd = '/srv/trial/payments-service';
  const agent = { id: 'cavra-trial-agent', session: 'cavra-trial-simulated' };
  return [
    { type: 'read_file', path: `${cwd}/README.md`, cwd, agent, tenant },
    { type: 'write_file', path: `${cwd}/src/refunds.js`, content: 'export {}\n', cwd, agent, tenant },
    { type: 'execute_command', command: 'git status --short', cwd, agent, tenant },
    { type: 'execute_command', command: 'rm -rf ..', cwd, agent, tenant },
    { type: 'git_operation', git: { args: ['push', 'origin', 'feature/refund-limit'] }, cwd, agent, tenant },
    {
      type: 'mcp_tool_call',
      mcp: { server: TRIAL_MCP_SERVER, tool: 'read_text_file', arguments: { path: `${cwd}/.env` } },
      cwd,
      agent,
      tenant,
    },
  ];
}

/**
 * The whole guided trial, headless (SPEC §11): tenant, license, SSO sign-in of the four roles,
 * policy, MCP trust, connector and report delivery over SMTP, the governed workflow with an
 * approval answered by the security reviewer, AISPM ingestion, and the production gate's
 * signed packet. Every step goes through the contract as the person whose role it needs;
 * readiness is whatever the validators observe afterwards.
 */
export async function runTrial(loaded: LoadedTrialConfig, io: CliIO, home: string): Promise<TrialOutcome> {
  const { config } = loaded;
  const began = Date.now();
  const say = (line: string) => io.stderr(`${line} (${((Date.now() - began) / 1000).toFixed(1)} s)\n`);
  const core: LocalCoreService = createCore({
    home,
    shell: 'cli',
    log: (message) => io.stderr(`cavra: ${message}\n`),
    deliveries: { run: true, tickMs: 200 },
    cavraLauncher: launcherPath(),
  });
  let gate: RunningGate | null = null;
  try {
    if (!(await probeGate(home)).running) {
      gate = await startGate({
        host: core.gateHost,
        httpPort: false,
        approvalWaitMs: config.workflow.approval_wait_seconds * 1000,
        log: (message) => io.stderr(`cavra gate: ${message}\n`),
      });
    } else {
      say('A gate is already running for this data directory (the console?); the workflow uses it.');
    }
    return await steps(core, loaded, io, home, say);
  } finally {
    await gate?.close();
    await core.close();
  }
}

async function steps(
  core: LocalCoreService,
  loaded: LoadedTrialConfig,
  io: CliIO,
  home: string,
  say: (line: string) => void,
): Promise<TrialOutcome> {
  const { config } = loaded;
  const person = (role: Person['role'], signedIn: SignedIn): Person => ({
    role,
    principal: signedIn.principal,
    roles: signedIn.roles,
    client: createContractClient(createInMemoryTransport(core, signedIn.principal)),
  });
  const call = async <T>(op: string, input: unknown, principal: Principal | null, tenant: string | null) => {
    const response = await core.invoke(principal, { op, tenant, input });
    if (!response.ok) throw new Error(response.error.message);
    return response.value as T;
  };

  // 1. The tenant: the install's default one, whose adapters the gate serves.
  const local = person('local_evaluator', await call<SignedIn>('session.local', {}, null, null));
  const tenant = (await local.client.call('system.info', {})).defaultTenant;
  if (!tenant)
    throw new TrialStepError('tenant', 'this install has no default tenant; use a fresh data directory (CAVRA_HOME)');
  const on = { tenant };
  say(`[1/9] Tenant ${tenant}`);
  const profile = await local.client.call('tenants.profile.get', {}, on);
  const wanted = {
    ...(config.idp
      ? {
          sso: {
            issuer: config.idp.issuer,
            client_id: config.idp.client_id,
            scopes: config.idp.scopes,
            groups_claim: config.idp.groups_claim,
          },
          role_mappings: config.idp.role_mappings,
        }
      : {}),
    inventory: { repositories: [{ name: config.repository }], environments: [] },
    report_recipients: config.report_recipients,
    contacts: config.contacts,
  };
  if (profile.sso && config.idp && profile.sso.issuer !== config.idp.issuer) {
    throw new TrialStepError(
      'idp.issuer',
      `tenant ${tenant} already signs in at ${profile.sso.issuer}; use a fresh data directory`,
    );
  }
  if (!profile.sso) {
    try {
      await local.client.call('tenants.profile.update', wanted, on);
    } catch (error) {
      throw new TrialStepError('tenant', `the tenant record could not be written: ${(error as Error).message}`);
    }
  }

  // 2. The four roles sign in at the IdP (or all of them are the local evaluator).
  const people: Person[] = [];
  if (config.idp) {
    const idp = config.idp;
    const signIn = async (role: (typeof requiredTrialRoles)[number]) => {
      const login = idp.users[role].login;
      say(`[2/9] Signing in the ${role.replace('_', ' ')} (${login}) at ${idp.issuer}`);
      let session: SignedIn;
      try {
        session = await oidcLogin(
          core,
          tenant,
          io,
          idp.sign_in_command ? headlessSignIn(idp.sign_in_command, login, io.env) : false,
        );
      } catch (error) {
        throw new TrialStepError(`idp.users.${role}`, `${login} could not sign in: ${(error as Error).message}`);
      }
      if (!session.roles.includes(role)) {
        throw new TrialStepError(
          `idp.users.${role}`,
          `${login} signed in with roles [${session.roles.join(', ')}], not ${role}: check idp.role_mappings and the user's groups`,
        );
      }
      return person(role, session);
    };
    if (idp.sign_in_command) {
      // A headless browser: the four sign in at once, each through its own callback and IdP session.
      people.push(...(await Promise.all(requiredTrialRoles.map(signIn))));
    } else {
      // A person at a browser: one URL at a time.
      for (const role of requiredTrialRoles) people.push(await signIn(role));
    }
    // Later CLI commands act as the evaluator.
    const evaluator = people[0] as Person;
    if (evaluator.principal.session) rememberSession(home, tenant, evaluator.principal.session);
  } else {
    say('[2/9] No idp in the configuration: every role is the local evaluation identity (production never accepts it)');
  }
  const holder = (role: Role, step: string): Person => {
    const found = people.find((p) => p.roles.includes(role)) ?? (config.idp ? undefined : local);
    if (!found) {
      throw new TrialStepError(
        step,
        `none of the four signed-in users holds the ${role} role it needs: add it in idp.role_mappings`,
      );
    }
    return found;
  };
  const evaluator = people.find((p) => p.role === 'evaluator') ?? local;
  const reviewer = people.find((p) => p.role === 'security_reviewer') ?? local;

  // License (before any Enterprise workflow).
  const admin = holder('tenant_admin', 'license');
  say(`[1/9] Importing the license as ${admin.principal.displayName}`);
  let entitlement;
  try {
    entitlement = await admin.client.call('license.import', { document: loaded.licenseText }, on);
    if (loaded.revocationsText !== null) {
      entitlement = await admin.client.call('license.revocations.import', { document: loaded.revocationsText }, on);
    }
  } catch (error) {
    throw new TrialStepError('license', (error as Error).message);
  }
  if (entitlement.status !== 'active' && entitlement.status !== 'trial') {
    say(`License ${entitlement.status}: ${entitlement.reason}`);
    return {
      ready: false,
      packetDir: null,
      closeoutDir: null,
      blockers: [{ validator: 'license', message: `License ${entitlement.status}: ${entitlement.reason}` }],
      steps: (await evaluator.client.call('trial.status', {}, on)).steps,
    };
  }

  // 3. The pack on the evaluation repository; the workflow's MCP server trusted by a reviewer.
  const operator = holder('operator', 'repository');
  say(`[3/9] Attaching ${config.pack} to repository ${config.repository}`);
  try {
    await operator.client.call('policy.assign', { packId: config.pack, repository: config.repository }, on);
  } catch (error) {
    throw new TrialStepError('pack', (error as Error).message);
  }
  await holder('security_reviewer', 'idp.role_mappings').client.call(
    'mcp.trust.set',
    { server: TRIAL_MCP_SERVER, tools: ['read_text_file', 'list_directory'] },
    on,
  );

  // The SMTP connector: saved, its password in the keychain, a real test message sent.
  const smtp = config.smtp;
  const connectorAdmin = holder('operator', 'smtp');
  say(`[7/9] SMTP connector ${config.connector_id} → ${smtp.host}:${smtp.port}`);
  try {
    await connectorAdmin.client.call(
      'connectors.save',
      {
        id: config.connector_id,
        name: 'Trial mail relay',
        kind: 'smtp',
        settings: {
          host: smtp.host,
          port: smtp.port,
          security: smtp.security,
          from: smtp.from,
          ...(smtp.username ? { username: smtp.username } : {}),
          ...(loaded.caText ? { ca: loaded.caText } : {}),
          ...(smtp.timeout_seconds ? { timeoutSeconds: smtp.timeout_seconds } : {}),
        },
      },
      on,
    );
    if (loaded.smtpPassword !== null) {
      await connectorAdmin.client.call(
        'connectors.secret.set',
        { id: config.connector_id, value: loaded.smtpPassword },
        on,
      );
    }
  } catch (error) {
    throw new TrialStepError('smtp', (error as Error).message);
  }
  const recipients = config.report_recipients.map((r) => r.email);
  const tested = await connectorAdmin.client.call(
    'connectors.test',
    { id: config.connector_id, to: recipients[0] },
    on,
  );
  say(
    `      connector test: ${tested.ok ? 'accepted' : 'FAILED'} (${[tested.code, tested.text].filter(Boolean).join(' ')})`,
  );

  // 7. The executive report to the recipient group, through the outbox; the first attempt's outcome is awaited.
  const compliance = holder('tenant_admin', 'report_recipients');
  const domains = [...new Set(recipients.map((r) => r.split('@')[1]?.toLowerCase() ?? ''))].filter(Boolean);
  await compliance.client.call(
    'reports.settings.set',
    {
      redaction: { commandArguments: true, pathPrefixes: [], actorEmails: false },
      allowedDomains: domains,
      recipients,
      reportConnector: config.connector_id,
      escalation: null,
    },
    on,
  );

  // 4 and 5. The governed workflow; the security reviewer answers its approval.
  if (config.workflow.mode === 'governed') {
    say('[4/9] Governed workflow: a scripted agent session through the real adapters');
    const started = new Date().toISOString();
    const { jobId } = await evaluator.client.call('trial.workflow.run', {}, on);
    const decided = new Set<string>();
    let lastPhase = '';
    const { result } = await awaitJob<WorkflowRun>(evaluator.client, tenant, jobId, async (job) => {
      if (job.progress.phase !== lastPhase) {
        lastPhase = job.progress.phase;
        say(`      ${lastPhase}`);
      }
      if (!/approval apr_/.test(job.progress.phase)) return;
      const { requests } = await reviewer.client.call('approvals.list', {}, on);
      for (const request of requests) {
        if (request.state !== 'pending' || request.adapter !== 'exec' || request.createdAt < started) continue;
        if (decided.has(request.id)) continue;
        try {
          // The reviewer runs as the agent's OS user here: the verdict needs a fresh IdP sign-in
          // (step-up), which the headless browser completes as the reviewer.
          const login = config.idp?.users.security_reviewer.login;
          await giveVerdict(
            reviewer.client,
            io,
            tenant,
            { id: request.id, verdict: 'approve', reason: 'Trial: the governed workflow asks for one reviewed action' },
            config.idp?.sign_in_command && login ? headlessSignIn(config.idp.sign_in_command, login, io.env) : false,
          );
          decided.add(request.id);
          say(`      ${reviewer.principal.displayName} approved ${request.id}`);
        } catch {
          // Listed a moment before its record committed; the next poll decides it.
        }
      }
    });
    for (const step of result.steps) {
      say(
        `      ${step.outcome === 'as_expected' ? 'ok ' : 'NOT'} ${step.title}: ${step.observed.join(' then ') || 'no decision'}`,
      );
    }
  } else {
    say('[4/9] Simulated workflow: the same actions judged by policy.evaluate only (no adapter intercepted anything)');
    for (const action of simulatedActions(tenant)) await evaluator.client.call('policy.evaluate', { action }, on);
  }

  say(`[7/9] Delivering the executive report to ${recipients.join(', ')}`);
  const { deliveries } = await compliance.client.call('reports.deliver', { kind: 'executive', recipients }, on);
  const ids = new Set(deliveries.map((d) => d.id));
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  for (;;) {
    const listed = (await compliance.client.call('deliveries.list', {}, on)).deliveries.filter((d) => ids.has(d.id));
    const settled = listed.filter((d) => d.state === 'delivered' || d.history.length > 0);
    if (settled.length === ids.size || Date.now() > deadline) {
      for (const d of listed)
        say(`      ${d.id}: ${d.state}${d.history.length > 0 ? ` after ${d.history.length} attempt(s)` : ''}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  // 6. AISPM ingests the evidence (the live ingestion and lag validators read it).
  say('[6/9] AISPM ingestion');
  try {
    await evaluator.client.call('aispm.status', {}, on);
  } catch (error) {
    say(`      AISPM ingestion failed: ${(error as Error).message}`);
  }

  // 8. The production gate and the signed packet.
  say('[8/9] Production gate and readiness packet');
  const exporter =
    evaluator.roles.includes('evaluator') || !config.idp ? evaluator : holder('security_reviewer', 'packet');
  const { jobId: exportJob } = await exporter.client.call('readiness.packet.export', {}, on);
  const { result: packet } = await awaitJob<PacketExportResult>(exporter.client, tenant, exportJob);
  say(`      ${packet.dir}: ready_for_aispm_production ${packet.readyForAispmProduction}`);

  // 9. Closeout: the pilot decision, feedback, package access and the license's fate, signed.
  let closeoutDir: string | null = null;
  if (config.closeout) {
    say(`[9/9] Closeout: pilot decision ${config.closeout.pilot_decision}`);
    const closer = holder('tenant_admin', 'closeout');
    const { jobId: closeJob } = await closer.client.call(
      'trial.closeout',
      {
        pilotDecision: config.closeout.pilot_decision,
        feedback: config.closeout.feedback,
        packageAccess: config.closeout.package_access,
        license: config.closeout.license,
      },
      on,
    );
    const { result: closed } = await awaitJob<CloseoutResult>(closer.client, tenant, closeJob);
    closeoutDir = closed.dir;
    say(`      ${closed.dir}: license ${closed.license.outcome}`);
  } else {
    say('[9/9] No closeout in the configuration: the trial stays open (step 9 incomplete)');
  }
  const status = await evaluator.client.call('trial.status', {}, on);
  return {
    ready: packet.readyForAispmProduction,
    packetDir: packet.dir,
    closeoutDir,
    blockers: packet.blockers,
    steps: status.steps,
  };
}
