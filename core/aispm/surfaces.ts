import type { ActionType, ControlSurface } from '../contract';

/**
 * Which control surface a decision is evidence for. The rule that decided says it best
 * (rule ids are namespaced by what they protect), then the pack, then the kind of action.
 * Imported packs whose rule ids follow no namespace fall back to the action type.
 */
const BY_RULE_PREFIX: readonly (readonly [string, ControlSurface])[] = [
  ['secrets.', 'secrets'],
  ['iac.', 'infrastructure'],
  ['k8s.', 'infrastructure'],
  ['iam.', 'infrastructure'],
  ['cloud.', 'infrastructure'],
  ['infra.', 'infrastructure'],
  ['cicd.', 'cicd'],
  ['git.', 'source_control'],
  ['forge.', 'source_control'],
  ['gh.', 'source_control'],
  ['mcp.', 'mcp_tools'],
];

const BY_PACK: Readonly<Record<string, ControlSurface>> = {
  'cavra-secrets': 'secrets',
  'cavra-infrastructure': 'infrastructure',
  'cavra-source-control': 'source_control',
  'cavra-cicd': 'cicd',
  'cavra-mcp-trust': 'mcp_tools',
};

/** Claude Code tools no action type describes are recorded as `claude-code/<tool>`: the agent's own runtime. */
const AGENT_BUILTIN_PREFIX = 'claude-code/';

export function surfaceOf(
  rule: { pack_id: string; rule_id: string } | null,
  action: { action_type: ActionType; target: string },
): ControlSurface {
  if (rule) {
    const byRule = BY_RULE_PREFIX.find(([prefix]) => rule.rule_id.startsWith(prefix));
    if (byRule) return byRule[1];
    const byPack = BY_PACK[rule.pack_id];
    if (byPack) return byPack;
  }
  switch (action.action_type) {
    case 'git_operation':
      return 'source_control';
    case 'mcp_tool_call':
      return action.target.startsWith(AGENT_BUILTIN_PREFIX) ? 'runtime_commands' : 'mcp_tools';
    default:
      return 'runtime_commands';
  }
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * How long a surface may go without fresh evidence before that is a finding (stale
 * evidence, SPEC §9). Agents run commands all day; infrastructure and CI changes are rarer,
 * so their windows are longer.
 */
export const FRESHNESS_WINDOW_MS: Readonly<Record<ControlSurface, number>> = {
  runtime_commands: DAY,
  secrets: 7 * DAY,
  source_control: 7 * DAY,
  mcp_tools: 7 * DAY,
  infrastructure: 14 * DAY,
  cicd: 14 * DAY,
};
