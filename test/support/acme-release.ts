import crypto from 'node:crypto';
import { approvalBinding } from '../../core/approvals';
import type { Action } from '../../core/contract';

/**
 * The ACME tenant the shared-state tests create on every replica: one release rule that a
 * secops reviewer approves, and the people of its test IdP (alice in secops, rita an admin).
 */
export const ACME_RELEASE_PACK = `id: acme-release
version: 1.0.0
description: ACME release rules
approval_routes:
  secops:
    approvers: [secops]
    required_approvals: 1
    expires_after: 2h
    attest: none
rules:
  - { id: release.publish, commands: [frobpublish], decision: require_approval, severity: high, reason: a release needs a reviewer, approval_route: secops }
tests:
  - { name: publish asks, action: { type: execute_command, command: frobpublish }, expect: require_approval }
`;

export const ACME_PEOPLE = {
  alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops'] },
  rita: { name: 'Rita Admin', email: 'rita@acme.example', groups: ['admins'] },
};

/**
 * The body of `/v1/machines/approvals/open` as a connected gate sends it for `command`, naming
 * the rule and route its own decision named (pack acme-release 1.0.0); `extra` adds fields.
 */
export function machineApprovalRequest(
  tenant: string,
  command: string,
  ruleId: string | null,
  route: string,
  extra: Record<string, unknown> = {},
) {
  const action: Action = { type: 'execute_command', command, cwd: '/home/dev/app' };
  return {
    id: `apr_${crypto.randomUUID()}`,
    binding: approvalBinding(action, tenant, { id: 'acme-release', version: '1.0.0' }),
    route,
    ruleId,
    reason: 'asked by the gate',
    requester: 'os:dev',
    agent: { id: 'claude-code', session: 's1' },
    adapter: 'claude-code',
    correlationId: `cor_${crypto.randomUUID()}`,
    decisionId: `dec_${crypto.randomUUID()}`,
    actionType: 'execute_command',
    target: command,
    action,
    ...extra,
  };
}
