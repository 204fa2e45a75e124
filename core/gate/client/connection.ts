import net from 'node:net';
import crypto from 'node:crypto';
import { adapterTokenFile, checkGateSocket, gateLocation, readGateToken } from './location';
import type { GateAnswer, GateRequestBody, GateResume } from './wire';
import {
  APPROVAL_REQUEST_ID,
  GATE_PROTOCOL_VERSION,
  MAX_ANSWER_BYTES,
  MAX_REQUEST_BYTES,
  MAX_RESUME_WAIT_MS,
  failedAnswer,
} from './wire';

export interface GateClientOptions {
  /** CAVRA_HOME of the gate to ask. */
  home: string;
  connectTimeoutMs?: number;
  /** How long the gate may take to answer (or to say it awaits an approval). */
  answerTimeoutMs?: number;
  /** While an approval is awaited, the longest silence allowed (the gate sends heartbeats). */
  idleTimeoutMs?: number;
  /** The longest approval wait this adapter accepts, whatever the gate says. */
  maxWaitMs?: number;
  onPending?: (pending: { requestId: string; waitMs: number }) => void;
  /** The tenant the adapter acts in: its enrolled credential is presented when there is one. */
  tenant?: string;
  /** A credential file to present instead (CAVRA_AGENT_TOKEN_FILE; see adapterTokenFile). */
  tokenFile?: string;
}

export const CLIENT_DEFAULTS = {
  connectTimeoutMs: 2_000,
  answerTimeoutMs: 10_000,
  idleTimeoutMs: 20_000,
  maxWaitMs: 60 * 60_000,
} as const;

/**
 * An adapter's client options: CAVRA_GATE_TIMEOUT_MS (100–600000) bounds how long it waits
 * for the gate's answer before it denies; approval waits are announced by the gate and
 * bounded separately.
 */
export function clientOptions(home: string, env: NodeJS.ProcessEnv, tenant?: string): GateClientOptions {
  const timeout = Number(env.CAVRA_GATE_TIMEOUT_MS);
  const answerTimeoutMs = Number.isInteger(timeout) && timeout >= 100 && timeout <= 600_000 ? timeout : undefined;
  return {
    home,
    ...(answerTimeoutMs === undefined ? {} : { answerTimeoutMs }),
    ...(tenant ? { tenant } : {}),
    ...(env.CAVRA_AGENT_TOKEN_FILE ? { tokenFile: env.CAVRA_AGENT_TOKEN_FILE } : {}),
  };
}

/** Time the gate gets beyond its announced wait to send the final answer. */
const PENDING_GRACE_MS = 10_000;
/** Re-attaching to a restarted gate: first retry after this long, then doubling up to the cap. */
const REATTACH_FIRST_DELAY_MS = 100;
const REATTACH_MAX_DELAY_MS = 1_000;

/**
 * An approval this adapter waits on, as the gate announced it, and when the adapter's own wait
 * ends (monotonic clock: `performance.now()`, so a wall-clock jump cannot stretch it).
 */
interface AwaitedApproval {
  requestId: string;
  waitEndsAt: number;
}

/** The connection went away (closed, reset) rather than answering wrongly: a waiting adapter may re-attach. */
class ConnectionLost extends Error {}

interface Waiter {
  options: GateClientOptions;
  settle: (answer: GateAnswer | Error, awaited: AwaitedApproval | null) => void;
  timer: NodeJS.Timeout | null;
  deadline: NodeJS.Timeout | null;
  awaited: AwaitedApproval | null;
  /** A re-attach: the approval the gate must name, and the end of the wait it continues. */
  resumes: AwaitedApproval | null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One connection to the gate socket, shared by any number of requests. Every way this can
 * go wrong — no gate, a gate that hangs, dies or answers garbage — ends a decide request
 * in a deny with a reason; nothing here resolves to allow unless the gate said so in a
 * well-formed answer to that very request.
 */
export class GateConnection {
  private readonly waiters = new Map<string, Waiter>();
  private buffer = '';
  private closedReason: string | null = null;

  private constructor(
    private readonly socket: net.Socket,
    private readonly token: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('end', () => {
      if (this.buffer.length > 0) this.fail('the gate answer was truncated');
      else this.fail('the gate closed the connection', true);
    });
    socket.on('error', (error) => this.fail(`the gate connection failed (${error.message})`, true));
    socket.on('close', () => this.fail('the gate closed the connection', true));
  }

  /** Connects after checking the socket and token files; rejects with the reason otherwise. */
  static async open(options: GateClientOptions): Promise<GateConnection> {
    const location = gateLocation(options.home);
    checkGateSocket(location);
    const token = readGateToken(location, adapterTokenFile(location, options.tenant, options.tokenFile));
    const timeoutMs = options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(location.socket);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`the gate did not accept a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(gateConnectError(error)));
      });
    });
    return new GateConnection(socket, token);
  }

  /** Asks the gate. Never rejects: every failure is a deny answer with `failed: true`. */
  ask(body: GateRequestBody, options: GateClientOptions): Promise<GateAnswer> {
    return new Promise((resolve) => {
      this.send(body, options, null, (result) =>
        resolve(result instanceof Error ? failedAnswer(result.message) : result),
      );
    });
  }

  /**
   * One request, with what `askGate` needs to re-attach: the approval it was waiting on when
   * the connection went away. `resumes` continues an earlier wait on that approval.
   */
  exchange(
    body: GateRequestBody,
    options: GateClientOptions,
    resumes: AwaitedApproval | null,
  ): Promise<{ result: GateAnswer | Error; awaited: AwaitedApproval | null }> {
    return new Promise((resolve) => {
      this.send(body, options, resumes, (result, awaited) => resolve({ result, awaited }));
    });
  }

  close(): void {
    this.closedReason ??= 'the client closed the connection';
    this.socket.end();
    this.socket.destroy();
  }

  private send(
    body: GateRequestBody,
    options: GateClientOptions,
    resumes: AwaitedApproval | null,
    settle: Waiter['settle'],
  ): void {
    if (this.closedReason) {
      settle(new Error(this.closedReason), null);
      return;
    }
    const id = crypto.randomUUID();
    let line: string;
    try {
      line = `${JSON.stringify({ ...body, v: GATE_PROTOCOL_VERSION, id, token: this.token })}\n`;
    } catch {
      settle(new Error('the request could not be encoded as JSON'), null);
      return;
    }
    if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) {
      settle(new Error(`the request is larger than ${MAX_REQUEST_BYTES} bytes`), null);
      return;
    }
    const waiter: Waiter = { options, settle, timer: null, deadline: null, awaited: null, resumes };
    const answerMs = options.answerTimeoutMs ?? CLIENT_DEFAULTS.answerTimeoutMs;
    waiter.timer = setTimeout(
      () => this.finish(id, new Error(`the gate did not answer within ${answerMs} ms`)),
      answerMs,
    );
    this.waiters.set(id, waiter);
    this.socket.write(line);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.handleLine(line);
      newline = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_ANSWER_BYTES) {
      this.fail(`the gate sent a line longer than ${MAX_ANSWER_BYTES} bytes`);
      this.socket.destroy();
    }
  }

  private handleLine(line: string): void {
    if (Buffer.byteLength(line) > MAX_ANSWER_BYTES) {
      this.fail(`the gate sent a line longer than ${MAX_ANSWER_BYTES} bytes`);
      this.socket.destroy();
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.fail('the gate sent a line that is not JSON');
      this.socket.destroy();
      return;
    }
    if (
      isObject(message) &&
      message.v === GATE_PROTOCOL_VERSION &&
      message.id === null &&
      message.type === 'answer' &&
      typeof message.reason === 'string'
    ) {
      // The gate refused the connection itself (an unreadable request): every request here is denied.
      this.fail(`the gate refused the request: ${message.reason.slice(0, 500)}`);
      return;
    }
    if (!isObject(message) || message.v !== GATE_PROTOCOL_VERSION || typeof message.id !== 'string') {
      // An answer we cannot attribute poisons the connection: no request may be guessed.
      this.fail('the gate sent a message that is not a version-1 gate message');
      this.socket.destroy();
      return;
    }
    const id = message.id;
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    switch (message.type) {
      case 'pending':
        return this.onPending(id, waiter, message);
      case 'heartbeat':
        if (waiter.deadline) this.armIdle(id, waiter);
        return;
      case 'answer':
        return this.finish(id, parseAnswer(message));
      default:
        return this.finish(id, new Error('the gate sent a message of an unknown type'));
    }
  }

  private onPending(id: string, waiter: Waiter, message: Record<string, unknown>): void {
    const waitMs = message.wait_ms;
    const requestId = message.request_id;
    if (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0 || typeof requestId !== 'string') {
      return this.finish(id, new Error('the gate sent a malformed pending message'));
    }
    if (!APPROVAL_REQUEST_ID.test(requestId)) {
      return this.finish(id, new Error('the gate sent a pending message without a valid request id'));
    }
    if (waiter.resumes && waiter.resumes.requestId !== requestId) {
      // A re-attach continues one approval; a gate naming another is not continuing it.
      return this.finish(id, new Error(`the gate re-attached to ${requestId}, not to ${waiter.resumes.requestId}`));
    }
    const cap = waiter.options.maxWaitMs ?? CLIENT_DEFAULTS.maxWaitMs;
    const now = performance.now();
    // A re-attached wait ends when the first one would have: restarts never lengthen it.
    const waitEndsAt = Math.min(now + Math.min(waitMs, cap), waiter.resumes?.waitEndsAt ?? Infinity);
    waiter.awaited = { requestId, waitEndsAt };
    const total = Math.max(0, waitEndsAt - now) + PENDING_GRACE_MS;
    if (waiter.deadline) clearTimeout(waiter.deadline);
    waiter.deadline = setTimeout(
      () => this.finish(id, new Error(`approval ${requestId} was not decided within ${Math.round(total / 1000)} s`)),
      total,
    );
    this.armIdle(id, waiter);
    try {
      waiter.options.onPending?.({ requestId, waitMs: Math.max(0, Math.round(waitEndsAt - now)) });
    } catch {
      // A failing progress callback must not change the outcome.
    }
  }

  private armIdle(id: string, waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    const idleMs = waiter.options.idleTimeoutMs ?? CLIENT_DEFAULTS.idleTimeoutMs;
    waiter.timer = setTimeout(
      () => this.finish(id, new Error(`the gate went silent for ${idleMs} ms while an approval was awaited`)),
      idleMs,
    );
  }

  private finish(id: string, result: GateAnswer | Error): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    if (waiter.timer) clearTimeout(waiter.timer);
    if (waiter.deadline) clearTimeout(waiter.deadline);
    waiter.settle(result, waiter.awaited ?? waiter.resumes);
  }

  private fail(reason: string, lost = false): void {
    this.closedReason ??= reason;
    for (const id of [...this.waiters.keys()]) this.finish(id, lost ? new ConnectionLost(reason) : new Error(reason));
  }
}

/** An answer counts only when it is exactly allow or deny with a reason; anything else denies. */
function parseAnswer(message: Record<string, unknown>): GateAnswer | Error {
  const { outcome, reason } = message;
  if (outcome !== 'allow' && outcome !== 'deny') return new Error('the gate sent an answer without a valid outcome');
  if (typeof reason !== 'string' || reason.length === 0) return new Error('the gate sent an answer without a reason');
  const decision = isObject(message.decision) ? message.decision : null;
  return {
    outcome,
    reason,
    decision,
    failed: false,
    ...(message.containment !== undefined ? { containment: message.containment } : {}),
  };
}

function gateConnectError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
    return 'the gate is not running (start it with "cavra gate serve" or open the console)';
  }
  if (error.code === 'EACCES' || error.code === 'EPERM') return 'the gate socket refused this user';
  return `the gate could not be reached (${error.code ?? error.message})`;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Connects again to a gate that went away while an approval was awaited: bounded retries
 * (100 ms doubling to 1 s) until the adapter's own wait ends, then the last reason.
 */
async function reconnect(options: GateClientOptions, awaited: AwaitedApproval): Promise<GateConnection> {
  let delay = REATTACH_FIRST_DELAY_MS;
  let last = 'the gate went away';
  for (;;) {
    const left = awaited.waitEndsAt - performance.now();
    if (left <= 0) throw new Error(last);
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    const connectTimeoutMs = Math.max(
      100,
      Math.min(options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs, left),
    );
    try {
      return await GateConnection.open({ ...options, connectTimeoutMs });
    } catch (error) {
      last = describe(error);
    }
    delay = Math.min(delay * 2, REATTACH_MAX_DELAY_MS);
  }
}

function resumed(body: GateRequestBody, awaited: AwaitedApproval): GateRequestBody {
  const waitMs = Math.floor(awaited.waitEndsAt - performance.now());
  const resume: GateResume = {
    request_id: awaited.requestId,
    wait_ms: Math.min(Math.max(0, waitMs), MAX_RESUME_WAIT_MS),
  };
  return { ...body, resume };
}

/**
 * One request on a fresh connection. Never rejects; a failure is a deny with `failed: true`.
 * When the connection is lost while an approval is awaited (the gate was restarted), the
 * same request is asked again with `resume` — on the same approval, within what is left of
 * this adapter's wait — and only the restarted gate's answer counts. A gate that does not
 * come back in time is a deny.
 */
export async function askGate(body: GateRequestBody, options: GateClientOptions): Promise<GateAnswer> {
  let awaited: AwaitedApproval | null = null;
  for (;;) {
    let connection: GateConnection;
    try {
      connection = awaited ? await reconnect(options, awaited) : await GateConnection.open(options);
    } catch (error) {
      return failedAnswer(
        awaited
          ? `CAVRA gate unavailable: the gate went away while approval ${awaited.requestId} was awaited and did not come back within the wait (${describe(error)})`
          : `CAVRA gate unavailable: ${describe(error)}`,
      );
    }
    let outcome: { result: GateAnswer | Error; awaited: AwaitedApproval | null };
    try {
      outcome = await connection.exchange(awaited ? resumed(body, awaited) : body, options, awaited);
    } finally {
      connection.close();
    }
    const { result } = outcome;
    if (!(result instanceof Error)) return result;
    if (result instanceof ConnectionLost && outcome.awaited) {
      if (outcome.awaited.waitEndsAt > performance.now()) {
        awaited = outcome.awaited;
        continue;
      }
      return failedAnswer(
        `CAVRA gate failure: the gate went away while approval ${outcome.awaited.requestId} was awaited, and the wait is over (${result.message})`,
      );
    }
    return failedAnswer(`CAVRA gate failure: ${result.message}`);
  }
}
