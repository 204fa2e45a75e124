// The normalizer: the security boundary between raw agent actions and policy (SPEC §3).
export { normalizeAction } from './normalize';
export type { NormalizeOptions } from './normalize';
export { SHELL_PROGRAMS } from './shells';
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
