export { startGate, DEFAULT_APPROVAL_WAIT_MS, DEFAULT_HTTP_PORT } from './gate';
export type { GateOptions, RunningGate } from './gate';
export type { GateHost } from './host';
export type { GateLimits } from './dispatcher';
export type { RecordedDecision } from './authority';
export { HTTP_PATHS } from './http-transport';
export { McpRegistry, checkServerName } from './mcp-trust';
export { mcpTrustHandlers } from './handlers';
