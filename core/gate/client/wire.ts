/**
 * The gate's socket protocol: newline-delimited JSON (one JSON object per line, UTF-8).
 * JSON text never contains a raw newline, so a line is exactly one message; a missing final
 * newline means a truncated message. Several requests may share a connection; answers
 * carry the request's `id` and may arrive in any order.
 *
 * Client → gate, one line per request:
 *   {"v":1,"id":"…","token":"…","op":"decide","adapter":"exec","action":{…Action…}}
 *   {"v":1,"id":"…","token":"…","op":"claude-code","input":{…PreToolUse hook input…},"tenant":"…"}
 *   {"v":1,"id":"…","token":"…","op":"mcp.tools","tenant":"…","server":"…","tools":[…]}   fingerprint
 *   {"v":1,"id":"…","token":"…","op":"refusal","adapter":"…","reason":"…","agent":{…}}  recorded as a gap
 *   {"v":1,"id":"…","token":"…","op":"decide","adapter":"exec","contain":true,"action":{…}}  contained run
 *   {"v":1,"id":"…","token":"…","op":"containment","adapter":"exec","report":{…}}   what containment saw
 *   {"v":1,"id":"…","token":"…","op":"contain","adapter":"mcp-proxy","server":"…","cwd":"…"}  an MCP server's profile
 *
 *   A waiting adapter whose gate went away asks again on a new connection, naming the request
 *   it waited on and what is left of its own wait (same body as before, plus `resume`):
 *   {"v":1,"id":"…","token":"…","op":"claude-code","input":{…},"resume":{"request_id":"apr_…","wait_ms":41000}}
 *   The gate judges the action again and resumes the wait only when that request was raised by
 *   this same adapter credential (and OS user) for this same action and pack version; anything
 *   else is a deny. A resume never opens a new request and allows only after a recorded
 *   approval of that request is consumed by it.
 *
 * Gate → client, per request zero or more progress lines, then exactly one final line:
 *   {"v":1,"id":"…","type":"pending","request_id":"apr_…","wait_ms":120000}   approval awaited
 *   {"v":1,"id":"…","type":"heartbeat"}                                         still waiting
 *   {"v":1,"id":"…","type":"answer","outcome":"allow"|"deny","reason":"…","decision":{…}|null}
 *     an allow for a `contain` request adds "containment":{"enforcement":"sandbox","digest":"…",
 *     "profile":{…}} or {"enforcement":"judgement_only","reason":"…"}
 *
 * Anything else — another version, an unknown type, an outcome other than allow/deny, a
 * line longer than the limit, a connection closed early — is a deny on the client side.
 */
export const GATE_PROTOCOL_VERSION = 1;

/** A request carries at most one action (write_file content is limited to 4 MiB, escaped). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** A gate answer is a Decision and a reason; anything larger is not one. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** An approval request id as the gate names it in `pending` and the adapter in `resume`. */
export const APPROVAL_REQUEST_ID = /^apr_[0-9a-f-]{36}$/;
/** The longest wait a `resume` may ask for (a day; the gate bounds it by its own wait too). */
export const MAX_RESUME_WAIT_MS = 86_400_000;

/** `resume`: the request an adapter waited on before its gate went away, and what is left of its wait. */
export interface GateResume {
  request_id: string;
  wait_ms: number;
}

export type GateOutcome = 'allow' | 'deny';

export type GateOp = 'decide' | 'claude-code' | 'mcp.tools' | 'refusal' | 'containment' | 'contain';

/** A request body without the envelope fields (`v`, `id`, `token`) the client adds. */
export interface GateRequestBody {
  op: GateOp;
  [field: string]: unknown;
}

export interface GateAnswer {
  outcome: GateOutcome;
  reason: string;
  /** The gate's Decision (contract shape), or null when the gate could not decide. */
  decision: unknown;
  /**
   * True when the client made this answer up because the gate did not give one (not
   * running, timed out, garbage): adapters report these as failures (Claude Code: exit 2).
   */
  failed: boolean;
  /** With an allow for a contained command: the sandbox profile (or judgement-only), unchecked. */
  containment?: unknown;
}

export function failedAnswer(reason: string): GateAnswer {
  return { outcome: 'deny', reason, decision: null, failed: true };
}

/** The Claude Code PreToolUse hook output (SPEC §4) for an answer. */
export function claudeCodeHookOutput(outcome: GateOutcome, reason: string): string {
  return JSON.stringify({
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: outcome === 'allow' ? 'allow' : 'deny',
      permissionDecisionReason: reason,
    },
  });
}
