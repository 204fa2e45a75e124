import crypto from 'node:crypto';
import type { Action } from '../contract';
import { canonicalize } from '../evidence';

/**
 * What an approval is bound to (SPEC §5): the exact action, the pack that asked for the
 * approval (id and version) and the tenant. The action is taken as the agent asked for it,
 * without what differs between two attempts at the same thing (the correlation id and the
 * agent's session), so that a retry of an approved action finds its approval.
 */
export interface ApprovalBinding {
  tenant: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the action's bound fields. */
  actionSha256: string;
  packId: string | null;
  packVersion: string | null;
}

function boundAction(action: Action, tenant: string): Record<string, unknown> {
  return {
    type: action.type,
    tenant,
    actor: action.actor,
    agent: action.agent?.id,
    repository: action.repository,
    cwd: action.cwd,
    command: action.command,
    path: action.path,
    content: action.content,
    git: action.git,
    mcp: action.mcp,
  };
}

export function approvalBinding(
  action: Action,
  tenant: string,
  pack: { id: string; version: string } | null,
): ApprovalBinding {
  const digest = crypto
    .createHash('sha256')
    .update(canonicalize(boundAction(action, tenant)), 'utf8')
    .digest('hex');
  return { tenant, actionSha256: digest, packId: pack?.id ?? null, packVersion: pack?.version ?? null };
}
