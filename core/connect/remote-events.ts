import type { WebSocket } from 'ws';
import { events } from '../contract';
import type { EventPayload, Principal } from '../contract';
import type { RemoteApprovalsLink, ReviewerSessions } from './remote-approvals-source';
import { parseServerUrl, serverBase } from './server-url';
import { TENANT_HEADER } from './wire';

/** The control plane's event stream (core/server/events.ts serves it). */
const EVENTS_PATH = '/v1/events';
/** Between attempts to reopen a stream that closed or could not open. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** The server's events are small; anything larger is not one of them. */
const MAX_MESSAGE_BYTES = 4 * 1024;

type ApprovalChange = EventPayload<'approvals.changed'>;

interface Stream {
  watchers: number;
  socket: WebSocket | null;
  retry: ReturnType<typeof setTimeout> | null;
  delay: number;
  closed: boolean;
}

/**
 * Live approval events from the control plane for a connected tenant's queue (SPEC §14): while
 * a signed-in reviewer's console is subscribed, one WebSocket per (sign-in, tenant) to the
 * server's `/v1/events`, authenticated with that sign-in's ID token exactly as the approval
 * operations are, relays each `approvals.changed` of that tenant into this core's event bus, so
 * the queue refetches through the one event table instead of waiting for its poll. Only that
 * event is relayed, each payload checked against the contract and against the tenant the
 * stream is for; a closed stream reopens with backoff (with a fresh ID token); nothing is
 * decided from an event — it only says "ask again".
 */
export class RemoteApprovalEvents {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly link: RemoteApprovalsLink,
    private readonly sessions: ReviewerSessions,
    private readonly emit: (tenant: string, payload: ApprovalChange) => void,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Relays while the returned function has not been called; tenants not connected are left alone. */
  watch(principal: Principal, tenants: readonly string[]): () => void {
    const session = principal.kind === 'human' ? this.sessions.sessionOf(principal) : null;
    if (!session) return () => undefined;
    const keys: string[] = [];
    for (const tenant of tenants) {
      if (!this.link.connection(tenant)) continue;
      const key = `${session}\n${tenant}`;
      let stream = this.streams.get(key);
      if (!stream) {
        stream = { watchers: 0, socket: null, retry: null, delay: RETRY_MIN_MS, closed: false };
        this.streams.set(key, stream);
        this.open(stream, session, tenant);
      }
      stream.watchers += 1;
      keys.push(key);
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const key of keys) {
        const stream = this.streams.get(key);
        if (!stream) continue;
        stream.watchers -= 1;
        if (stream.watchers === 0) this.stop(key, stream);
      }
    };
  }

  close(): void {
    for (const [key, stream] of this.streams) this.stop(key, stream);
  }

  private stop(key: string, stream: Stream): void {
    stream.closed = true;
    if (stream.retry) clearTimeout(stream.retry);
    stream.socket?.close(1000, 'console closed');
    stream.socket = null;
    this.streams.delete(key);
  }

  private again(stream: Stream, session: string, tenant: string): void {
    if (stream.closed || stream.retry) return;
    const wait = stream.delay;
    stream.delay = Math.min(stream.delay * 2, RETRY_MAX_MS);
    stream.retry = setTimeout(() => {
      stream.retry = null;
      this.open(stream, session, tenant);
    }, wait);
    stream.retry.unref();
  }

  private open(stream: Stream, session: string, tenant: string): void {
    if (stream.closed) return;
    const connection = this.link.connection(tenant);
    if (!connection) return;
    // `ws` is loaded with the first subscription: every `cavra` process builds this class with
    // the core, and most (`cavra evaluate`) never open a socket.
    void Promise.all([this.link.bearerFor(session), import('ws')]).then(
      ([bearer, { WebSocket }]) => {
        if (stream.closed) return;
        if (bearer.tenant !== tenant) return;
        const url = new URL(EVENTS_PATH, serverBase(parseServerUrl(connection.server)));
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        const socket = new WebSocket(url, {
          headers: { authorization: `Bearer ${bearer.idToken}`, [TENANT_HEADER]: tenant },
          maxPayload: MAX_MESSAGE_BYTES,
          handshakeTimeout: 15_000,
          ...(connection.ca ? { ca: connection.ca } : {}),
        });
        stream.socket = socket;
        socket.on('open', () => {
          stream.delay = RETRY_MIN_MS;
        });
        socket.on('message', (data) => this.relay(tenant, data));
        socket.on('error', (error) => this.log(`control-plane events for ${tenant}: ${error.message}`));
        socket.on('close', () => {
          if (stream.socket === socket) stream.socket = null;
          this.again(stream, session, tenant);
        });
      },
      (error: unknown) => {
        this.log(`control-plane events for ${tenant}: ${error instanceof Error ? error.message : String(error)}`);
        this.again(stream, session, tenant);
      },
    );
  }

  private relay(tenant: string, data: unknown): void {
    let message: { event?: unknown; tenant?: unknown; payload?: unknown };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      return;
    }
    if (message?.event !== 'approvals.changed' || message.tenant !== tenant) return;
    const payload = events['approvals.changed'].payload.safeParse(message.payload);
    if (!payload.success || payload.data.tenantId !== tenant) return;
    this.emit(tenant, payload.data);
  }
}
