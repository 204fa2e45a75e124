import { parseArgs } from 'node:util';
import { approvalStateSchema } from '../../core/contract';
import type { ApprovalRequestView } from '../../core/contract';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

function describe(request: ApprovalRequestView): string[] {
  const decided = request.decidedBy
    ? [
        `  Decided:   ${request.state} by ${request.decidedBy} at ${request.decidedAt}${request.decisionReason ? ` — ${request.decisionReason}` : ''}`,
      ]
    : [];
  return [
    `${request.id}  ${request.state}`,
    `  Action:    ${request.actionType} ${request.target}`,
    `  Why:       ${request.reason}`,
    `  Rule:      ${request.ruleId ?? '(default)'}  route ${request.route}`,
    `  Requester: ${request.requester ?? '(unknown)'}  agent ${request.agent ? `${request.agent.id}${request.agent.session ? ` session ${request.agent.session}` : ''}` : '(unknown)'} via ${request.adapter}`,
    `  Created:   ${request.createdAt}  expires ${request.expiresAt}`,
    `  Bound to:  sha256 ${request.actionSha256} ${request.packId ? `${request.packId}@${request.packVersion}` : '(no pack)'}`,
    ...decided,
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
  usage: 'cavra approvals list [--tenant T] [--state pending,approved,denied,expired,cancelled] [--json]',
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

function decideCommand(verdict: 'approve' | 'deny'): Command {
  return {
    name: `approvals ${verdict}`,
    summary:
      verdict === 'approve'
        ? 'Approve a pending request (allows that exact action once; not your own request)'
        : 'Deny a pending request (a reason is required)',
    usage: `cavra approvals ${verdict} <id> ${verdict === 'deny' ? '--reason TEXT' : '[--reason TEXT]'} [--tenant T] [--json]`,
    async run(args: string[], io: CliIO) {
      const { values, positionals } = parseArgs({
        args,
        options: { ...common, reason: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const id = oneId(positionals);
      if (verdict === 'deny' && !values.reason?.trim()) throw new UsageError('--reason is required to deny');
      return withTenant(io, values.tenant, async (client, tenant) => {
        const request = await client.call(
          'approvals.decide',
          { id, verdict, ...(values.reason ? { reason: values.reason } : {}) },
          { tenant },
        );
        io.stdout(
          values.json ? jsonText(request) : `${request.id} is ${request.state} (recorded in the evidence ledger).\n`,
        );
        return 0;
      });
    },
  };
}

export const approvalsApprove = decideCommand('approve');
export const approvalsDeny = decideCommand('deny');
