import { bridgeWire } from '../../core/contract';
import type { RequestEnvelope, Transport } from '../../core/contract';

/**
 * Browser mode only (never in the production bundle): carries the contract to the loopback
 * host over HTTP (calls) and a WebSocket (events), authenticated by the per-run token.
 */
export interface BridgeOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  WebSocket?: new (url: string, protocols: string[]) => WebSocket;
}

export function createBridgeTransport(options: BridgeOptions): Transport {
  const fetchImpl = options.fetch ?? fetch.bind(globalThis);
  const Socket = options.WebSocket ?? WebSocket;
  const listeners = new Set<(event: unknown) => void>();
  let socket: WebSocket | null = null;
  let retry = 0;
  let reconnect: ReturnType<typeof setTimeout> | null = null;

  function connect() {
    const url = new URL(bridgeWire.eventsPath, options.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new Socket(url.toString(), [bridgeWire.protocol, `${bridgeWire.tokenProtocolPrefix}${options.token}`]);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
    };
    // Failures surface as close events, which decide about reconnecting.
    ws.onerror = () => undefined;
    ws.onmessage = (message) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(message.data));
      } catch {
        return;
      }
      for (const listener of listeners) listener(parsed);
    };
    ws.onclose = () => {
      // A socket we already replaced or dropped on purpose must not reconnect.
      if (socket !== ws) return;
      socket = null;
      if (listeners.size === 0) return;
      retry = Math.min(retry + 1, 6);
      reconnect = setTimeout(
        () => {
          reconnect = null;
          if (listeners.size > 0 && !socket) connect();
        },
        250 * 2 ** retry,
      );
    };
  }

  function disconnect() {
    if (reconnect) clearTimeout(reconnect);
    reconnect = null;
    const ws = socket;
    socket = null;
    ws?.close();
  }

  return {
    async send(request: RequestEnvelope) {
      const response = await fetchImpl(new URL(bridgeWire.invokePath, options.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify(request),
      });
      return response.json();
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!socket && !reconnect) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) disconnect();
      };
    },
  };
}
