import fs from 'node:fs';
import net from 'node:net';
import type { GateLocation } from './client';
import { GATE_PROTOCOL_VERSION, GateLocationError, checkGateSocket } from './client';
import type { GateVerdict } from './authority';
import type { GateDispatcher, GateLimits } from './dispatcher';
import { socketRequestSchema } from './dispatcher';
import type { AgentCredential } from './credentials';
import type { VerifiedActor } from './dispatcher';
import { osUserName, socketPeer } from './peer-credentials';

/** Concurrent requests one connection may have open; more are answered deny. */
const MAX_REQUESTS_PER_CONNECTION = 64;
/** A connection with nothing in flight is closed after this long. */
const IDLE_CONNECTION_MS = 5 * 60_000;

function send(socket: net.Socket, message: Record<string, unknown>): void {
  if (socket.destroyed || !socket.writable) return;
  socket.write(`${JSON.stringify({ v: GATE_PROTOCOL_VERSION, ...message })}\n`);
}

function answer(socket: net.Socket, id: string | null, verdict: GateVerdict): void {
  send(socket, {
    id,
    type: 'answer',
    outcome: verdict.outcome,
    reason: verdict.reason,
    decision: verdict.decision,
    ...(verdict.containment ? { containment: verdict.containment } : {}),
  });
}

/** Is a gate already answering on this socket? (Then a second one must not take it over.) */
function socketInUse(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * The gate's Unix domain socket (a named pipe on Windows): newline-delimited JSON as
 * described in `client/wire.ts`, token-checked per request, in a 0700 directory with the
 * socket itself 0600. A line that is too long, not JSON, of another version or without the
 * token is answered deny and the connection is closed.
 */
export async function listenOnSocket(
  location: GateLocation,
  verify: (token: unknown) => AgentCredential | null,
  dispatcher: GateDispatcher,
  limits: GateLimits,
): Promise<net.Server> {
  if (process.platform !== 'win32' && fs.existsSync(location.socket)) {
    if (await socketInUse(location.socket)) {
      throw new GateLocationError(`another gate is already listening on ${location.socket}`);
    }
    fs.unlinkSync(location.socket);
  }
  const server = net.createServer((socket) => serveConnection(socket, verify, dispatcher, limits));
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(location.socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') {
    fs.chmodSync(location.socket, 0o600);
    checkGateSocket(location);
  }
  return server;
}

/** The OS user on the other end, from the kernel; a reason instead when it cannot be known. */
function peerActor(socket: net.Socket): VerifiedActor | string {
  try {
    const peer = socketPeer(socket);
    return { uid: peer.uid, name: osUserName(peer.uid), verifiedBy: 'peer_credentials', pid: peer.pid };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function serveConnection(
  socket: net.Socket,
  verify: (token: unknown) => AgentCredential | null,
  dispatcher: GateDispatcher,
  limits: GateLimits,
): void {
  socket.setEncoding('utf8');
  // Who connected is fixed at connect time; a peer that cannot be identified gets only denials.
  const actor = peerActor(socket);
  let buffer = '';
  let open = 0;
  let partialSince: NodeJS.Timeout | null = null;
  const waits = new Set<AbortController>();
  /** Answers deny (to the request, when its id is known) and closes: the connection is not trusted. */
  const refuse = (reason: string, id: string | null = null) => {
    answer(socket, id, { outcome: 'deny', reason, decision: null });
    socket.end();
  };
  socket.setTimeout(IDLE_CONNECTION_MS, () => {
    if (open === 0) socket.destroy();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (partialSince) clearTimeout(partialSince);
    // The adapter is gone: nobody will enforce an answer, so stop waiting for approvals.
    for (const wait of waits) wait.abort();
  });
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      handle(line);
      newline = buffer.indexOf('\n');
    }
    if (Buffer.byteLength(buffer) > limits.maxRequestBytes) {
      buffer = '';
      refuse(`CAVRA gate: request larger than ${limits.maxRequestBytes} bytes`);
      return;
    }
    if (buffer.length > 0 && !partialSince) {
      partialSince = setTimeout(() => {
        refuse(`CAVRA gate: request not completed within ${limits.receiveTimeoutMs} ms`);
      }, limits.receiveTimeoutMs);
    } else if (buffer.length === 0 && partialSince) {
      clearTimeout(partialSince);
      partialSince = null;
    }
  });

  function handle(line: string): void {
    if (line.trim() === '') return;
    if (Buffer.byteLength(line) > limits.maxRequestBytes) {
      return refuse(`CAVRA gate: request larger than ${limits.maxRequestBytes} bytes`);
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return refuse('CAVRA gate: the request is not JSON');
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return refuse('CAVRA gate: the request is not a JSON object');
    }
    const envelope = message as Record<string, unknown>;
    const id =
      typeof envelope.id === 'string' && envelope.id.length > 0 && envelope.id.length <= 128 ? envelope.id : null;
    if (envelope.v !== GATE_PROTOCOL_VERSION || id === null) {
      return refuse(`CAVRA gate: requests must carry "v": ${GATE_PROTOCOL_VERSION} and an "id"`);
    }
    const credential = verify(envelope.token);
    if (!credential) {
      return refuse('CAVRA gate: the request carries no valid gate token (an adapter credential of this install)', id);
    }
    if (typeof actor === 'string') {
      return refuse(`CAVRA gate: the OS user of this connection cannot be determined (${actor}), so it is denied`, id);
    }
    const parsed = socketRequestSchema.safeParse(envelope);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join('.') || 'request';
      return answer(socket, id, { outcome: 'deny', reason: `CAVRA gate: ${field}: ${issue?.message}`, decision: null });
    }
    if (open >= MAX_REQUESTS_PER_CONNECTION) {
      return answer(socket, id, {
        outcome: 'deny',
        reason: `CAVRA gate: more than ${MAX_REQUESTS_PER_CONNECTION} requests open on one connection`,
        decision: null,
      });
    }
    open += 1;
    const abort = new AbortController();
    let heartbeat: NodeJS.Timeout | null = null;
    void dispatcher
      .dispatch(
        parsed.data,
        { credential, actor },
        {
          signal: abort.signal,
          onPending: ({ requestId, waitMs }) => {
            waits.add(abort);
            send(socket, { id, type: 'pending', request_id: requestId, wait_ms: waitMs });
            heartbeat = setInterval(() => send(socket, { id, type: 'heartbeat' }), limits.heartbeatMs);
          },
        },
      )
      .then((verdict) => answer(socket, id, verdict))
      .finally(() => {
        open -= 1;
        waits.delete(abort);
        if (heartbeat) clearInterval(heartbeat);
      });
  }
}
