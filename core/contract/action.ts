import { z } from 'zod';

/** SPEC §2: the five things an agent may be about to do. */
export const actionTypes = ['read_file', 'write_file', 'execute_command', 'git_operation', 'mcp_tool_call'] as const;
export const actionTypeSchema = z.enum(actionTypes);
export type ActionType = z.infer<typeof actionTypeSchema>;

export const ACTION_LIMITS = {
  command: 64 * 1024,
  path: 4096,
  content: 4 * 1024 * 1024,
  gitArgs: 256,
  identifier: 256,
} as const;

const identifier = z.string().min(1).max(ACTION_LIMITS.identifier);

/**
 * The public Action JSON. Unknown fields are ignored (stripped); the field each action
 * type needs is required, and a missing one is an input error naming that field.
 */
export const actionSchema = z
  .object({
    type: actionTypeSchema,
    tenant: identifier.optional(),
    agent: z.object({ id: identifier, session: identifier.optional() }).optional(),
    actor: identifier.optional(),
    repository: identifier.optional(),
    cwd: z.string().min(1).max(ACTION_LIMITS.path).optional(),
    command: z.string().max(ACTION_LIMITS.command).optional(),
    path: z.string().min(1).max(ACTION_LIMITS.path).optional(),
    content: z.string().max(ACTION_LIMITS.content).optional(),
    git: z.object({ args: z.array(z.string().max(ACTION_LIMITS.path)).max(ACTION_LIMITS.gitArgs) }).optional(),
    mcp: z
      .object({
        server: identifier,
        tool: identifier,
        arguments: z.record(z.string(), z.unknown()).default({}),
      })
      .optional(),
    correlation_id: identifier.optional(),
  })
  .superRefine((action, ctx) => {
    const required: Record<ActionType, keyof typeof action> = {
      read_file: 'path',
      write_file: 'path',
      execute_command: 'command',
      git_operation: 'git',
      mcp_tool_call: 'mcp',
    };
    const field = required[action.type];
    if (action[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `is required for ${action.type}` });
    }
    if (action.type === 'execute_command' && action.command !== undefined && action.command.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'must not be empty' });
    }
    if (action.type === 'git_operation' && action.git && action.git.args.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['git', 'args'], message: 'must name a git subcommand' });
    }
  });
export type Action = z.infer<typeof actionSchema>;
export type ActionInput = z.input<typeof actionSchema>;
