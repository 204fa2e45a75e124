import type { Principal, ResponseEnvelope } from '../contract';

interface Invoker {
  invoke(principal: Principal | null, request: unknown): Promise<ResponseEnvelope>;
}

/** Operations whose results the shell keeps for itself: the page never holds a session id. */
const SIGN_IN_OPS = new Set(['session.local', 'session.complete']);
const MAX_PENDING = 20;

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
      input?: Record<string, unknown> | null;
    };
    const op = typeof envelope.op === 'string' ? envelope.op : '';
    if (op === 'session.complete' || op === 'session.resume') {
      return { ok: false, error: { code: 'forbidden', message: `${op} is done by the console shell, not the page` } };
    }
    if (op === 'session.logout') return this.logout();
    // The IdP may only send the browser back to this shell's own loopback callback.
    const sent =
      op === 'session.begin'
        ? { ...envelope, input: { ...(envelope.input ?? {}), redirectUri: this.callbackUrl() } }
        : request;
    const response = await this.core.invoke(this.current, sent);
    if (!response.ok) return response;
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
  async complete(
    callbackUrl: string,
  ): Promise<
    { ok: true; test: boolean; user: string; groups: string[]; roles: string[] } | { ok: false; message: string }
  > {
    const state = new URL(callbackUrl).searchParams.get('state') ?? '';
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
    return { ok: true, test: value.test, user: value.principal.displayName, groups: value.groups, roles: value.roles };
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
