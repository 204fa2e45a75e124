import { decisionKinds, severities } from '../contract';
import type { ActionType, DecisionKind, EnforcementMode, Severity } from '../contract';
import { compileArgAlternatives, compileArgGroups, compileCommandPattern } from './command-pattern';
import type { ArgsPredicate, CommandPattern } from './command-pattern';
import { compilePathGlob, compileWordGlob, isLiteralGlob } from './glob';
import type { PathGlob, WordMatcher } from './glob';
import { codeSourceBits } from './interpreters';
import type { ApprovalRoute, PackDocument, RuleDocument } from './pack-schema';
import { programKey } from '../normalize';

/** What a rule judges: each simple command, each file, each git invocation, or the MCP call. */
type SubjectKind = 'command' | 'path' | 'git' | 'mcp';

/** Every condition a rule may carry, with the subject it judges. */
const conditionSubjects = {
  commands: 'command',
  command_line: 'command',
  args: 'command',
  args_none: 'command',
  env: 'command',
  wrappers: 'command',
  code_from: 'command',
  alongside: 'command',
  input_from: 'command',
  program_in_workspace: 'command',
  variables: 'command',
  paths: 'path',
  except_paths: 'path',
  access: 'path',
  outside_workspace: 'path',
  via: 'path',
  spans: 'path',
  git: 'git',
  mcp: 'mcp',
} as const satisfies Partial<Record<keyof RuleDocument, SubjectKind>>;

/** In the order rule errors and rule views name them. */
export const conditionKeys = Object.keys(conditionSubjects) as (keyof typeof conditionSubjects)[];

const kindOfAction: Record<ActionType, SubjectKind> = {
  execute_command: 'command',
  read_file: 'path',
  write_file: 'path',
  git_operation: 'git',
  mcp_tool_call: 'mcp',
};

export const spanBits = { workspace: 1, ancestor: 2, sibling: 4, home: 8 } as const;

export const READ_BIT = 1;
export const WRITE_BIT = 2;

export const decisionRank: Record<DecisionKind, number> = Object.fromEntries(
  decisionKinds.map((d, i) => [d, i]),
) as Record<DecisionKind, number>;
export const severityRank: Record<Severity, number> = Object.fromEntries(severities.map((s, i) => [s, i])) as Record<
  Severity,
  number
>;

export class RuleShapeError extends Error {
  constructor(
    message: string,
    /** The rule field to blame, for the error's position. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'RuleShapeError';
  }
}

function actionList(rule: RuleDocument): ActionType[] | null {
  if (rule.action === undefined) return null;
  return Array.isArray(rule.action) ? rule.action : [rule.action];
}

/** The one subject kind a rule's conditions (or, failing those, its action types) refer to. */
export function ruleSubject(rule: RuleDocument): SubjectKind {
  const present: { kind: SubjectKind; field: string }[] = [];
  for (const field of conditionKeys)
    if (rule[field] !== undefined) present.push({ kind: conditionSubjects[field], field });
  const kinds = [...new Set(present.map((p) => p.kind))];
  if (kinds.length > 1) {
    const first = present.find((p) => p.kind === kinds[0]);
    const other = present.find((p) => p.kind === kinds[1]);
    throw new RuleShapeError(
      `mixes ${kinds[0]} conditions (${first?.field}) with ${kinds[1]} conditions (${other?.field}); split it into two rules`,
      other?.field ?? null,
    );
  }
  const actions = actionList(rule);
  const kind = kinds[0] ?? (actions ? kindOfAction[actions[0] as ActionType] : undefined);
  if (kind === undefined) {
    throw new RuleShapeError('has no condition: give commands, paths, git, mcp or at least an action');
  }
  for (const action of actions ?? []) {
    if (kindOfAction[action] !== kind) {
      throw new RuleShapeError(
        `action ${action} cannot match a rule about ${kind === 'path' ? 'files' : `${kind}s`}`,
        'action',
      );
    }
  }
  if (kind === 'path' && actions && rule.access) {
    const wanted = rule.access === 'read' ? 'read_file' : 'write_file';
    if (!actions.includes(wanted))
      throw new RuleShapeError(`access ${rule.access} contradicts action ${actions.join(', ')}`, 'access');
  }
  return kind;
}

export interface CompiledGit {
  subcommands: readonly string[] | null;
  force: boolean | null;
  hardForce: boolean | null;
  unknownRemote: boolean | null;
  protectedRef: boolean | null;
  implicitDestination: boolean | null;
  delete: boolean | null;
  mirror: boolean | null;
  all: boolean | null;
  tags: boolean | null;
  noVerify: boolean | null;
  config: WordMatcher[] | null;
  refs: WordMatcher[] | null;
  /** The ref globs as written, for the index. */
  refGlobs: readonly string[] | null;
  args: ArgsPredicate | null;
}

interface CompiledMcp {
  servers: WordMatcher[] | null;
  /** Literal server names, for the index; null when any server glob is a pattern. */
  serverKeys: string[] | null;
  tools: WordMatcher[] | null;
  trusted: boolean | null;
}

export interface PackMeta {
  id: string;
  version: string;
  mode: EnforcementMode;
  protectedBranches: WordMatcher[];
  /** Remote names pushes may go to; null when the pack names none (then every named remote is accepted). */
  allowedRemotes: WordMatcher[] | null;
}

export interface CompiledRule {
  pack: PackMeta;
  id: string;
  decision: DecisionKind;
  rank: number;
  severity: Severity;
  severityRank: number;
  reason: string;
  approvalRoute: string | null;
  kind: SubjectKind;
  /** Allow and warn rules never guess past an option they do not know. */
  strict: boolean;
  /** For path rules: READ_BIT | WRITE_BIT accesses the rule judges. */
  access: number;
  patterns: CommandPattern[] | null;
  lines: WordMatcher[] | null;
  linePrograms: (string | null)[] | null;
  args: ArgsPredicate | null;
  argsNone: ArgsPredicate | null;
  env: ((assignments: Record<string, string>) => boolean) | null;
  wrappers: WordMatcher[] | null;
  codeFrom: number;
  alongside: WordMatcher[] | null;
  inputFrom: WordMatcher[] | null;
  programInWorkspace: boolean | null;
  variables: WordMatcher[] | null;
  globs: PathGlob[] | null;
  exceptGlobs: PathGlob[] | null;
  outsideWorkspace: boolean | null;
  via: WordMatcher[] | null;
  /** Bits of SPAN_* for the `spans` condition; 0 when absent. */
  spans: number;
  git: CompiledGit | null;
  mcp: CompiledMcp | null;
  /** Evaluation stamp: a rule is recorded once per evaluation however many subjects it matches. */
  stamp: number;
  /** The decision instead when the command runs inside the tenant's sandbox; null when the same. */
  contained: DecisionKind | null;
}

export interface DefaultOutcome {
  decision: DecisionKind;
  severity: Severity;
  reason: string;
  approvalRoute: string | null;
  /** The pack whose defaults these are, or null for the tenant's own default. */
  packId: string | null;
}

export interface CompiledPack {
  meta: PackMeta;
  description: string;
  sha256: string;
  document: PackDocument;
  rules: CompiledRule[];
  defaults: DefaultOutcome | null;
  trustedMcpServers: readonly string[];
  approvalRoutes: Readonly<Record<string, ApprovalRoute>>;
}

const words = (patterns: readonly string[] | undefined, caseInsensitive = true): WordMatcher[] | null =>
  patterns ? patterns.map((p) => compileWordGlob(p, caseInsensitive)) : null;

function compileEnv(patterns: readonly string[]): (assignments: Record<string, string>) => boolean {
  const matchers = patterns.map((pattern) => {
    const eq = pattern.indexOf('=');
    const name = compileWordGlob(eq === -1 ? pattern : pattern.slice(0, eq));
    const value = eq === -1 ? null : compileWordGlob(pattern.slice(eq + 1), true);
    return { name, value };
  });
  return (assignments) => {
    for (const key in assignments) {
      for (const { name, value } of matchers) {
        if (name(key) && (value === null || value(assignments[key] as string))) return true;
      }
    }
    return false;
  };
}

function compileGit(rule: RuleDocument): CompiledGit {
  const git = rule.git ?? {};
  return {
    subcommands: git.subcommand ?? null,
    force: git.force ?? null,
    hardForce: git.hard_force ?? null,
    unknownRemote: git.unknown_remote ?? null,
    protectedRef: git.protected ?? null,
    implicitDestination: git.implicit_destination ?? null,
    delete: git.delete ?? null,
    mirror: git.mirror ?? null,
    all: git.all ?? null,
    tags: git.tags ?? null,
    noVerify: git.no_verify ?? null,
    config: words(git.config),
    refs: words(git.refs, false),
    refGlobs: git.refs ?? null,
    args: git.args ? compileArgGroups(git.args) : null,
  };
}

function compileMcp(rule: RuleDocument): CompiledMcp {
  const mcp = rule.mcp ?? {};
  const servers = mcp.servers;
  return {
    servers: words(servers),
    serverKeys: servers && servers.every(isLiteralGlob) ? servers.map((s) => s.toLowerCase()) : null,
    tools: words(mcp.tools),
    trusted: mcp.trusted ?? null,
  };
}

function accessBits(rule: RuleDocument): number {
  const actions = actionList(rule);
  let bits = 0;
  if ((!actions || actions.includes('read_file')) && rule.access !== 'write') bits |= READ_BIT;
  if ((!actions || actions.includes('write_file')) && rule.access !== 'read') bits |= WRITE_BIT;
  return bits;
}

/** Compiles one rule; pattern errors are thrown with the field to blame. */
function compileRule(rule: RuleDocument, pack: PackMeta, home: string): CompiledRule {
  const kind = ruleSubject(rule);
  const field = <T>(name: string, build: () => T): T => {
    try {
      return build();
    } catch (error) {
      throw new RuleShapeError(error instanceof Error ? error.message : String(error), name);
    }
  };
  const lines = field('command_line', () => words(rule.command_line, false));
  if (rule.contained !== undefined) {
    // What a path rule protects, a push or an MCP call reaches outside the sandbox; git
    // configuration is written to the sandbox's home or to a repository it cannot write.
    const configOnly =
      kind === 'git' &&
      rule.git?.config !== undefined &&
      Object.keys(rule.git).every((key) => key === 'config' || key === 'subcommand');
    if (kind !== 'command' && !configOnly)
      throw new RuleShapeError(
        'only a command rule or a git configuration rule may decide otherwise inside the sandbox: files, pushes and MCP calls are judged the same either way',
        'contained',
      );
    if (rule.decision === 'deny' || decisionRank[rule.contained] >= decisionRank[rule.decision])
      throw new RuleShapeError(
        `must be less strict than the rule's decision (${rule.decision}), and a rule that denies is never relaxed`,
        'contained',
      );
  }
  return {
    contained: rule.contained ?? null,
    pack,
    id: rule.id,
    decision: rule.decision,
    rank: decisionRank[rule.decision],
    severity: rule.severity,
    severityRank: severityRank[rule.severity],
    reason: rule.reason,
    approvalRoute: rule.approval_route ?? null,
    kind,
    strict: rule.decision === 'allow' || rule.decision === 'warn',
    access: kind === 'path' ? accessBits(rule) : 0,
    patterns: field('commands', () => rule.commands?.map(compileCommandPattern) ?? null),
    lines,
    linePrograms:
      rule.command_line?.map((line) => {
        const first = line.split(' ')[0] ?? '';
        return isLiteralGlob(first) && first !== '' ? programKey(first) : null;
      }) ?? null,
    args: field('args', () => (rule.args ? compileArgGroups(rule.args) : null)),
    argsNone: field('args_none', () => (rule.args_none ? compileArgAlternatives(rule.args_none) : null)),
    env: field('env', () => (rule.env ? compileEnv(rule.env) : null)),
    wrappers: field('wrappers', () => words(rule.wrappers)),
    codeFrom: (rule.code_from ?? []).reduce((bits, source) => bits | codeSourceBits[source], 0),
    alongside: field('alongside', () => words(rule.alongside)),
    inputFrom: field('input_from', () => words(rule.input_from)),
    programInWorkspace: rule.program_in_workspace ?? null,
    variables: field('variables', () => words(rule.variables)),
    globs: field('paths', () => rule.paths?.flatMap((p) => compilePathGlob(p, home)) ?? null),
    exceptGlobs: field('except_paths', () => rule.except_paths?.flatMap((p) => compilePathGlob(p, home)) ?? null),
    outsideWorkspace: rule.outside_workspace ?? null,
    via: field('via', () => words(rule.via)),
    spans: (rule.spans ?? []).reduce((bits, span) => bits | spanBits[span], 0),
    git: kind === 'git' ? field('git', () => compileGit(rule)) : null,
    mcp: kind === 'mcp' ? field('mcp', () => compileMcp(rule)) : null,
    stamp: 0,
  };
}

export function compilePack(document: PackDocument, sha256: string, home: string): CompiledPack {
  const meta: PackMeta = {
    id: document.id,
    version: document.version,
    mode: document.mode,
    protectedBranches: (document.protected_branches ?? []).map((b) => compileWordGlob(b, true)),
    allowedRemotes: document.allowed_remotes ? document.allowed_remotes.map((r) => compileWordGlob(r, false)) : null,
  };
  const defaults = document.defaults;
  return {
    meta,
    description: document.description,
    sha256,
    document,
    rules: document.rules.map((rule) => compileRule(rule, meta, home)),
    defaults: defaults
      ? {
          decision: defaults.decision,
          severity: defaults.severity,
          reason: defaults.reason ?? `No rule matched; ${document.id} defaults to ${defaults.decision}`,
          approvalRoute: defaults.approval_route ?? null,
          packId: document.id,
        }
      : null,
    trustedMcpServers: document.trusted_mcp_servers ?? [],
    approvalRoutes: document.approval_routes ?? {},
  };
}
