import type { Decision } from '../contract';
import type { DecisionPayload } from '../contract';

/** Where a decision came from, as far as the writer knows it. */
export interface DecisionSource {
  /** The gate adapter (`claude-code`, `mcp-proxy`, `git`, `exec`, `socket`, `http`, …) or `policy.evaluate`. */
  adapter: string;
  agent?: { id: string; session?: string } | null;
  /**
   * The human behind the agent as the gate verified it (the socket peer's OS user, or the
   * adapter credential's registered owner). Recorded as `actor`, `actor_uid`, `actor_verified_by`.
   */
  verifiedActor?: { uid: number; name: string; verifiedBy: 'peer_credentials' | 'install_owner' };
  /**
   * The actor the caller asserted. From an agent it is only a claim (`claimed_actor`); from
   * `policy.evaluate`, which has no verified actor, it is the record's `actor`.
   */
  actor?: string;
  repository?: string;
  cwd?: string;
  /** A contained command: the profile it runs in (its digest), or judgement only. */
  containment?: DecisionPayload['containment'];
}

/**
 * The payload of a `decision` record: the one builder every writer uses, so the gate and
 * `policy.evaluate` record the same shape (record-types.ts refuses any other). The
 * correlation id lives in the Decision only; the action's content, file contents and MCP
 * arguments are never part of it.
 */
export function decisionRecord(decision: Decision, source: DecisionSource): DecisionPayload {
  const agent = source.agent
    ? { id: source.agent.id, ...(source.agent.session !== undefined ? { session: source.agent.session } : {}) }
    : undefined;
  return {
    decision,
    adapter: source.adapter,
    ...(agent ? { agent } : {}),
    ...(source.verifiedActor
      ? {
          actor: `os:${source.verifiedActor.name}`,
          actor_uid: source.verifiedActor.uid,
          actor_verified_by: source.verifiedActor.verifiedBy,
          ...(source.actor !== undefined ? { claimed_actor: source.actor } : {}),
        }
      : source.actor !== undefined
        ? { actor: source.actor }
        : {}),
    ...(source.repository !== undefined ? { repository: source.repository } : {}),
    ...(source.cwd !== undefined ? { cwd: source.cwd } : {}),
    ...(source.containment !== undefined ? { containment: source.containment } : {}),
  };
}
