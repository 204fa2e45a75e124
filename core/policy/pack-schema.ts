import { z } from 'zod';
import { actionTypeSchema, decisionKindSchema, enforcementModeSchema, severitySchema } from '../contract';
import { containmentSectionSchema } from './containment-section';

/**
 * The policy pack format (SPEC §3): the one source of truth. The published JSON Schema
 * (`policy-packs/schema/pack.schema.json`) is generated from it by `cavra policy schema`,
 * and `pack-schema.test.ts` fails when the committed file drifts.
 */

const text = (max: number) => z.string().min(1).max(max);
const patternList = (what: string) => z.array(text(512)).min(1).max(1000).describe(what);

const identifier = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]*$/,
    'must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .max(128);

const durationSchema = z
  .string()
  .regex(/^[1-9][0-9]*[smhd]$/, 'must be a duration such as 30m, 8h or 2d')
  .describe('A duration: a positive number followed by s, m, h or d.');

const approvalRouteSchema = z
  .strictObject({
    approvers: z.array(text(128)).min(1).describe('Groups whose members may decide requests on this route.'),
    required_approvals: z.number().int().min(1).max(10).default(1),
    expires_after: durationSchema.default('8h'),
    require_reason: z.boolean().default(false).describe('An approval (not only a denial) must carry a reason.'),
    allow_reuse: z
      .boolean()
      .default(false)
      .describe(
        'Approve for retry: an approval given after the agent stopped waiting allows one identical retry within the approval window (otherwise the request is abandoned when the agent stops waiting).',
      ),
    attest: z
      .enum(['none', 'idp'])
      .optional()
      .describe(
        'idp: each verdict needs a fresh sign-in at the tenant IdP whose nonce commits to the request, action and verdict (the ID token is kept as evidence). Default: idp for high and critical rules, none otherwise.',
      ),
  })
  .describe('Who decides require_approval outcomes routed here (used by the approvals service).');
export type ApprovalRoute = z.output<typeof approvalRouteSchema>;

const gitConditionSchema = z
  .strictObject({
    subcommand: z.array(text(64)).min(1).optional().describe('Any of these git subcommands (push, commit, …).'),
    force: z.boolean().optional().describe('A forced push: --force, -f, --force-with-lease or a +refspec.'),
    hard_force: z
      .boolean()
      .optional()
      .describe(
        'A push forced without a lease: --force, -f, a +refspec or --mirror (--force-with-lease alone is not).',
      ),
    unknown_remote: z
      .boolean()
      .optional()
      .describe(
        "The push goes to (or the fetch or pull comes from) a URL or path, or a remote not named in this pack's allowed_remotes (naming no remote means the branch's own).",
      ),
    protected: z
      .boolean()
      .optional()
      .describe(
        'true: a destination is a protected branch of this pack, --all/--mirror, or only known at run time or a wildcard. false: every destination is named and none is protected.',
      ),
    implicit_destination: z
      .boolean()
      .optional()
      .describe('A push that names no destination branch (git push, git push origin, HEAD).'),
    delete: z.boolean().optional().describe('A push that deletes a remote ref (--delete or :branch).'),
    mirror: z.boolean().optional(),
    all: z.boolean().optional().describe('--all or --branches.'),
    tags: z.boolean().optional(),
    no_verify: z.boolean().optional().describe('Hooks skipped: --no-verify (or -n for commit).'),
    config: patternList('Config keys (globs) set with -c or written with `git config`.').optional(),
    refs: patternList('Destination refs (globs), matched short (main) and long (refs/heads/main).').optional(),
    args: z
      .array(z.array(text(512)).min(1))
      .min(1)
      .optional()
      .describe('Argument groups: every group must be matched by some argument of the invocation.'),
  })
  .describe('Conditions on each git invocation (a git_operation, or git inside a shell command).');

const mcpConditionSchema = z
  .strictObject({
    servers: patternList('MCP server names (globs).').optional(),
    tools: patternList('Tool names (globs).').optional(),
    trusted: z
      .boolean()
      .optional()
      .describe("Whether the server is on the tenant's MCP trust list or this scope's packs' trusted_mcp_servers."),
  })
  .describe('Conditions on an MCP tool call.');

const ruleSchema = z
  .strictObject({
    id: identifier.describe('Unique within the pack; shown in decisions.'),
    description: z.string().max(2000).optional(),
    action: z
      .union([actionTypeSchema, z.array(actionTypeSchema).min(1)])
      .optional()
      .describe(
        'Action types this rule judges. File arguments of commands and MCP tools count as read_file/write_file. Default: every type its conditions can match.',
      ),

    commands: patternList(
      'Program plus leading words: "terraform apply". Options between them are skipped; see policy-packs/README.md.',
    ).optional(),
    command_line: patternList('Globs over a whole simple command, program and arguments joined by spaces.').optional(),
    args: z
      .array(z.array(text(512)).min(1))
      .min(1)
      .optional()
      .describe('Argument groups: every group must be matched by some argument (alternatives within a group).'),
    args_none: patternList('The command matches only if no argument matches any of these.').optional(),
    env: patternList('Variable assignments in front of the command: NAME or NAME=value globs.').optional(),
    wrappers: patternList('Wrappers the command ran under (sudo, env, timeout, xargs, …).').optional(),
    code_from: z
      .array(z.enum(['inline', 'stdin', 'substitution', 'file']))
      .min(1)
      .optional()
      .describe(
        'Interpreter code source: inline (python -c, node -e, …), stdin (… | sh), substitution (bash <(curl …), sh -c "$(…)"), file (bash install.sh).',
      ),
    alongside: patternList('Another command in the same action runs one of these programs (globs).').optional(),
    input_from: patternList(
      'The command reads the output of one of these programs: the previous pipeline stage, or a substitution in its words (globs).',
    ).optional(),
    program_in_workspace: z
      .boolean()
      .optional()
      .describe('The program was named by a path inside the workspace (./scripts/test.sh), not found on PATH.'),
    variables: patternList(
      'The command reads one of these variables (globs over names; `!` is an indirect expansion such as ${!v}).',
    ).optional(),

    paths: patternList(
      'Path globs, matched case-insensitively against the workspace-relative and absolute forms.',
    ).optional(),
    except_paths: patternList(
      'Paths the rule leaves alone even when `paths` or the other conditions match.',
    ).optional(),
    access: z.enum(['read', 'write']).optional(),
    outside_workspace: z.boolean().optional(),
    via: patternList('The command or MCP tool that touches the path (cat, cp, filesystem/read_file).').optional(),
    spans: z
      .array(z.enum(['workspace', 'ancestor', 'sibling', 'home']))
      .min(1)
      .optional()
      .describe(
        'The path is the workspace root itself, a directory containing the workspace, a neighbour of it (beside it, under its parent), or the home directory or a directory directly in it (not a dot directory).',
      ),

    git: gitConditionSchema.optional(),
    mcp: mcpConditionSchema.optional(),

    decision: decisionKindSchema,
    severity: severitySchema.default('medium'),
    reason: text(1000),
    approval_route: identifier.optional().describe('A key of approval_routes; for require_approval.'),
    contained: z
      .enum(['allow', 'warn'])
      .optional()
      .describe(
        "The decision instead when the command runs inside the tenant's sandbox (cavra exec with containment), which bounds what this rule guards against: the code's file and network reach, a home it writes. Only on command rules and git configuration rules (git.config, with at most a subcommand: the setting lands in the sandbox's home or a repository it cannot write) that do not deny; files, pushes and MCP calls are judged the same either way.",
      ),
  })
  .describe('A rule: conditions on one kind of subject (command, path, git invocation or MCP call) and a decision.');
export type RuleDocument = z.output<typeof ruleSchema>;

const expectations = [...decisionKindSchema.options, 'no_match'] as const;

const packTestSchema = z.strictObject({
  name: text(200),
  action: z.record(z.string(), z.unknown()).describe('An Action (SPEC §2); cwd defaults to a fixed test workspace.'),
  expect: z
    .enum(expectations)
    .describe("This pack's decision on its own, or no_match when no rule of the pack may match."),
  rule: identifier.optional().describe('The rule that must decide.'),
  trusted_mcp_servers: z.array(text(128)).optional().describe('The tenant trust list to assume.'),
});
export type PackTest = z.output<typeof packTestSchema>;

export const packDocumentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: identifier,
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0')
      .max(64),
    description: text(2000),
    mode: enforcementModeSchema.default('enforce'),
    defaults: z
      .strictObject({
        decision: decisionKindSchema,
        severity: severitySchema.default('medium'),
        reason: text(1000).optional(),
        approval_route: identifier.optional(),
      })
      .optional()
      .describe('Decision for a command, file, git operation or MCP call that no rule of any assigned pack matches.'),
    protected_branches: patternList('Branch globs the git `protected` condition refers to.').optional(),
    allowed_remotes: patternList(
      'Remote names the git `unknown_remote` condition accepts (origin, upstream).',
    ).optional(),
    trusted_mcp_servers: z.array(text(128)).max(1000).optional(),
    approval_routes: z.record(identifier, approvalRouteSchema).optional(),
    containment: containmentSectionSchema.optional(),
    rules: z.array(ruleSchema).min(1).max(20000),
    tests: z.array(packTestSchema).max(5000).optional(),
  })
  .describe('A CAVRA Enterprise policy pack (SPEC §3).');
export type PackDocument = z.output<typeof packDocumentSchema>;

/** The published JSON Schema, generated from the zod schema above. */
export function packJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(packDocumentSchema, { io: 'input' }),
    $id: 'https://cavra.dev/schemas/policy-pack.schema.json',
    title: 'CAVRA Enterprise policy pack',
  };
}
