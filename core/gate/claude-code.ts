import path from 'node:path';
import { z } from 'zod';
import type { ActionInput } from '../contract';
import { ACTION_LIMITS } from '../contract';

/**
 * Claude Code's PreToolUse hook input (the same JSON on a command hook's stdin and in an
 * http hook's POST body). Only what the mapping reads is validated; other fields pass.
 */
const preToolUseSchema = z.looseObject({
  hook_event_name: z.literal('PreToolUse', { error: 'must be "PreToolUse"' }).optional(),
  session_id: z.string().min(1).max(ACTION_LIMITS.identifier).optional(),
  tool_use_id: z.string().min(1).max(ACTION_LIMITS.identifier).optional(),
  cwd: z.string().min(1).max(ACTION_LIMITS.path).optional(),
  tool_name: z.string({ error: 'is required' }).min(1).max(ACTION_LIMITS.identifier),
  tool_input: z.record(z.string(), z.unknown(), { error: 'is required and must be an object' }),
});
const CLAUDE_CODE_AGENT = 'claude-code';

/** What the gate judges for one tool call: an Action, or a tool no Action type describes. */
export type ClaudeCodeSubject =
  | { kind: 'action'; action: ActionInput }
  | { kind: 'unmapped'; tool: string; agent: ActionInput['agent']; correlationId: string | undefined };

export class HookInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'HookInputError';
  }
}

// LS is Claude Code's directory listing: a read of the directory, like Glob.
const FILE_READERS = new Set(['Read', 'Grep', 'Glob', 'LS']);
const FILE_WRITERS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
const MCP_TOOL = /^mcp__(.+?)__(.+)$/;

function text(input: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = input[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new HookInputError(`tool_input.${field}`, required ? 'is required and must be a string' : 'must be a string');
  }
  return value;
}

/** The new text an edit writes, so content rules (and reviewers) see it. */
function writtenContent(tool: string, input: Record<string, unknown>): string | undefined {
  if (tool === 'Write') return typeof input.content === 'string' ? input.content : undefined;
  if (tool === 'Edit') return typeof input.new_string === 'string' ? input.new_string : undefined;
  if (tool === 'NotebookEdit') return typeof input.new_source === 'string' ? input.new_source : undefined;
  if (tool === 'MultiEdit' && Array.isArray(input.edits)) {
    return input.edits
      .map((edit: unknown) =>
        typeof edit === 'object' && edit !== null && typeof (edit as { new_string?: unknown }).new_string === 'string'
          ? (edit as { new_string: string }).new_string
          : '',
      )
      .join('\n');
  }
  return undefined;
}

/**
 * PreToolUse → Action (SPEC §4): Bash → execute_command; Read/Grep/Glob (and LS) → read_file;
 * Write/Edit/MultiEdit/NotebookEdit → write_file; `mcp__<server>__<tool>` → mcp_tool_call.
 * Grep reads file contents, so its path is joined with its glob; Glob only lists names, so
 * the directory it lists is what it reads. Any other tool is `unmapped` and takes the
 * tenant's default.
 */
export function claudeCodeSubject(raw: unknown, options: { tenant?: string; actor?: string } = {}): ClaudeCodeSubject {
  const parsed = preToolUseSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'input';
    throw new HookInputError(field, issue?.message ?? 'is not a PreToolUse hook input');
  }
  const input = parsed.data;
  const tool = input.tool_name;
  const toolInput = input.tool_input;
  const agent = { id: CLAUDE_CODE_AGENT, ...(input.session_id ? { session: input.session_id } : {}) };
  const common: Partial<ActionInput> = {
    agent,
    ...(options.tenant ? { tenant: options.tenant } : {}),
    ...(options.actor ? { actor: options.actor } : {}),
    ...(input.cwd ? { cwd: input.cwd } : {}),
    ...(input.tool_use_id ? { correlation_id: input.tool_use_id } : {}),
  };
  if (tool === 'Bash') {
    return {
      kind: 'action',
      action: { ...common, type: 'execute_command', command: text(toolInput, 'command', true) },
    };
  }
  if (FILE_READERS.has(tool)) {
    let target: string;
    if (tool === 'Read') target = text(toolInput, 'file_path', true) as string;
    else {
      const dir = text(toolInput, 'path', false) ?? input.cwd ?? '.';
      const glob = tool === 'Grep' ? text(toolInput, 'glob', false) : undefined;
      target = glob ? path.posix.join(dir, glob) : dir;
    }
    return { kind: 'action', action: { ...common, type: 'read_file', path: target } };
  }
  if (FILE_WRITERS.has(tool)) {
    const target = text(toolInput, tool === 'NotebookEdit' ? 'notebook_path' : 'file_path', true) as string;
    const content = writtenContent(tool, toolInput);
    return {
      kind: 'action',
      action: { ...common, type: 'write_file', path: target, ...(content !== undefined ? { content } : {}) },
    };
  }
  const mcp = MCP_TOOL.exec(tool);
  if (mcp) {
    return {
      kind: 'action',
      action: {
        ...common,
        type: 'mcp_tool_call',
        mcp: { server: mcp[1] as string, tool: mcp[2] as string, arguments: toolInput },
      },
    };
  }
  return { kind: 'unmapped', tool, agent, correlationId: input.tool_use_id };
}
