import type { Handler, OperationName, TenantCallContext } from '../contract';
import { ContractError, errorCodes } from '../contract';
import type { ErrorCode } from '../contract';
import { ControlPlaneClient, ControlPlaneRefusedError, ControlPlaneUnreachableError } from './client';
import type { Connection } from './connection';
import { INVOKE_PATH, TENANT_HEADER } from './wire';

/** The approval operations a console serves from the control plane for a connected tenant. */
export const REMOTE_APPROVAL_OPS = [
  'approvals.list',
  'approvals.page',
  'approvals.get',
  'approvals.decide',
  // Step-up: the server began the IdP sign-in when it answered `approvals.decide`, holds its
  // nonce and PKCE verifier, and checks the IdP's answer against the tenant's IdP itself.
  'approvals.attest',
  'approvals.cancel',
  'approvals.breakGlass',
] as const;
type RemoteOp = (typeof REMOTE_APPROVAL_OPS)[number];

export interface RemoteApprovalsLink {
  /** The tenant's membership of a control plane, or null when it is standalone. */
  connection(tenant: string): Connection | null;
  /** The ID token of a stored sign-in, refreshed when it has expired. */
  bearerFor(sessionId: string): Promise<{ tenant: string; idToken: string; principal: string }>;
}

type SessionOps = 'session.complete' | 'session.resume' | 'session.logout';

/**
 * Which stored sign-in a principal's calls come from, in this process's memory only. A
 * principal carries a reference to its session (`ses_…`), never the session id the shell
 * holds; the reviewer's bearer for the control plane is that sign-in's ID token, so the core
 * remembers the id when the shell completes or resumes the sign-in through it, and forgets
 * it at logout. Nothing is stored: after a restart the shell's resume fills it again.
 */
export class ReviewerSessions {
  private readonly byRef = new Map<string, string>();

  sessionOf(principal: { session?: string | null }): string | null {
    return principal.session ? (this.byRef.get(principal.session) ?? null) : null;
  }

  /** The session handlers, noting each sign-in they complete or resume and each they end. */
  watch<H extends { [K in SessionOps]: Handler<K> }>(handlers: H): H {
    const note = (signedIn: { sessionId: string; principal: { session?: string | null } }) => {
      if (!signedIn.principal.session) return;
      if (this.byRef.size >= 10_000) this.byRef.clear();
      this.byRef.set(signedIn.principal.session, signedIn.sessionId);
    };
    const complete = handlers['session.complete'];
    const resume = handlers['session.resume'];
    const logout = handlers['session.logout'];
    return {
      ...handlers,
      'session.complete': (async (ctx, input) => {
        const signedIn = await complete(ctx, input);
        note(signedIn);
        return signedIn;
      }) as Handler<'session.complete'>,
      'session.resume': (async (ctx, input) => {
        const signedIn = await resume(ctx, input);
        note(signedIn);
        return signedIn;
      }) as Handler<'session.resume'>,
      'session.logout': (async (ctx, input) => {
        for (const [ref, id] of this.byRef) if (id === input.sessionId) this.byRef.delete(ref);
        return logout(ctx, input);
      }) as Handler<'session.logout'>,
    };
  }
}

/** How long a reviewer's call to the control plane may take before the console says it is unreachable. */
const REMOTE_CALL_MS = 20_000;

function contractError(error: unknown, base: string): ContractError {
  if (error instanceof ControlPlaneRefusedError) {
    const code = (errorCodes as readonly string[]).includes(error.code) ? (error.code as ErrorCode) : 'unavailable';
    return new ContractError(code, error.message);
  }
  if (error instanceof ControlPlaneUnreachableError) {
    return new ContractError(
      'unavailable',
      `${error.message}. The approval queue of this tenant is on the control plane at ${base}; nothing was decided here`,
    );
  }
  return new ContractError('internal', error instanceof Error ? error.message : String(error));
}

/**
 * Marks the requests of an answer from the control plane: their record numbers are the central
 * ledger's, so a screen must not take them for this install's records of the same numbers.
 */
function inCentralLedger(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const answer = value as Record<string, unknown>;
  const mark = (request: unknown) =>
    typeof request === 'object' && request !== null ? { ...request, recordsIn: 'central' } : request;
  // approvals.list and approvals.page answer {requests: […]}; the others one request.
  if (Array.isArray(answer.requests)) return { ...answer, requests: answer.requests.map(mark) };
  return mark(answer);
}

/**
 * The console's approvals source (SPEC §14): one seam, so no screen knows where the queue is.
 * For a tenant this install is connected for, the approval operations go to the control plane's
 * contract route as the signed-in reviewer — their stored sign-in's ID token as the bearer —
 * so the server's one guard decides who may list, approve or deny, and a verdict lands on the
 * shared desk every machine waits on. The local guard has already run (the reviewer's role in
 * the tenant here); it is a first wall, never the only one. Standalone tenants use the local
 * desk's handlers. An attested verdict takes the same road: `approvals.decide` begins the
 * step-up on the server (its nonce commits to the server's request), the IdP redirects to this
 * machine's loopback, and `approvals.attest` hands that redirect to the server, which completes
 * the sign-in with the IdP, checks it names the same reviewer, and records the verdict. The queue's
 * changes arrive through RemoteApprovalEvents (remote-events.ts), the server's event stream.
 */
export function connectedApprovalHandlers<H extends { [K in RemoteOp]: Handler<K> }>(
  local: H,
  link: RemoteApprovalsLink,
  sessions: ReviewerSessions,
): H {
  const remote = <K extends RemoteOp>(op: K): Handler<K> =>
    (async (call: Parameters<Handler<K>>[0], input: Parameters<Handler<K>>[1]) => {
      // Every approval operation is tenant-scoped: the dispatcher checked the caller's role in ctx.tenant.
      const ctx = call as TenantCallContext;
      const connection = link.connection(ctx.tenant);
      if (!connection) return (local[op] as Handler<K>)(call, input);
      const session = sessions.sessionOf(ctx.principal);
      if (ctx.principal.kind !== 'human' || !session) {
        throw new ContractError(
          'forbidden',
          `The approvals of tenant "${ctx.tenant}" are on the control plane at ${connection.server}; sign in to the console at the tenant's IdP to review them`,
        );
      }
      let bearer: { tenant: string; idToken: string };
      try {
        bearer = await link.bearerFor(session);
      } catch (error) {
        throw new ContractError(
          'unauthenticated',
          `Your sign-in cannot be presented to the control plane: ${error instanceof Error ? error.message : String(error)}; sign in again`,
        );
      }
      if (bearer.tenant !== ctx.tenant) {
        throw new ContractError('forbidden', `Your sign-in is for tenant "${bearer.tenant}", not "${ctx.tenant}"`);
      }
      const client = new ControlPlaneClient(connection.server, { ca: connection.ca, timeoutMs: REMOTE_CALL_MS });
      try {
        const answer = await client.call<{ ok: true; value: unknown }>(
          'POST',
          INVOKE_PATH,
          { op, tenant: ctx.tenant, input },
          { bearer: bearer.idToken, headers: { [TENANT_HEADER]: ctx.tenant } },
        );
        // The local dispatcher validates the value against the operation's output schema.
        return inCentralLedger(answer.value) as Awaited<ReturnType<Handler<K>>>;
      } catch (error) {
        throw contractError(error, connection.server);
      }
    }) as Handler<K>;
  const handlers = { ...local };
  for (const op of REMOTE_APPROVAL_OPS) (handlers as Record<OperationName, unknown>)[op] = remote(op);
  return handlers;
}
