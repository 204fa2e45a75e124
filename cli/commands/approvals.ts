import { parseArgs } from 'node:util';
import { ContractError, approvalStateSchema } from '../../core/contract';
import type { ApprovalRequestView, ContractClient } from '../../core/contract';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';
import { browserRedirect } from '../browser-redirect';

/** How long an approve/deny waits for the step-up sign-in to come back from the browser. */
const STEP_UP_WAIT_MS = 5 * 60_000;

function describe(request: ApprovalRequestView): string[] {
  const decided = request.decidedBy
    ? [
        `  Decided:   ${request.state} by ${request.decidedBy} at ${request.decidedAt}${request.decisionReason ? ` — ${request.decisionReason}` : ''}`,
      ]
    : [];
  const route = [
    request.approverGroups && request.approverGroups.length > 0
      ? `approvers ${request.approverGroups.join(', ')}`
      : null,
    request.requiredApprovals && request.requiredApprovals > 1
      ? `${request.requiredApprovals} distinct approvers`
      : null,
    request.attest === 'idp' ? 'IdP-attested (fresh sign-in per verdict)' : null,
    request.allowReuse
      ? 'APPROVE FOR RETRY (an approval after the agent stopped waiting allows one identical retry)'
      : null,
  ].filter((part): part is string => part !== null);
  const votes = (request.votes ?? []).map(
    (vote) =>
      `  Verdict:   ${vote.verdict} by ${vote.byDisplayName ?? vote.by} at ${vote.at}${vote.reason ? ` — ${vote.reason}` : ''}${
        vote.attestation
          ? ` [IdP ${vote.attestation.issuer} authenticated ${vote.attestation.name ?? vote.attestation.subject} at ${vote.attestation.authTime}]`
          : ''
      }`,
  );
  const waiting = request.waitUntil ? ` (the agent waits until ${request.waitUntil})` : '';
  return [
    `${request.id}  ${request.state}`,
    `  Action:    ${request.actionType} ${request.target}`,
    `  Why:       ${request.reason}`,
    `  Rule:      ${request.ruleId ?? '(default)'}  route ${request.route}`,
    ...(route.length > 0 ? [`  Route:     ${route.join('; ')}`] : []),
    `  Requester: ${request.requester ?? '(unknown)'}  agent ${request.agent ? `${request.agent.id}${request.agent.session ? ` session ${request.agent.session}` : ''}` : '(unknown)'}${request.agentPrincipal ? ` (${request.agentPrincipal})` : ''} via ${request.adapter}`,
    `  Created:   ${request.createdAt}  decide by ${request.effectiveExpiresAt ?? request.expiresAt}${waiting}`,
    `  Bound to:  sha256 ${request.actionSha256} ${request.packId ? `${request.packId}@${request.packVersion}` : '(no pack)'}`,
    ...votes,
    ...decided,
    ...(request.breakGlass
      ? [
          `  BREAK-GLASS by ${request.breakGlass.by}: ${request.breakGlass.justification} (usable until ${request.breakGlass.validUntil})`,
        ]
      : []),
    ...(request.consumedAt ? [`  Used:      ${request.consumedAt}`] : []),
    ...(request.selfApproved
      ? ['  SELF-APPROVED: the local evaluation identity approved an agent of its own OS user (a readiness blocker)']
      : []),
  ];
}

const common = { tenant: { type: 'string' }, json: { type: 'boolean' } } as const;

function oneId(positionals: string[]): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError('give exactly one approval request id');
  return positionals[0];
}

export const approvalsList: Command = {
  name: 'approvals list',
  summary: 'List approval requests (the pending ones unless --state says otherwise)',
  usage: `cavra approvals list [--tenant T] [--state ${approvalStateSchema.options.join(',')}] [--json]`,
  async run(args, io) {
    const { values } = parseArgs({ args, options: { ...common, state: { type: 'string' } }, strict: true });
    const states =
      values.state === undefined
        ? ['pending' as const]
        : values.state.split(',').map((state) => {
            const parsed = approvalStateSchema.safeParse(state.trim());
            if (!parsed.success) throw new UsageError(`--state: "${state}" is not an approval state`);
            return parsed.data;
          });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { requests } = await client.call('approvals.list', { states }, { tenant });
      if (values.json) {
        io.stdout(jsonText(requests));
        return 0;
      }
      if (requests.length === 0) io.stdout(`No ${states.join('/')} approval requests in ${tenant}.\n`);
      for (const request of requests) io.stdout(`${describe(request).join('\n')}\n\n`);
      return 0;
    });
  },
};

export const approvalsShow: Command = {
  name: 'approvals show',
  summary: 'Show one approval request with the exact action it is bound to',
  usage: 'cavra approvals show <id> [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true, strict: true });
    const id = oneId(positionals);
    return withTenant(io, values.tenant, async (client, tenant) => {
      const request = await client.call('approvals.get', { id }, { tenant });
      io.stdout(
        values.json
          ? jsonText(request)
          : `${describe(request).join('\n')}\n  Exact action:\n${JSON.stringify(request.action, null, 2).replace(/^/gm, '    ')}\n`,
      );
      return 0;
    });
  },
};

/**
 * A verdict through the contract. On an attested route (or when you run as the agent's OS
 * user) the core asks for a step-up: a fresh IdP sign-in in the browser whose nonce commits to
 * this verdict, after which the verdict is given with the IdP's signed proof.
 */
export async function giveVerdict(
  client: ContractClient,
  io: CliIO,
  tenant: string,
  input: { id: string; verdict: 'approve' | 'deny'; reason?: string },
  browser: boolean | ((authorizationUrl: string) => Promise<void>),
): Promise<ApprovalRequestView> {
  try {
    return await client.call('approvals.decide', input, { tenant });
  } catch (error) {
    // The core's typed answer, never its wording: only `step_up_required` opens the browser.
    if (!(error instanceof ContractError) || error.code !== 'step_up_required') throw error;
  }
  let given: ApprovalRequestView | null = null;
  let flowId = '';
  const attested = await browserRedirect(io, {
    browser,
    waitMs: STEP_UP_WAIT_MS,
    purpose: `confirm "${input.verdict}" on ${input.id} with a fresh sign-in`,
    done: {
      title: 'Verdict recorded',
      text: `Your ${input.verdict} of ${input.id} is recorded. You can close this window.`,
    },
    begin: async (redirectUri) => {
      const answer = await client.call('approvals.decide', { ...input, redirectUri }, { tenant });
      if (!answer.stepUp) {
        given = answer;
        throw new ContractError('conflict', 'no step-up was needed');
      }
      flowId = answer.stepUp.flowId;
      return answer.stepUp;
    },
    complete: (callbackUrl) => client.call('approvals.attest', { flowId, callbackUrl }, { tenant }),
  }).catch((error: unknown) => {
    if (given) return given;
    throw error;
  });
  return attested;
}

function decideCommand(verdict: 'approve' | 'deny'): Command {
  return {
    name: `approvals ${verdict}`,
    summary:
      verdict === 'approve'
        ? 'Approve a pending request (allows that exact action once; not your own request; attested routes open the browser)'
        : 'Deny a pending request (a reason is required; attested routes open the browser)',
    usage: `cavra approvals ${verdict} <id> ${verdict === 'deny' ? '--reason TEXT' : '[--reason TEXT]'} [--tenant T] [--no-browser] [--json]`,
    async run(args: string[], io: CliIO) {
      const { values, positionals } = parseArgs({
        args,
        options: { ...common, reason: { type: 'string' }, 'no-browser': { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      });
      const id = oneId(positionals);
      if (verdict === 'deny' && !values.reason?.trim()) throw new UsageError('--reason is required to deny');
      return withTenant(io, values.tenant, async (client, tenant) => {
        const request = await giveVerdict(
          client,
          io,
          tenant,
          { id, verdict, ...(values.reason ? { reason: values.reason } : {}) },
          !values['no-browser'],
        );
        io.stdout(
          values.json
            ? jsonText(request)
            : request.state === 'pending'
              ? `${request.id}: your ${verdict} is recorded; ${request.votes?.filter((v) => v.verdict === 'approve').length ?? 0} of ${request.requiredApprovals ?? 1} approvals given.\n`
              : `${request.id} is ${request.state} (recorded in the evidence ledger).\n`,
        );
        return 0;
      });
    },
  };
}

export const approvalsApprove = decideCommand('approve');
export const approvalsDeny = decideCommand('deny');

export const approvalsCancel: Command = {
  name: 'approvals cancel',
  summary: 'Withdraw a pending request (a reason is required); the waiting agent is told deny',
  usage: 'cavra approvals cancel <id> --reason TEXT [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...common, reason: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const id = oneId(positionals);
    if (!values.reason?.trim()) throw new UsageError('--reason is required to cancel');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const request = await client.call('approvals.cancel', { id, reason: values.reason as string }, { tenant });
      io.stdout(
        values.json ? jsonText(request) : `${request.id} is ${request.state} (recorded in the evidence ledger).\n`,
      );
      return 0;
    });
  },
};
