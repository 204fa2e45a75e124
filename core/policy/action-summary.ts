import type { ActionSummary } from '../contract';
import type { NormalizedAction } from '../normalize/types';
import { commandText, gitText, mcpText, pathText, type RuleMatch } from './evaluate';

/*
 * Bounds keep a decision record small whatever the agent sent; the full action stays with
 * the adapter and, for approvals, in the request. `truncated` says something was left out.
 */
const MAX_PARTS = 32;
const MAX_ARGS = 64;
const MAX_TEXT = 512;

type PartRule = ActionSummary['commands'][number]['rules'][number];

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/**
 * The action in words for the decision record (contract actionSummarySchema): the parts the
 * normalizer found, each with the rules that matched it. A rule matched a part when the
 * evaluator recorded that part's text (evaluate.ts names each subject with these same text
 * functions), so the summary never re-judges anything.
 */
export function summarizeAction(normalized: NormalizedAction, matches: readonly RuleMatch[]): ActionSummary {
  let truncated = false;
  // One pass over the matches, filed by the part they matched: an action with hundreds of
  // files (a recursive walk) would otherwise scan every match once per part.
  const byText = new Map<string, PartRule[]>();
  for (const match of matches) {
    const ref = `${match.rule.pack.id}/${match.rule.id}`;
    let rules = byText.get(match.matched);
    if (rules === undefined) byText.set(match.matched, (rules = []));
    if (!rules.some((rule) => rule.rule === ref))
      rules.push({ rule: ref, decision: match.rule.decision, mode: match.rule.pack.mode });
  }
  const rulesFor = (text: string): PartRule[] => [...(byText.get(text) ?? [])];
  const bounded = <T>(items: readonly T[], limit = MAX_PARTS): readonly T[] => {
    if (items.length <= limit) return items;
    truncated = true;
    return items.slice(0, limit);
  };
  const commands = bounded(normalized.commands).map((command) => ({
    program: cut(command.program),
    args: bounded(command.args, MAX_ARGS).map(cut),
    wrappers: bounded(command.wrappers, MAX_ARGS).map(cut),
    depth: command.depth,
    dynamic: command.dynamic,
    rules: rulesFor(commandText(command)),
  }));
  const files = bounded(normalized.paths).map((path) => ({
    path: cut(pathText(path)),
    access: path.access,
    outside_workspace: path.outsideWorkspace,
    via: path.via === null ? null : cut(path.via),
    rules: rulesFor(pathText(path)),
  }));
  const git = bounded(normalized.git).map((invocation) => ({
    subcommand: cut(invocation.subcommand),
    remote: invocation.push?.remote == null ? null : cut(invocation.push.remote),
    refs: bounded(invocation.push?.refs ?? []).map((ref) => ({
      src: ref.src === null ? null : cut(ref.src),
      dst: cut(ref.dst),
      force: ref.force,
      delete: ref.delete,
    })),
    force: invocation.push?.hardForce === true,
    force_with_lease: invocation.push?.forceWithLease === true,
    rules: rulesFor(gitText(invocation)),
  }));
  const mcp = normalized.mcp
    ? {
        server: cut(normalized.mcp.server),
        tool: cut(normalized.mcp.tool),
        argument_names: bounded(Object.keys(normalized.mcp.arguments), MAX_ARGS).map(cut),
        rules: rulesFor(mcpText(normalized.mcp)),
      }
    : null;
  const problems = bounded(normalized.problems).map((problem) => cut(`${problem.code}: ${problem.message}`));
  return { commands, files, git, mcp, problems, truncated };
}
