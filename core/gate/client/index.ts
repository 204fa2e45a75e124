// The gate client: what every adapter links, including the Claude Code hook, whose start-up
// time matters. It imports Node built-ins only (no zod, SQLite, YAML or shell parser);
// `cli/hook/claude-code.test.ts` checks the built hook bundle for that.
export { GateConnection, askGate, clientOptions, CLIENT_DEFAULTS } from './connection';
export type { GateClientOptions } from './connection';
export {
  GateLocationError,
  adapterTokenFile,
  agentTokenFile,
  checkGateDir,
  checkGateSocket,
  gateLocation,
  readGateToken,
} from './location';
export type { GateLocation } from './location';
export {
  APPROVAL_REQUEST_ID,
  GATE_PROTOCOL_VERSION,
  MAX_ANSWER_BYTES,
  MAX_REQUEST_BYTES,
  MAX_RESUME_WAIT_MS,
  claudeCodeHookOutput,
  failedAnswer,
} from './wire';
export type { GateAnswer, GateOp, GateOutcome, GateRequestBody, GateResume } from './wire';
