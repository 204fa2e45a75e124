import type { DecisionKind, Severity } from '../contract';
import type { GitInvocation, McpCall, NormalizedAction, NormalizedPath, SimpleCommand } from '../normalize/types';
import { matchCommandPattern, PROGRAM_PREFIX_LENGTH } from './command-pattern';
import type { CompiledGit, CompiledRule, DefaultOutcome, PackMeta } from './compile';
import { decisionRank, READ_BIT, severityRank, spanBits, WRITE_BIT } from './compile';
import { PREFIX_KEY_LENGTH } from './glob';
import type { PathGlob } from './glob';
import { codeSources } from './interpreters';
import type { CommandEntry, GitBucket, PathEntry, PolicyIndex } from './policy-index';
import { containedIndex } from './policy-index';
import { gitConfigWrittenKey, programKey, SHARED_ENTRY_MEMO } from '../normalize';
import type { SharedEntryMemo } from '../normalize';

interface EvaluationOptions {
  /** The tenant's MCP trust list (lowercase server names), filled by the MCP trust service. */
  trustedMcpServers?: ReadonlySet<string>;
}

export interface RuleMatch {
  rule: CompiledRule;
  /** The command, path, git invocation or tool call that matched. */
  matched: string;
}

type VerdictBasis = 'rule' | 'default' | 'no_pack' | 'normalization';

/** What the packs say about one normalized action, before ids and timestamps are attached. */
export interface Verdict {
  /** From enforcing packs, defaults and normalization floors: the decision to enforce. */
  decision: DecisionKind;
  /** Were every shadow pack enforcing. Never below `decision`. */
  wouldBe: DecisionKind;
  basis: VerdictBasis;
  winner: RuleMatch | null;
  /** Every rule that matched, enforcing and shadow, most restrictive first. */
  matches: RuleMatch[];
  severity: Severity;
  reason: string;
  /** Pack and route for require_approval, when a rule or a default names one. */
  approvalRoute: { packId: string | null; route: string } | null;
  /** Subjects no enforcing rule matched, which took the default. */
  unmatched: string[];
  /** Why the action cannot be allowed whatever the rules say (normalization problems). */
  floors: string[];
}

let evaluationStamp = 0;

const IMPLICIT_DESTINATIONS = new Set(['HEAD', '@']);

export function commandText(command: SimpleCommand): string {
  return command.text !== '' ? command.text : [command.program, ...command.args].join(' ');
}

export function gitText(git: GitInvocation): string {
  return ['git', git.subcommand, ...git.args].join(' ');
}

export function mcpText(call: McpCall): string {
  return `${call.server}/${call.tool}`;
}

export function pathText(path: NormalizedPath): string {
  return path.relative ?? path.absolute;
}

/** Per-evaluation state, so the matching helpers need no closures. */
interface Scope {
  index: PolicyIndex;
  normalized: NormalizedAction;
  stamp: number;
  matches: RuleMatch[];
  programKeys: string[] | null;
  trusted: ReadonlySet<string> | undefined;
  /** Per subject: whether an enforcing rule matched it. */
  enforced: boolean;
  /** Per command: its CODE_* bits, computed on first need. */
  codeBits: number | null;
  /** Rules matched by the path being judged, collected to remember its verdict; null when not collecting. */
  collected: CompiledRule[] | null;
}

/**
 * Verdicts of the frozen path entries of a walk (shared between actions while the walk holds),
 * kept in the entry's own memo cell: the rules each matched, for the index that judged it. A
 * path entry's verdict depends only on its own fields and the index, and a frozen entry's
 * fields cannot change.
 */
type RememberedPath = NormalizedPath & { readonly [SHARED_ENTRY_MEMO]?: SharedEntryMemo };

function record(scope: Scope, rule: CompiledRule, matched: string): void {
  if (rule.stamp === scope.stamp) return;
  rule.stamp = scope.stamp;
  scope.matches.push({ rule, matched });
}

function programKeys(scope: Scope): string[] {
  scope.programKeys ??= scope.normalized.commands.map((c) => programKey(c.program));
  return scope.programKeys;
}

function commandMatches(
  scope: Scope,
  entry: CommandEntry,
  command: SimpleCommand,
  key: string,
  position: number,
): boolean {
  const rule = entry.rule;
  if (entry.patterns) {
    let any = false;
    for (const pattern of entry.patterns) {
      if (matchCommandPattern(pattern, key, command.args, rule.strict)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (rule.lines) {
    const line = command.args.length === 0 ? key : `${key} ${command.args.join(' ')}`;
    if (!rule.lines.some((glob) => glob(line))) return false;
  }
  if (rule.args && !rule.args(command.args)) return false;
  if (rule.argsNone && rule.argsNone(command.args)) return false;
  if (rule.env && !rule.env(command.assignments)) return false;
  if (rule.wrappers) {
    const wrappers = rule.wrappers;
    const found = command.wrappers.some((wrapper) => {
      const name = programKey(wrapper.split(' ')[0] ?? wrapper);
      return wrappers.some((glob) => glob(name));
    });
    if (!found) return false;
  }
  if (rule.inputFrom) {
    const from = command.inputFrom;
    const matchers = rule.inputFrom;
    if (!from || !from.some((program) => matchers.some((glob) => glob(program) || glob(programKey(program)))))
      return false;
  }
  if (rule.programInWorkspace !== null && rule.programInWorkspace !== (command.programInWorkspace === true))
    return false;
  if (rule.variables) {
    const names = command.variables;
    const matchers = rule.variables;
    if (!names || !names.some((name) => matchers.some((glob) => glob(name)))) return false;
  }
  if (rule.codeFrom !== 0) {
    scope.codeBits ??= codeSources(command, key);
    if ((scope.codeBits & rule.codeFrom) === 0) return false;
  }
  if (rule.alongside) {
    const keys = programKeys(scope);
    const alongside = rule.alongside;
    let found = false;
    for (let i = 0; i < keys.length && !found; i++) {
      if (i !== position && alongside.some((glob) => glob(keys[i] as string))) found = true;
    }
    if (!found) return false;
  }
  return true;
}

// The visit* helpers are module functions rather than closures: the hot path allocates nothing per rule.
function visitCommands(
  scope: Scope,
  entries: readonly CommandEntry[] | undefined,
  command: SimpleCommand,
  key: string,
  position: number,
  text: string,
): void {
  if (!entries) return;
  for (const entry of entries) {
    if (!commandMatches(scope, entry, command, key, position)) continue;
    if (entry.rule.pack.mode === 'enforce') scope.enforced = true;
    record(scope, entry.rule, text);
  }
}

function judgeCommand(scope: Scope, command: SimpleCommand, position: number): boolean {
  const key = programKey(command.program);
  const text = commandText(command);
  scope.enforced = false;
  scope.codeBits = null;
  visitCommands(scope, scope.index.commandsByProgram.get(key), command, key, position, text);
  const prefixes = scope.index.commandsByProgramPrefix;
  if (prefixes.size > 0) {
    for (let k = 1; k <= PROGRAM_PREFIX_LENGTH && k <= key.length; k++) {
      visitCommands(scope, prefixes.get(key.slice(0, k)), command, key, position, text);
    }
  }
  visitCommands(scope, scope.index.commandsAnyProgram, command, key, position, text);
  return scope.enforced;
}

/** The lowercase forms of the path being judged, made once per path for every glob's needle. */
let lowerAbsolute = '';
let lowerRelative: string | null = null;

function globHits(glob: PathGlob, path: NormalizedPath): boolean {
  const needle = glob.needle;
  if (glob.absolute) return (needle === null || lowerAbsolute.includes(needle)) && glob.regex.test(path.absolute);
  if (
    path.relative !== null &&
    (needle === null || (lowerRelative as string).includes(needle)) &&
    glob.regex.test(path.relative)
  )
    return true;
  return (needle === null || lowerAbsolute.includes(needle)) && glob.regex.test(path.absolute);
}

function pathMatches(entry: PathEntry, path: NormalizedPath, bit: number): boolean {
  const rule = entry.rule;
  if ((rule.access & bit) === 0) return false;
  // The user's home behind a contained command's `~` is judged by the rules that name what a
  // home holds, not for lying outside the workspace: the command itself writes the sandbox's.
  if (path.reached === 'home' && !entry.glob && rule.outsideWorkspace !== null) return false;
  if (rule.outsideWorkspace !== null && rule.outsideWorkspace !== path.outsideWorkspace) return false;
  if (rule.spans !== 0 && (path.spans === undefined || (rule.spans & spanBits[path.spans]) === 0)) return false;
  if (entry.glob && !globHits(entry.glob, path)) return false;
  if (rule.exceptGlobs && rule.exceptGlobs.some((glob) => globHits(glob, path))) return false;
  if (rule.via) {
    const via = path.via;
    if (via === null || !rule.via.some((glob) => glob(via) || glob(programKey(via)))) return false;
  }
  return true;
}

function visitPaths(
  scope: Scope,
  entries: readonly PathEntry[] | undefined,
  path: NormalizedPath,
  bit: number,
  text: string,
): void {
  if (!entries) return;
  for (const entry of entries) {
    if (!pathMatches(entry, path, bit)) continue;
    if (entry.rule.pack.mode === 'enforce') scope.enforced = true;
    scope.collected?.push(entry.rule);
    record(scope, entry.rule, text);
  }
}

function judgePath(scope: Scope, path: NormalizedPath): boolean {
  scope.enforced = false;
  const text = pathText(path);
  const memo = path.pattern === true ? undefined : (path as RememberedPath)[SHARED_ENTRY_MEMO];
  if (memo !== undefined) {
    if (memo.owner === scope.index) {
      for (const rule of memo.value as CompiledRule[]) {
        if (rule.pack.mode === 'enforce') scope.enforced = true;
        record(scope, rule, text);
      }
      return scope.enforced;
    }
    scope.collected = [];
  }
  visitPathBuckets(scope, path, text);
  if (path.pattern === true)
    for (const named of patternInstances(scope.index, path)) visitPathBuckets(scope, named, text);
  if (memo !== undefined) {
    memo.value = scope.collected;
    memo.owner = scope.index;
    scope.collected = null;
  }
  return scope.enforced;
}

const GLOB_CHARS = /[*?[]/;
const MAX_PATTERN_INSTANCES = 256;

function segmentRegex(segment: string): RegExp {
  const source = segment
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  try {
    return new RegExp(`^${source}$`, 'i');
  } catch {
    return /^.*$/;
  }
}

/**
 * A glob the shell could not expand (`cat ~/.ss?/id_*` on a machine where nothing matched
 * yet) still names whatever it would match at run time. Each wildcard segment with letters
 * in it is replaced by every file name or directory the rules protect that it could stand
 * for, so `~/.ss?/id_*` is judged as `~/.ssh/id_*` and `~/.ss?/id_rsa`.
 */
function patternInstances(index: PolicyIndex, path: NormalizedPath): NormalizedPath[] {
  const segments = path.absolute.split('/');
  const relative = path.relative?.split('/') ?? null;
  const out: NormalizedPath[] = [];
  segments.forEach((segment, i) => {
    // A bare `*` or `**` says nothing about names (the normalizer expands real globs on disk);
    // a segment with letters in it (`.en*`, `id_*`, `*.pem`) does.
    if (!GLOB_CHARS.test(segment) || /^[*?]+$/.test(segment)) return;
    const regex = segmentRegex(segment);
    const names = i === segments.length - 1 ? index.protectedNames.files : index.protectedNames.directories;
    // As in the shell, a wildcard does not match a leading dot unless the pattern starts with one.
    const dotted = segment.startsWith('.');
    for (const name of names) {
      if (out.length >= MAX_PATTERN_INSTANCES || (!dotted && name.startsWith('.')) || !regex.test(name)) continue;
      const absolute = segments.map((s, j) => (j === i ? name : s)).join('/');
      // The relative form ends with the same segments as the absolute one.
      const fromEnd = segments.length - 1 - i;
      const rel =
        relative && relative.length - 1 - fromEnd >= 0
          ? relative.map((s, j) => (j === relative.length - 1 - fromEnd ? name : s)).join('/')
          : path.relative;
      out.push({ ...path, absolute, relative: rel, pattern: false });
    }
  });
  return out;
}

function visitPathBuckets(scope: Scope, path: NormalizedPath, text: string): void {
  const buckets = scope.index.paths;
  const bit = path.access === 'read' ? READ_BIT : WRITE_BIT;
  const lower = path.absolute.toLowerCase();
  lowerAbsolute = lower;
  lowerRelative = path.relative === null ? null : path.relative.toLowerCase();
  const slash = lower.lastIndexOf('/');
  const base = lower.slice(slash + 1);
  if (buckets.byName.size > 0) visitPaths(scope, buckets.byName.get(base), path, bit, text);
  if (buckets.byExt.size > 0) {
    for (let dot = base.indexOf('.'); dot !== -1; dot = base.indexOf('.', dot + 1))
      visitPaths(scope, buckets.byExt.get(base.slice(dot)), path, bit, text);
  }
  if (buckets.byPrefix.size > 0) {
    for (let k = 1; k <= PREFIX_KEY_LENGTH && k <= base.length; k++)
      visitPaths(scope, buckets.byPrefix.get(base.slice(0, k)), path, bit, text);
  }
  if (buckets.bySegment.size > 0) {
    let start = 0;
    while (start < lower.length) {
      let end = lower.indexOf('/', start);
      if (end === -1) end = lower.length;
      if (end > start) visitPaths(scope, buckets.bySegment.get(lower.slice(start, end)), path, bit, text);
      start = end + 1;
    }
    const relative = path.relative?.toLowerCase();
    if (relative && !lower.endsWith(relative)) {
      for (const segment of relative.split('/'))
        if (segment) visitPaths(scope, buckets.bySegment.get(segment), path, bit, text);
    }
  }
  visitPaths(scope, buckets.any, path, bit, text);
}

function shortRef(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

/** Keys set with `-c`, and the key `git config` writes (reads such as `--get` set nothing). */
function configKeys(git: GitInvocation): string[] {
  const keys = Object.keys(git.config);
  if (git.subcommand !== 'config') return keys;
  const written = gitConfigWrittenKey(git.args);
  if (written !== null) keys.push(written);
  return keys;
}

function agrees(want: boolean | null, actual: boolean): boolean {
  return want === null || want === actual;
}

function gitMatches(condition: CompiledGit, git: GitInvocation, pack: PackMeta): boolean {
  const push = git.push;
  const refs = push?.refs ?? [];
  if (!agrees(condition.force, push !== null && (push.force || push.forceWithLease || refs.some((r) => r.force))))
    return false;
  if (condition.hardForce !== null) {
    // --force-with-lease sets `force` on the push; only -f/--force, +refspec and --mirror force without a lease.
    const hard = push !== null && (push.mirror || push.hardForce === true);
    if (hard !== condition.hardForce) return false;
  }
  if (condition.unknownRemote !== null) {
    // A push sends to its remote; a fetch or pull brings code and objects from its remotes.
    const fetch = git.fetch ?? null;
    const remotes = push !== null ? (push.remote === null ? [] : [push.remote]) : (fetch?.remotes ?? []);
    const unknown =
      (push !== null || fetch !== null) &&
      ((push ?? fetch)?.remoteIsLocation === true ||
        (pack.allowedRemotes !== null && remotes.some((remote) => !pack.allowedRemotes?.some((glob) => glob(remote)))));
    if (unknown !== condition.unknownRemote) return false;
  }
  if (!agrees(condition.delete, push !== null && (push.delete || refs.some((r) => r.delete)))) return false;
  if (!agrees(condition.mirror, push?.mirror === true)) return false;
  if (!agrees(condition.all, push?.all === true)) return false;
  if (!agrees(condition.tags, push?.tags === true)) return false;
  const implicit =
    push !== null &&
    ((refs.length === 0 && !push.all && !push.mirror && !push.tags) ||
      refs.some((r) => IMPLICIT_DESTINATIONS.has(r.dst)));
  if (!agrees(condition.implicitDestination, implicit)) return false;
  if (condition.protectedRef !== null) {
    const hitsProtected =
      push !== null &&
      (push.all ||
        push.mirror ||
        refs.some((r) => {
          if (r.unknown) return true;
          const dst = shortRef(r.dst);
          return pack.protectedBranches.some((branch) => branch(dst));
        }));
    const namedAndUnprotected = push !== null && refs.length > 0 && !hitsProtected && !implicit;
    if (condition.protectedRef ? !hitsProtected : !namedAndUnprotected) return false;
  }
  if (condition.noVerify !== null) {
    const skipped =
      // git takes any unambiguous prefix of a long option: `--no-verif`, `--no-v`.
      git.args.some((a) => a.length >= 6 && '--no-verify'.startsWith(a)) ||
      push?.noVerify === true ||
      (git.subcommand === 'commit' &&
        git.args.some((a) => a === '-n' || (/^-[a-zA-Z]{2,}$/.test(a) && a.includes('n'))));
    if (skipped !== condition.noVerify) return false;
  }
  if (condition.config) {
    const matchers = condition.config;
    if (!configKeys(git).some((key) => matchers.some((glob) => glob(key)))) return false;
  }
  if (condition.refs) {
    const matchers = condition.refs;
    const hit = refs.some((r) => {
      const short = shortRef(r.dst);
      const long = r.dst.startsWith('refs/') ? r.dst : `refs/heads/${r.dst}`;
      return matchers.some((glob) => glob(short) || glob(long));
    });
    if (!hit) return false;
  }
  if (condition.args && !condition.args(git.args)) return false;
  return true;
}

function visitGitBucket(scope: Scope, bucket: GitBucket | undefined, git: GitInvocation, text: string): void {
  if (!bucket) return;
  visitGit(scope, bucket.rest, git, text);
  if (bucket.byRefHead.size === 0) return;
  for (const ref of git.push?.refs ?? []) {
    // Rules naming refs are filed by their first segment; long forms (`refs/…`) all under `refs`.
    const head = shortRef(ref.dst).toLowerCase().split('/')[0] as string;
    visitGit(scope, bucket.byRefHead.get(head), git, text);
    if (head !== 'refs') visitGit(scope, bucket.byRefHead.get('refs'), git, text);
  }
}

function visitGit(scope: Scope, rules: readonly CompiledRule[] | undefined, git: GitInvocation, text: string): void {
  if (!rules) return;
  for (const rule of rules) {
    if (!rule.git || !gitMatches(rule.git, git, rule.pack)) continue;
    if (rule.pack.mode === 'enforce') scope.enforced = true;
    record(scope, rule, text);
  }
}

function judgeGit(scope: Scope, git: GitInvocation): boolean {
  const text = gitText(git);
  scope.enforced = false;
  visitGitBucket(scope, scope.index.gitBySubcommand.get(git.subcommand), git, text);
  visitGitBucket(scope, scope.index.gitAny, git, text);
  return scope.enforced;
}

function judgeMcp(scope: Scope, call: McpCall): boolean {
  const server = call.server.toLowerCase();
  const trusted = scope.index.trustedMcpServers.has(server) || scope.trusted?.has(server) === true;
  const text = mcpText(call);
  scope.enforced = false;
  for (const rules of [scope.index.mcpByServer.get(server), scope.index.mcpAny]) {
    for (const rule of rules ?? []) {
      const condition = rule.mcp;
      if (!condition) continue;
      if (condition.servers && !condition.servers.some((glob) => glob(call.server))) continue;
      if (condition.tools && !condition.tools.some((glob) => glob(call.tool))) continue;
      if (condition.trusted !== null && condition.trusted !== trusted) continue;
      if (rule.pack.mode === 'enforce') scope.enforced = true;
      record(scope, rule, text);
    }
  }
  return scope.enforced;
}

/** Most restrictive first; equal decisions go to the higher severity, then pack id, then rule id. */
function compareMatches(a: RuleMatch, b: RuleMatch): number {
  return (
    b.rule.rank - a.rule.rank ||
    b.rule.severityRank - a.rule.severityRank ||
    (a.rule.pack.id < b.rule.pack.id ? -1 : a.rule.pack.id > b.rule.pack.id ? 1 : 0) ||
    (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0)
  );
}

const DYNAMIC_PROGRAM = /^$|[$`*?[]/;

function floorsOf(normalized: NormalizedAction): string[] {
  const floors = normalized.problems.map((problem) => `${problem.code}: ${problem.message}`);
  for (const command of normalized.commands) {
    if (command.dynamic && DYNAMIC_PROGRAM.test(command.program)) {
      floors.push(`the program of "${commandText(command)}" is only known at run time`);
    }
  }
  return floors;
}

/**
 * Judges every simple command, file, git invocation and MCP call of a normalized action
 * against every rule of the index. The most restrictive outcome wins; file order never matters.
 * Commands, the action's own file, a git_operation and an MCP call that no enforcing rule
 * matches take the default; files and git invocations found inside commands or MCP
 * arguments are extra scrutiny and only count when a rule matches them.
 */
export function evaluate(given: PolicyIndex, normalized: NormalizedAction, options: EvaluationOptions = {}): Verdict {
  // A command that runs inside the tenant's sandbox is judged by what the sandbox leaves it.
  const index = normalized.contained ? containedIndex(given) : given;
  const floors = floorsOf(normalized);
  if (index.packs.length === 0) {
    return {
      decision: 'require_approval',
      wouldBe: 'require_approval',
      basis: 'no_pack',
      winner: null,
      matches: [],
      severity: 'medium',
      reason: 'No policy pack is assigned to this tenant or repository; nothing may run unreviewed',
      approvalRoute: null,
      unmatched: [],
      floors,
    };
  }
  evaluationStamp = (evaluationStamp + 1) % Number.MAX_SAFE_INTEGER || 1;
  const scope: Scope = {
    index,
    normalized,
    stamp: evaluationStamp,
    matches: [],
    programKeys: null,
    trusted: options.trustedMcpServers,
    enforced: false,
    codeBits: null,
    collected: null,
  };
  const unmatched: string[] = [];
  const commands = normalized.commands;
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i] as SimpleCommand;
    if (!judgeCommand(scope, command, i)) unmatched.push(commandText(command));
  }
  let ownPath = false;
  for (const path of normalized.paths) {
    const enforced = judgePath(scope, path);
    if (path.source === 'action') {
      ownPath = true;
      if (!enforced) unmatched.push(pathText(path));
    }
  }
  for (const git of normalized.git) {
    if (!judgeGit(scope, git) && normalized.type === 'git_operation') unmatched.push(gitText(git));
  }
  if (normalized.mcp && !judgeMcp(scope, normalized.mcp)) unmatched.push(mcpText(normalized.mcp));
  const nothingJudged =
    (normalized.type === 'execute_command' && commands.length === 0) ||
    ((normalized.type === 'read_file' || normalized.type === 'write_file') && !ownPath) ||
    (normalized.type === 'git_operation' && normalized.git.length === 0) ||
    (normalized.type === 'mcp_tool_call' && normalized.mcp === null);
  if (nothingJudged && floors.length === 0) unmatched.push(normalized.target);

  const matches = scope.matches.sort(compareMatches);
  const enforcing = matches.find((m) => m.rule.pack.mode === 'enforce') ?? null;
  const shadowTop = matches.find((m) => m.rule.pack.mode === 'shadow') ?? null;

  let decision: DecisionKind = 'allow';
  let basis: VerdictBasis = 'default';
  let winner: RuleMatch | null = null;
  let severity: Severity = 'low';
  let reason = 'Every assigned pack is in shadow mode; nothing is enforced';
  let approvalRoute: Verdict['approvalRoute'] = null;
  const fallback: DefaultOutcome = index.fallback;
  const defaultApplies = unmatched.length > 0 && !index.shadowOnly;

  if (enforcing) {
    decision = enforcing.rule.decision;
    basis = 'rule';
    winner = enforcing;
    severity = enforcing.rule.severity;
    reason = enforcing.rule.reason;
    if (enforcing.rule.approvalRoute)
      approvalRoute = { packId: enforcing.rule.pack.id, route: enforcing.rule.approvalRoute };
  }
  // On a tie the rule wins: it says more about the action than "nothing matched".
  if (defaultApplies && (!enforcing || decisionRank[fallback.decision] > enforcing.rule.rank)) {
    decision = fallback.decision;
    basis = 'default';
    winner = null;
    severity = fallback.severity;
    reason = `${fallback.reason} (nothing matched: ${unmatched.slice(0, 3).join('; ')}${unmatched.length > 3 ? '; …' : ''})`;
    approvalRoute = fallback.approvalRoute ? { packId: fallback.packId, route: fallback.approvalRoute } : null;
  }
  const malformed = normalized.problems.filter((problem) => problem.code === 'malformed');
  const runaway = normalized.problems.filter((problem) => problem.code === 'runaway' || problem.code === 'guard');
  if (malformed.length > 0) {
    // Not a question a reviewer could answer: the action does not say what it would do.
    decision = 'deny';
    basis = 'normalization';
    winner = null;
    severity = severityRank[severity] >= severityRank.high ? severity : 'high';
    reason = `The action is malformed: ${malformed.map((problem) => problem.message).join('; ')}`;
    approvalRoute = null;
  } else if (runaway.length > 0) {
    // Nor are these: processes that multiply without end take the machine down, and an agent
    // reaching CAVRA's own data could turn the guard off, whoever approves.
    decision = 'deny';
    basis = 'normalization';
    winner = null;
    severity = 'critical';
    reason = `The action ${runaway.some((problem) => problem.code === 'guard') ? 'reaches CAVRA itself' : 'starts processes without end'}: ${runaway.map((problem) => problem.message).join('; ')}`;
    approvalRoute = null;
  } else if (floors.length > 0 && decisionRank[decision] < decisionRank.require_approval) {
    decision = 'require_approval';
    basis = 'normalization';
    winner = null;
    severity = severityRank[severity] >= severityRank.high ? severity : 'high';
    reason = `The action could not be fully understood: ${floors.join('; ')}`;
    approvalRoute = null;
  } else if (floors.length > 0 && basis === 'default' && decision === 'require_approval') {
    // Both say require_approval; the normalization problem is the more useful reason.
    basis = 'normalization';
    reason = `The action could not be fully understood: ${floors.join('; ')}`;
  }

  let wouldBe = decision;
  if (shadowTop && shadowTop.rule.rank > decisionRank[wouldBe]) wouldBe = shadowTop.rule.decision;
  if (index.shadowOnly && unmatched.length > 0 && decisionRank[index.shadowFallback.decision] > decisionRank[wouldBe]) {
    wouldBe = index.shadowFallback.decision;
  }
  return { decision, wouldBe, basis, winner, matches, severity, reason, approvalRoute, unmatched, floors };
}
