import type { CommandPattern } from './command-pattern';
import type { CompiledPack, CompiledRule, DefaultOutcome } from './compile';
import { isLiteralGlob } from './glob';
import { decisionRank, severityRank } from './compile';
import type { PathGlob } from './glob';

/**
 * Every rule of every pack in a scope, filed so that a subject only meets the rules that
 * could match it: commands by program, git invocations by subcommand, MCP calls by server,
 * paths by a literal piece of their glob (file name, extension, name prefix or directory).
 * Rules that cannot be filed are checked for every subject of their kind.
 */
export interface CommandEntry {
  rule: CompiledRule;
  /** The rule's patterns for this program (null: no `commands` condition). */
  patterns: CommandPattern[] | null;
}

export interface PathEntry {
  rule: CompiledRule;
  glob: PathGlob | null;
}

interface PathBuckets {
  byName: Map<string, PathEntry[]>;
  byExt: Map<string, PathEntry[]>;
  byPrefix: Map<string, PathEntry[]>;
  bySegment: Map<string, PathEntry[]>;
  any: PathEntry[];
}

/** Git rules of one subcommand; those naming destination refs are filed by the refs' first segment. */
export interface GitBucket {
  byRefHead: Map<string, CompiledRule[]>;
  rest: CompiledRule[];
}

export interface PolicyIndex {
  packs: readonly CompiledPack[];
  /** True when every assigned pack is in shadow mode. */
  shadowOnly: boolean;
  commandsByProgram: Map<string, CommandEntry[]>;
  /** Rules whose program is a glob with a literal start (`python*`), by up to 3 leading characters. */
  commandsByProgramPrefix: Map<string, CommandEntry[]>;
  commandsAnyProgram: CommandEntry[];
  paths: PathBuckets;
  gitBySubcommand: Map<string, GitBucket>;
  gitAny: GitBucket;
  mcpByServer: Map<string, CompiledRule[]>;
  mcpAny: CompiledRule[];
  /** What a command, file, git operation or MCP call no rule matches gets. */
  fallback: DefaultOutcome;
  /** The same, were the shadow packs enforcing: for the would-be verdict. */
  shadowFallback: DefaultOutcome;
  /** The tenant's own default the index was built with. */
  tenantDefault: DefaultOutcome;
  trustedMcpServers: ReadonlySet<string>;
  ruleCount: number;
  /** The literal names path rules are filed by, for judging globs the shell could not expand. */
  protectedNames: { directories: string[]; files: string[] };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function fileCommandRule(index: PolicyIndex, rule: CompiledRule): void {
  if (rule.patterns) {
    const byKey = new Map<string, CommandPattern[]>();
    const byPrefix = new Map<string, CommandPattern[]>();
    const any: CommandPattern[] = [];
    for (const pattern of rule.patterns) {
      if (pattern.programKey !== null) push(byKey, pattern.programKey, pattern);
      else if (pattern.programPrefix !== null) push(byPrefix, pattern.programPrefix, pattern);
      else any.push(pattern);
    }
    for (const [key, patterns] of byKey) push(index.commandsByProgram, key, { rule, patterns });
    for (const [prefix, patterns] of byPrefix) push(index.commandsByProgramPrefix, prefix, { rule, patterns });
    if (any.length > 0) index.commandsAnyProgram.push({ rule, patterns: any });
    return;
  }
  const programs = rule.linePrograms;
  if (programs && programs.every((p) => p !== null)) {
    for (const key of new Set(programs as string[])) push(index.commandsByProgram, key, { rule, patterns: null });
    return;
  }
  index.commandsAnyProgram.push({ rule, patterns: null });
}

function filePathRule(buckets: PathBuckets, rule: CompiledRule): void {
  if (!rule.globs) {
    buckets.any.push({ rule, glob: null });
    return;
  }
  for (const glob of rule.globs) {
    const entry = { rule, glob };
    const hint = glob.hint;
    if (hint.kind === 'name') push(buckets.byName, hint.key, entry);
    else if (hint.kind === 'ext') push(buckets.byExt, hint.key, entry);
    else if (hint.kind === 'prefix') push(buckets.byPrefix, hint.key, entry);
    else if (hint.kind === 'segment') push(buckets.bySegment, hint.key, entry);
    else buckets.any.push(entry);
  }
}

/** `team-a/*` → `team-a`; null when the first segment of a ref glob is not literal. */
function refHead(glob: string): string | null {
  const head = glob.split('/')[0] ?? '';
  return head !== '' && isLiteralGlob(head) ? head.toLowerCase() : null;
}

function fileGitRule(bucket: GitBucket, rule: CompiledRule): void {
  const heads = rule.git?.refGlobs?.map(refHead) ?? null;
  if (heads && heads.length > 0 && heads.every((head) => head !== null)) {
    for (const head of new Set(heads as string[])) push(bucket.byRefHead, head, rule);
  } else {
    bucket.rest.push(rule);
  }
}

/** The most restrictive of the enforcing packs' defaults; ties go to the higher severity, then the pack id. */
function combinedDefault(
  packs: readonly CompiledPack[],
  tenantDefault: DefaultOutcome,
  includeShadow: boolean,
): DefaultOutcome {
  let best: DefaultOutcome | null = null;
  for (const pack of packs) {
    const candidate = pack.defaults;
    if (!candidate || (pack.meta.mode !== 'enforce' && !includeShadow)) continue;
    if (
      !best ||
      decisionRank[candidate.decision] > decisionRank[best.decision] ||
      (decisionRank[candidate.decision] === decisionRank[best.decision] &&
        (severityRank[candidate.severity] > severityRank[best.severity] ||
          (severityRank[candidate.severity] === severityRank[best.severity] &&
            (candidate.packId ?? '') < (best.packId ?? ''))))
    ) {
      best = candidate;
    }
  }
  return best ?? tenantDefault;
}

export function buildIndex(packs: readonly CompiledPack[], tenantDefault: DefaultOutcome): PolicyIndex {
  const index: PolicyIndex = {
    packs,
    shadowOnly: packs.length > 0 && packs.every((pack) => pack.meta.mode === 'shadow'),
    commandsByProgram: new Map(),
    commandsByProgramPrefix: new Map(),
    commandsAnyProgram: [],
    paths: { byName: new Map(), byExt: new Map(), byPrefix: new Map(), bySegment: new Map(), any: [] },
    gitBySubcommand: new Map(),
    gitAny: { byRefHead: new Map(), rest: [] },
    mcpByServer: new Map(),
    mcpAny: [],
    fallback: combinedDefault(packs, tenantDefault, false),
    shadowFallback: combinedDefault(packs, tenantDefault, true),
    tenantDefault,
    trustedMcpServers: new Set(packs.flatMap((pack) => pack.trustedMcpServers.map((s) => s.toLowerCase()))),
    ruleCount: 0,
    protectedNames: { directories: [], files: [] },
  };
  for (const pack of packs) {
    for (const rule of pack.rules) {
      index.ruleCount++;
      if (rule.kind === 'command') fileCommandRule(index, rule);
      else if (rule.kind === 'path') filePathRule(index.paths, rule);
      else if (rule.kind === 'git') {
        const subcommands = rule.git?.subcommands;
        if (subcommands) {
          for (const sub of new Set(subcommands)) {
            let bucket = index.gitBySubcommand.get(sub);
            if (!bucket) index.gitBySubcommand.set(sub, (bucket = { byRefHead: new Map(), rest: [] }));
            fileGitRule(bucket, rule);
          }
        } else {
          fileGitRule(index.gitAny, rule);
        }
      } else {
        const keys = rule.mcp?.serverKeys;
        if (keys) for (const key of new Set(keys)) push(index.mcpByServer, key, rule);
        else index.mcpAny.push(rule);
      }
    }
  }
  const { byName, byExt, byPrefix, bySegment } = index.paths;
  index.protectedNames = {
    directories: [...bySegment.keys()],
    files: [
      ...bySegment.keys(),
      ...byName.keys(),
      ...[...byExt.keys()].map((ext) => `x${ext}`),
      ...[...byPrefix.keys()].map((prefix) => `${prefix}x`),
    ],
  };
  return index;
}

const containedIndexes = new WeakMap<PolicyIndex, PolicyIndex>();

/**
 * The index for an action that runs inside the tenant's sandbox: the same rules matching the
 * same subjects, each rule that says `contained` deciding that instead (its reason says why).
 * Built once per index.
 */
export function containedIndex(index: PolicyIndex): PolicyIndex {
  const known = containedIndexes.get(index);
  if (known) return known;
  const relax = (rule: CompiledRule): CompiledRule =>
    rule.contained === null
      ? rule
      : {
          ...rule,
          decision: rule.contained,
          rank: decisionRank[rule.contained],
          approvalRoute: null,
          reason: `${rule.reason}; it runs inside the sandbox, which bounds it`,
          stamp: 0,
        };
  const packs = index.packs.map((pack) =>
    pack.rules.some((rule) => rule.contained !== null) ? { ...pack, rules: pack.rules.map(relax) } : pack,
  );
  const made = buildIndex(packs, index.tenantDefault);
  containedIndexes.set(index, made);
  return made;
}
