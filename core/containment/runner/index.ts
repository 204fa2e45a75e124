// The sandbox runner: what `cavra exec` and `cavra mcp-proxy` link to run a command inside
// a profile. Node built-ins only (the exec adapter bundle stays small); the profile itself
// is compiled by the gate (core/containment).
export { PROFILE_VERSION, ProfileError, parseGrant, parseProfile } from './profile';
export type { CompiledGlob, ContainmentGrant, ContainmentProfile, HostGrant } from './profile';
export {
  SANDBOX_HOME,
  SANDBOX_PROXY_PORT,
  SANDBOX_PROXY_SOCKET,
  homesOf,
  planSandbox,
  sandboxEnvironment,
} from './linux';
export type { PlanOptions, SandboxPlan } from './linux';
export { JUDGEMENT_ONLY_HINT, probeSandbox, systemTool } from './probe';
export type { SandboxProbe } from './probe';
export { grantFor, serverNameOf, startFilterProxy } from './proxy';
export type { FilterProxy, FilterProxyOptions, ProxyDenial } from './proxy';
export { SandboxUnavailableError, prepareSandbox, runContained, toolsFor } from './run';
export type { ContainOptions, ContainedRun, PreparedSandbox, SandboxTools } from './run';
export { scanWorkspace } from './workspace-scan';
