import type { Principal, ResponseEnvelope } from '../contract';

interface Invoker {
  invoke(principal: Principal | null, request: unknown): Promise<ResponseEnvelope>;
}

/** Operations whose results the shell keeps for itself: the page never holds a session id. */
const SIGN_IN_OPS = new Set(['session.local', 'session.complete']);
/**
 * Verdicts that may need a fresh IdP sign-in (attested approval routes, SPEC §5): the shell
 * fixes their redirect to its own callback, as for a sign-in, and finishes them there.
 */
const STEP_UP_OPS = new Set(['approvals.decide', 'approvals.breakGlass']);
const MAX_PENDING = 20;

/** A verdict waiting for its step-up sign-in, by the OAuth state of that sign-in. */
interface PendingStepUp {
  flowId: string;
  tenant: string;
  requestId: string;
  verdict: 'approve' | 'deny';
}

/** What the IdP's redirect to the shell's callback came to. */
export type CallbackOutcome =
  | { ok: true; kind: 'sign-in'; test: boolean; user: string; groups: string[]; roles: string[] }
  | { ok: true; kind: 'step-up'; tenant: string; requestId: string; verdict: 'approve' | 'deny' }
  | { ok: false; message: string; stepUp?: { tenant: string; requestId: string } };

/**
 * Where the console goes back to after a step-up sign-in: the queue with the decided request
 * open and the outcome in the address, so the page can say what happened and keep the
 * reviewer's place (`#/approvals/apr_…?tenant=acme&stepup=approve`).
 */
export function stepUpReturnLink(outcome: CallbackOutcome): string | null {
  const step = outcome.ok ? (outcome.kind === 'step-up' ? outcome : null) : (outcome.stepUp ?? null);
  if (!step) return null;
  const query = new URLSearchParams({ tenant: step.tenant });
  if (outcome.ok && outcome.kind === 'step-up') query.set('stepup', outcome.verdict);
  else if (!outcome.ok) {
    query.set('stepup', 'failed');
    query.set('stepupError', outcome.message.slice(0, 500));
  }
  return `#/approvals/${encodeURIComponent(step.requestId)}?${query.toString()}`;
}

/**
 * Where the console goes after any redirect to the shell's callback, for both shells (Electron
 * main and the browser-mode host): a step-up back to its request in the queue; a sign-in to the
 * console's start, a test sign-in with its outcome in the fragment only (it opens no session);
 * a failed sign-in nowhere (the shell shows the message). The link is relative to the
 * console's entry (`#…`, or '' for the start).
 */
export function callbackReturnLink(outcome: CallbackOutcome): string | null {
  const back = stepUpReturnLink(outcome);
  if (back !== null) return back;
  if (!outcome.ok || outcome.kind !== 'sign-in') return null;
  if (!outcome.test) return '';
  const test = new URLSearchParams({
    'sso-test': 'ok',
    user: outcome.user,
    groups: outcome.groups.join(','),
    roles: outcome.roles.join(','),
  });
  return `#${test.toString()}`;
}

/**
 * The console's signed-in user, as a shell (Electron main, the browser-mode host) keeps it:
 * every call from the page goes to the core as this principal. Sign-in results are kept here,
 * never handed to the page (a session id is a bearer secret); a sign-in must come back to the
 * shell's own loopback callback; logging out ends the shell's session.
 */
export class ConsoleSession {
  private current: Principal | null = null;
  private sessionId: string | null = null;
  /** Sign-ins begun from this console, by their OAuth state. */
  private readonly pending = new Map<string, string>();
  /** Step-up sign-ins for attested verdicts begun from this console, by their OAuth state. */
  private readonly stepUps = new Map<string, PendingStepUp>();

  constructor(
    private readonly core: Invoker,
    /** The loopback URL the IdP must redirect to (RFC 8252), e.g. http://127.0.0.1:<port>/auth/callback. */
    private readonly callbackUrl: () => string,
    /** Told when a sign-in began, with the URL to open (Electron: the system browser). */
    private readonly onBegin?: (authorizationUrl: string) => void,
  ) {}

  principal(): Principal | null {
    return this.current;
  }

  async signInLocally(): Promise<void> {
    const local = await this.core.invoke(null, { op: 'session.local', tenant: null, input: {} });
    if (!local.ok) throw new Error(`local evaluation sign-in failed: ${local.error.message}`);
    this.keep(local.value as { sessionId: string; principal: Principal });
  }

  async invoke(request: unknown): Promise<ResponseEnvelope> {
    const envelope = (typeof request === 'object' && request !== null ? request : {}) as {
      op?: unknown;
      tenant?: unknown;
      input?: Record<string, unknown> | null;
    };
    const op = typeof envelope.op === 'string' ? envelope.op : '';
    if (op === 'session.complete' || op === 'session.resume' || op === 'approvals.attest') {
      return { ok: false, error: { code: 'forbidden', message: `${op} is done by the console shell, not the page` } };
    }
    if (op === 'session.logout') return this.logout();
    // The IdP may only send the browser back to this shell's own loopback callback.
    const sent =
      op === 'session.begin' || STEP_UP_OPS.has(op)
        ? { ...envelope, input: { ...(envelope.input ?? {}), redirectUri: this.callbackUrl() } }
        : request;
    const response = await this.core.invoke(this.current, sent);
    if (!response.ok) return response;
    if (STEP_UP_OPS.has(op)) {
      this.rememberStepUp(
        envelope,
        response.value as { id: string; stepUp?: { flowId: string; authorizationUrl: string } },
      );
      return response;
    }
    if (SIGN_IN_OPS.has(op)) {
      const { sessionId: _kept, ...shown } = this.keep(response.value as { sessionId: string; principal: Principal });
      return { ok: true, value: shown };
    }
    if (op === 'session.begin') {
      const value = response.value as { flowId: string; authorizationUrl: string };
      const state = new URL(value.authorizationUrl).searchParams.get('state');
      if (state) this.pending.set(state, value.flowId);
      if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
      this.onBegin?.(value.authorizationUrl);
    }
    return response;
  }

  /**
   * The IdP's redirect to the shell's loopback callback. The core checks state, PKCE, nonce and
   * the ID token; a redirect whose state this console did not begin is still checked against a
   * pending sign-in, so it fails with the core's "mismatched state" rather than silently.
   */
  async complete(callbackUrl: string): Promise<CallbackOutcome> {
    const state = new URL(callbackUrl).searchParams.get('state') ?? '';
    const stepUp = this.stepUps.get(state);
    if (stepUp) {
      this.stepUps.delete(state);
      return this.completeStepUp(stepUp, callbackUrl);
    }
    const flowId = this.pending.get(state) ?? this.pending.values().next().value ?? 'flow_none';
    this.pending.delete(state);
    const completed = await this.core.invoke(null, {
      op: 'session.complete',
      tenant: null,
      input: { flowId, callbackUrl },
    });
    if (!completed.ok) return { ok: false, message: completed.error.message };
    const value = completed.value as {
      sessionId: string;
      principal: Principal;
      test: boolean;
      groups: string[];
      roles: string[];
    };
    if (!value.test) this.keep(value);
    return {
      ok: true,
      kind: 'sign-in',
      test: value.test,
      user: value.principal.displayName,
      groups: value.groups,
      roles: value.roles,
    };
  }

  /** A verdict whose answer asked for a step-up: its sign-in will come back to this shell. */
  private rememberStepUp(
    envelope: { tenant?: unknown; input?: Record<string, unknown> | null },
    value: { id: string; stepUp?: { flowId: string; authorizationUrl: string } },
  ): void {
    if (!value.stepUp || typeof envelope.tenant !== 'string') return;
    const state = new URL(value.stepUp.authorizationUrl).searchParams.get('state');
    if (!state) return;
    this.stepUps.set(state, {
      flowId: value.stepUp.flowId,
      tenant: envelope.tenant,
      requestId: value.id,
      verdict: envelope.input?.verdict === 'deny' ? 'deny' : 'approve',
    });
    if (this.stepUps.size > MAX_PENDING) this.stepUps.delete(this.stepUps.keys().next().value as string);
    this.onBegin?.(value.stepUp.authorizationUrl);
  }

  /**
   * The step-up sign-in came back: the core checks the ID token is fresh, names the signed-in
   * reviewer and commits to this request, action and verdict, then records the verdict with it.
   */
  private async completeStepUp(stepUp: PendingStepUp, callbackUrl: string): Promise<CallbackOutcome> {
    const where = { tenant: stepUp.tenant, requestId: stepUp.requestId };
    if (!this.current) return { ok: false, message: 'Nobody is signed in to this console any more', stepUp: where };
    const attested = await this.core.invoke(this.current, {
      op: 'approvals.attest',
      tenant: stepUp.tenant,
      input: { flowId: stepUp.flowId, callbackUrl },
    });
    if (!attested.ok) return { ok: false, message: attested.error.message, stepUp: where };
    return { ok: true, kind: 'step-up', ...where, verdict: stepUp.verdict };
  }

  private async logout(): Promise<ResponseEnvelope> {
    const sessionId = this.sessionId;
    const principal = this.current;
    this.current = null;
    this.sessionId = null;
    if (!sessionId) return { ok: true, value: { endSessionUrl: null } };
    return this.core.invoke(principal, { op: 'session.logout', tenant: null, input: { sessionId } });
  }

  private keep<T extends { sessionId: string; principal: Principal }>(value: T): T {
    this.current = value.principal;
    this.sessionId = value.sessionId;
    return value;
  }
}
