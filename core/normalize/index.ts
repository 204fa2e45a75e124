// The normalizer: the security boundary between raw agent actions and policy (SPEC §3).
export { normalizeAction } from './normalize';
export type { ContainmentContext, NormalizeOptions } from './normalize';
export { SHELL_PROGRAMS } from './shells';
export { isOptionWord, optionKind, programKey, programOptions } from './programs/options';
export { codeSource, inlineOption, interpreterSpec } from './programs/interpreters';
export type { CodeSource, InterpreterSpec } from './programs/interpreters';
export type { ProgramOptions } from './programs/options';
export { hasProgramSpec } from './programs/catalog';
export { takesShellCode } from './programs/registry';
export { gitConfigWrittenKey } from './programs/git-config';
export { emptyFileSystem, SHARED_ENTRY_MEMO } from './paths';
export type { SharedEntryMemo } from './paths';
export type { FileSystemProbe, PathLocation } from './paths';
export type {
  GitInvocation,
  GitPush,
  GitRefUpdate,
  McpCall,
  NormalizationProblem,
  NormalizedAction,
  NormalizedPath,
  SimpleCommand,
} from './types';
export { MCP_JUDGED_METHODS } from './mcp';
