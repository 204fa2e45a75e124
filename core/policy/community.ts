import { yamlLibrary } from './yaml-library';
import type { DecisionKind, Severity } from '../contract';
import type { PackTest, RuleDocument } from './pack-schema';

/**
 * Converts a pack in the public CAVRA Community Edition section format (`metadata`,
 * `filesystem`, `commands`, `git`, `mcp`) to the native format, keeping what CE means:
 *
 * - paths: CE matches the whole path with `*` spanning directories; here each lone `*`
 *   becomes `**` (which spans directories too). Native relative globs also match below any
 *   directory, so a converted pack is never narrower than the original.
 * - commands: CE matches the whole command string. Plain patterns (`terraform apply*`)
 *   become `commands` patterns, which also see through options, wrappers and paths;
 *   others keep CE's whole-line glob on each normalized simple command (`command_line`).
 *   An allow pattern without a trailing `*` stays exact (` $`).
 * - decisions: block → deny, requires_approval → require_approval, allow and
 *   allow_with_attestation → allow; `audit_only`/`shadow` mode → shadow.
 * - unlisted commands need review; unlisted reads and writes, git operations other than
 *   protected pushes, and calls to allowed MCP servers are allowed, as in CE.
 *
 * The converted pack carries tests built from the CE lists' own entries, with the
 * decision CE gives each: an import whose conversion changes a decision fails its tests.
 */

export interface ConversionNote {
  /** Dotted key in the CE file. */
  key: string;
  message: string;
}

interface CommunityConversion {
  /** The native pack as YAML text. */
  yaml: string;
  /** What could not be converted (the rest of the pack converted). */
  unconverted: ConversionNote[];
  /** Where the native pack is deliberately broader or different, for the reviewer. */
  notes: ConversionNote[];
}

type Raw = Record<string, unknown>;

const SECTIONS = ['metadata', 'filesystem', 'commands', 'git', 'mcp'];

export function isCommunityFormat(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  return !('rules' in raw) && SECTIONS.some((section) => section in raw);
}

function asRecord(value: unknown): Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : {};
}

function stringList(value: unknown, key: string, unconverted: ConversionNote[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    unconverted.push({ key, message: 'is not a list; skipped' });
    return [];
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string' && item.trim() !== '') out.push(item.trim());
    else unconverted.push({ key: `${key}[${i}]`, message: 'is not a non-empty string; skipped' });
  });
  return out;
}

/** CE glob → regex, exactly as CE matches (whole string, `*` and `**` span anything). */
function communityRegex(pattern: string): RegExp {
  const source = pattern
    .split(/\*+/)
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's');
}

function nativePath(pattern: string): string {
  return pattern.replace(/\*+/g, (stars) => (stars.length === 1 ? '**' : stars));
}

/** An example path CE's pattern matches: `**\/*.pem` → `nested/dir/example.pem`. */
function examplePath(pattern: string): string {
  return pattern
    .replace(/^\*\*\//, 'nested/dir/')
    .replace(/\/\*\*$/, '/example')
    .replace(/\*\*/g, 'example')
    .replace(/\*/g, 'example')
    .replace(/\?/g, 'x');
}

/** An example command CE's pattern matches: `kubectl apply*--context*prod*` → `kubectl apply --context prod`. */
function exampleCommand(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c !== '*') out += c;
    else if (i === pattern.length - 1) continue;
    else if (pattern[i - 1] === '/' || pattern[i + 1] === '/') out += 'x';
    else if (pattern[i - 1] !== ' ' && pattern[i + 1] !== ' ') out += ' ';
  }
  return out.replace(/\s+/g, ' ').trim();
}

const SHELL_SYNTAX = /[|;&<>$`()\\]/;

function isPlainCommand(pattern: string): boolean {
  const tokens = pattern.split(/\s+/);
  return tokens.every((token, i) => {
    const stars = (token.match(/\*/g) ?? []).length;
    if (stars === 0) return !/[?[\]{}]/.test(token);
    return (i === tokens.length - 1 || i === 0) && stars === 1 && token.endsWith('*') && !/[?[\]{}]/.test(token);
  });
}

function coerceVersion(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const parts = text.replace(/^v/, '').split('.');
  if (parts.length > 0 && parts.length <= 3 && parts.every((p) => /^\d+$/.test(p))) {
    while (parts.length < 3) parts.push('0');
    return parts.join('.');
  }
  return '0.0.0';
}

function coerceId(value: unknown): string {
  const text = typeof value === 'string' ? value.toLowerCase() : '';
  const id = text.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return id === '' ? 'community-import' : id.slice(0, 128);
}

function decisionOf(word: string): DecisionKind | null {
  if (word === 'block') return 'deny';
  if (word === 'require_approval' || word === 'requires_approval') return 'require_approval';
  if (word === 'allow' || word === 'allow_with_attestation') return 'allow';
  return null;
}

const DECISION_ORDER: DecisionKind[] = ['allow', 'warn', 'require_approval', 'deny'];
const worst = (a: DecisionKind, b: DecisionKind) => (DECISION_ORDER.indexOf(a) >= DECISION_ORDER.indexOf(b) ? a : b);

export function convertCommunityPack(text: string): CommunityConversion {
  const raw = asRecord(yamlLibrary().parse(text, { maxAliasCount: 100 }));
  const unconverted: ConversionNote[] = [];
  const notes: ConversionNote[] = [];
  const metadata = asRecord(raw.metadata);
  const filesystem = asRecord(raw.filesystem);
  const commands = asRecord(raw.commands);
  const git = asRecord(raw.git);
  const mcp = asRecord(raw.mcp);

  for (const key of Object.keys(raw)) {
    if (!SECTIONS.includes(key) && key !== 'mode') {
      unconverted.push({
        key,
        message:
          'has no runtime meaning in native packs (documentation, approvals or evidence settings); not converted',
      });
    }
  }
  for (const key of ['inherits', 'rules']) {
    if (key in metadata)
      unconverted.push({
        key: `metadata.${key}`,
        message: 'not converted: convert and assign each inherited pack on its own',
      });
  }
  const modeWord = String(metadata.mode ?? raw.mode ?? 'enforce');
  const mode = modeWord === 'audit_only' || modeWord === 'shadow' ? 'shadow' : 'enforce';
  if (!['enforce', 'audit_only', 'shadow'].includes(modeWord)) {
    unconverted.push({
      key: 'metadata.mode',
      message: `"${modeWord}" is not enforce, audit_only or shadow; converted as enforce`,
    });
  }

  const rules: RuleDocument[] = [];
  const tests: PackTest[] = [];
  // Keys in reading order: what the rule is about, then what it decides.
  const rule = ({
    decision,
    severity = 'high',
    reason,
    ...about
  }: Omit<RuleDocument, 'severity'> & { severity?: Severity }) => rules.push({ ...about, decision, severity, reason });

  // Files.
  const fileLists = {
    block_read: { decision: 'deny' as const, access: 'read' as const },
    block_write: { decision: 'deny' as const, access: 'write' as const },
    require_approval_read: { decision: 'require_approval' as const, access: 'read' as const },
    require_approval_write: { decision: 'require_approval' as const, access: 'write' as const },
  };
  const filePatterns: Record<string, string[]> = {};
  for (const [key, spec] of Object.entries(fileLists)) {
    const patterns = stringList(filesystem[key], `filesystem.${key}`, unconverted);
    filePatterns[key] = patterns;
    if (patterns.length === 0) continue;
    rule({
      id: `ce.filesystem.${key.replace(/_/g, '-')}`,
      action: spec.access === 'read' ? 'read_file' : 'write_file',
      paths: patterns.map(nativePath),
      decision: spec.decision,
      reason: `Community Edition filesystem.${key}`,
    });
  }
  for (const key of Object.keys(filesystem)) {
    if (!(key in fileLists))
      unconverted.push({ key: `filesystem.${key}`, message: 'is not a known Community Edition list; not converted' });
  }
  if (Object.values(filePatterns).some((list) => list.some((p) => !p.includes('/') && !p.startsWith('*')))) {
    notes.push({
      key: 'filesystem',
      message: 'bare file names (".env") now match at any depth, not only at the workspace root',
    });
  }
  rule({
    id: 'ce.filesystem.read',
    action: 'read_file',
    decision: 'allow',
    severity: 'low',
    reason: 'Community Edition allows reads not listed in block_read',
  });
  rule({
    id: 'ce.filesystem.write',
    action: 'write_file',
    decision: 'allow',
    severity: 'low',
    reason: 'Community Edition allows writes not listed',
  });

  const ceFileDecision = (path: string, access: 'read' | 'write'): DecisionKind => {
    const hit = (key: string) => (filePatterns[key] ?? []).some((p) => communityRegex(p).test(path));
    if (hit(`block_${access}`)) return 'deny';
    if (hit(`require_approval_${access}`)) return 'require_approval';
    return 'allow';
  };
  for (const [key, spec] of Object.entries(fileLists)) {
    for (const pattern of filePatterns[key] ?? []) {
      const path = examplePath(pattern);
      tests.push({
        name: `CE filesystem.${key} "${pattern}": ${spec.access} ${path}`,
        action: { type: spec.access === 'read' ? 'read_file' : 'write_file', path },
        expect: ceFileDecision(path, spec.access),
      });
    }
  }

  // Commands.
  const commandLists: Record<string, string[]> = {};
  for (const key of Object.keys(commands)) {
    const decision = decisionOf(key);
    if (!decision) {
      unconverted.push({ key: `commands.${key}`, message: 'is not block, require_approval or allow; not converted' });
      continue;
    }
    const patterns = stringList(commands[key], `commands.${key}`, unconverted);
    if (key === 'allow_with_attestation' && patterns.length > 0) {
      notes.push({
        key: `commands.${key}`,
        message: 'converted to allow; the decision record in the evidence ledger is the attestation',
      });
    }
    const plain: string[] = [];
    const lines: string[] = [];
    patterns.forEach((pattern, i) => {
      if (SHELL_SYNTAX.test(pattern)) {
        unconverted.push({
          key: `commands.${key}[${i}]`,
          message: `"${pattern}" spans several commands or uses shell syntax; each simple command is judged on its own here (the built-in remote-code-execution pack covers pipes into shells)`,
        });
        return;
      }
      (commandLists[decision] ??= []).push(pattern);
      if (isPlainCommand(pattern))
        plain.push(decision === 'allow' && !pattern.endsWith('*') ? `${pattern} $` : pattern);
      else lines.push(pattern);
    });
    const id = `ce.commands.${key.replace(/_/g, '-')}`;
    const severity: Severity =
      decision === 'deny' && patterns.some((p) => /apply|delete|destroy/.test(p))
        ? 'critical'
        : decision === 'allow'
          ? 'low'
          : 'high';
    if (plain.length > 0)
      rule({ id, commands: plain, decision, severity, reason: `Community Edition commands.${key}` });
    if (lines.length > 0)
      rule({ id: `${id}-line`, command_line: lines, decision, severity, reason: `Community Edition commands.${key}` });
  }
  const ceCommandDecision = (line: string): DecisionKind => {
    let result: DecisionKind | null = null;
    for (const [decision, patterns] of Object.entries(commandLists) as [DecisionKind, string[]][]) {
      if (patterns.some((p) => communityRegex(p).test(line))) result = result ? worst(result, decision) : decision;
    }
    return result ?? 'require_approval';
  };
  for (const [decision, patterns] of Object.entries(commandLists)) {
    for (const pattern of patterns) {
      const command = exampleCommand(pattern);
      if (command === '') continue;
      tests.push({
        name: `CE commands (${decision}) "${pattern}": ${command}`,
        action: { type: 'execute_command', command },
        expect: ceCommandDecision(command),
      });
    }
  }

  // Git.
  const protectedBranches = stringList(git.protected_branches, 'git.protected_branches', unconverted);
  const branches = protectedBranches.length > 0 ? protectedBranches : ['main', 'master'];
  const blockProtected = git.block_direct_push_to_protected_branch !== false;
  if (blockProtected) {
    rule({
      id: 'ce.git.protected-branch-push',
      git: { subcommand: ['push'], protected: true },
      decision: 'deny',
      reason: 'Community Edition: direct push to a protected branch is prohibited',
    });
  }
  if (git.block_force_push === true) {
    rule({
      id: 'ce.git.force-push',
      git: { subcommand: ['push'], force: true },
      decision: 'deny',
      reason: 'Community Edition: force push is blocked',
    });
  }
  rule({
    id: 'ce.git.other',
    action: 'git_operation',
    decision: 'allow',
    severity: 'low',
    reason: 'Community Edition allows other git operations',
  });
  for (const key of Object.keys(git)) {
    if (!['protected_branches', 'block_direct_push_to_protected_branch', 'block_force_push'].includes(key)) {
      unconverted.push({
        key: `git.${key}`,
        message:
          'is a pull-request workflow setting, not a runtime decision; enforce it with branch protection on the forge',
      });
    }
  }
  for (const branch of branches) {
    const example = examplePath(branch);
    tests.push({
      name: `CE git: push to protected branch ${example}`,
      action: { type: 'git_operation', git: { args: ['push', 'origin', example] } },
      expect: blockProtected ? 'deny' : 'allow',
    });
  }
  tests.push({
    name: 'CE git: push to a feature branch',
    action: { type: 'git_operation', git: { args: ['push', 'origin', 'feature/community-import-example'] } },
    expect: 'allow',
  });

  // MCP.
  const allowed = stringList(mcp.allowed_servers, 'mcp.allowed_servers', unconverted);
  const blocked = stringList(mcp.blocked_servers, 'mcp.blocked_servers', unconverted);
  const blockUnknown = mcp.block_unknown_servers !== false;
  if (blocked.length > 0) {
    rule({
      id: 'ce.mcp.blocked-servers',
      mcp: { servers: blocked },
      decision: 'deny',
      reason: 'Community Edition mcp.blocked_servers',
    });
  }
  if (blockUnknown) {
    rule({
      id: 'ce.mcp.unknown-server',
      mcp: { trusted: false },
      decision: 'deny',
      reason:
        'Untrusted MCP server with filesystem/tool capability is not approved (Community Edition block_unknown_servers)',
    });
  }
  rule({
    id: 'ce.mcp.other',
    action: 'mcp_tool_call',
    decision: 'allow',
    severity: 'low',
    reason: 'Community Edition allows calls to servers it does not block',
  });
  for (const key of Object.keys(mcp)) {
    if (!['allowed_servers', 'blocked_servers', 'block_unknown_servers', 'allowlist_enabled'].includes(key)) {
      unconverted.push({
        key: `mcp.${key}`,
        message: 'not converted: add tool-scoped rules (mcp.tools) for the risky tools instead',
      });
    }
  }
  const mcpExample = (server: string) => ({
    type: 'mcp_tool_call',
    mcp: { server, tool: 'example_tool', arguments: {} },
  });
  for (const server of blocked)
    tests.push({ name: `CE mcp: blocked server ${server}`, action: mcpExample(server), expect: 'deny' });
  for (const server of allowed.filter((s) => !blocked.includes(s))) {
    tests.push({ name: `CE mcp: allowed server ${server}`, action: mcpExample(server), expect: 'allow' });
  }
  tests.push({
    name: 'CE mcp: a server on no list',
    action: mcpExample('community-import-unlisted-server'),
    expect: blockUnknown ? 'deny' : 'allow',
  });

  const description =
    typeof metadata.description === 'string' && metadata.description.trim() !== ''
      ? metadata.description.trim()
      : typeof metadata.title === 'string' && metadata.title.trim() !== ''
        ? metadata.title.trim()
        : 'Imported from the CAVRA Community Edition format';
  const pack = {
    id: coerceId(metadata.id),
    version: coerceVersion(metadata.version),
    description,
    mode,
    defaults: {
      decision: 'require_approval',
      severity: 'medium',
      reason: 'No allow rule matched; review required (Community Edition default)',
    },
    protected_branches: branches,
    ...(allowed.length > 0 ? { trusted_mcp_servers: allowed } : {}),
    rules,
    tests,
  };
  const header = `# Converted from the CAVRA Community Edition format by \`cavra policy import\`.\n# Review the conversion report before assigning this pack.\n`;
  return { yaml: header + yamlLibrary().stringify(pack, { lineWidth: 0 }), unconverted, notes };
}
