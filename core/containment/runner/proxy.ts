import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { HostGrant } from './profile';

/**
 * The filtering proxy a sandbox reaches the network through (its only way out: the
 * sandbox has its own network namespace). It speaks HTTP CONNECT (for TLS, checked against
 * the ClientHello's SNI so a tunnel cannot front for another host) and plain HTTP with an
 * absolute URI, and lets a connection through only to a host the profile grants. Every
 * refused connection is reported, so that it becomes a `containment` evidence record.
 * It listens on a Unix socket that is bound into the sandbox; nothing else can reach it.
 */
export interface ProxyDenial {
  host: string;
  port: number;
  /** CONNECT, or the HTTP method of a plain request. */
  method: string;
  reason: string;
}

export interface FilterProxy {
  socketPath: string;
  /** Connections let through so far. */
  readonly allowed: number;
  close(): Promise<void>;
}

export interface FilterProxyOptions {
  socketPath: string;
  hosts: HostGrant[];
  onDenied: (denial: ProxyDenial) => void;
  /** Name resolution (tests may pin it); defaults to the system resolver. */
  lookup?: (host: string) => Promise<string>;
  /** Upper bound on simultaneous connections through the proxy. */
  maxConnections?: number;
}

const IDLE_TIMEOUT_MS = 120_000;
const CLIENT_HELLO_TIMEOUT_MS = 10_000;
const MAX_CLIENT_HELLO = 16 * 1024 + 5;

function isIpLiteral(host: string): boolean {
  return net.isIP(host) !== 0;
}

/** Loopback and link-local (cloud metadata) addresses: reachable only when granted as such. */
function isLocalAddress(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith('127.') || address.startsWith('169.254.') || address === '0.0.0.0';
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:')) return isLocalAddress(lower.slice(7));
  return lower === '::1' || lower === '::' || lower.startsWith('fe80:');
}

export function grantFor(hosts: HostGrant[], host: string, port: number): HostGrant | null {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  for (const grant of hosts) {
    if ((grant.port === null || grant.port === port) && new RegExp(grant.regex, 'i').test(bare)) return grant;
  }
  return null;
}

/** The server name of a TLS ClientHello, '' when it carries none, null when this is not one. */
export function serverNameOf(hello: Buffer): string | null {
  try {
    if (hello.length < 5 || hello[0] !== 0x16) return null;
    let at = 5;
    if (hello[at] !== 0x01) return null;
    at += 4 + 2 + 32; // handshake header, client version, random
    at += 1 + (hello[at] as number); // session id
    at += 2 + hello.readUInt16BE(at); // cipher suites
    at += 1 + (hello[at] as number); // compression methods
    if (at + 2 > hello.length) return '';
    const end = Math.min(hello.length, at + 2 + hello.readUInt16BE(at));
    at += 2;
    while (at + 4 <= end) {
      const type = hello.readUInt16BE(at);
      const length = hello.readUInt16BE(at + 2);
      at += 4;
      if (type === 0) {
        // server_name_list: length, then entries of (type, length, name); type 0 is a host name.
        let entry = at + 2;
        while (entry + 3 <= at + length) {
          const nameType = hello[entry] as number;
          const nameLength = hello.readUInt16BE(entry + 1);
          if (nameType === 0)
            return hello
              .subarray(entry + 3, entry + 3 + nameLength)
              .toString('ascii')
              .toLowerCase();
          entry += 3 + nameLength;
        }
        return '';
      }
      at += length;
    }
    return '';
  } catch {
    return null;
  }
}

/** `host:port` of a CONNECT target; IPv6 in brackets. */
function parseAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(authority);
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  return { host: (match[1] as string).toLowerCase(), port };
}

export async function startFilterProxy(options: FilterProxyOptions): Promise<FilterProxy> {
  const lookup =
    options.lookup ?? (async (host: string) => (await dns.promises.lookup(host, { verbatim: true })).address);
  const maxConnections = options.maxConnections ?? 256;
  let allowed = 0;
  const sockets = new Set<net.Socket>();

  const deny = (host: string, port: number, method: string, reason: string) => {
    try {
      options.onDenied({ host, port, method, reason });
    } catch {
      // Reporting must never let a connection through.
    }
  };

  /** Checks the grant and resolves the address to connect to; a string is the refusal. */
  async function admit(
    host: string,
    port: number,
  ): Promise<{ address: string } | { refused: string } | { unreachable: string }> {
    const grant = grantFor(options.hosts, host, port);
    if (!grant) return { refused: `${host}:${port} is not a host the tenant's packs allow` };
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIpLiteral(bare)) return { address: bare };
    let address: string;
    try {
      address = await lookup(bare);
    } catch (error) {
      // Allowed but not reachable: not a refusal, nothing to record.
      return { unreachable: `${host} does not resolve (${error instanceof Error ? error.message : String(error)})` };
    }
    if (isLocalAddress(address) && bare !== 'localhost') {
      return { refused: `${host} resolves to the local address ${address}, which only a grant naming it can reach` };
    }
    return { address };
  }

  const server = http.createServer({ requestTimeout: IDLE_TIMEOUT_MS });
  server.maxConnections = maxConnections;
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    client.on('error', () => undefined);
    const target = parseAuthority(request.url ?? '');
    if (!target) {
      deny(request.url ?? '', 0, 'CONNECT', 'the CONNECT target is not host:port');
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    void admit(target.host, target.port).then((admitted) => {
      if ('unreachable' in admitted) {
        client.end(
          `HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\nCAVRA containment proxy: ${admitted.unreachable}\n`,
        );
        return;
      }
      if ('refused' in admitted) {
        deny(target.host, target.port, 'CONNECT', admitted.refused);
        client.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\nCAVRA containment: ${admitted.refused}\n`);
        return;
      }
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      let hello = head;
      let settled = false;
      const timer = setTimeout(() => open(), CLIENT_HELLO_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        hello = Buffer.concat([hello, chunk]);
        const complete = hello.length >= 5 && hello.length >= 5 + hello.readUInt16BE(3);
        if (hello[0] !== 0x16 || complete || hello.length >= MAX_CLIENT_HELLO) open();
      };
      // Before anything goes upstream, the first TLS record must name the granted host.
      const open = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.off('data', onData);
        client.pause();
        const name = serverNameOf(hello);
        if (name !== null && name !== '' && !grantFor(options.hosts, name, target.port)) {
          deny(
            target.host,
            target.port,
            'CONNECT',
            `the TLS server name ${name} is not the granted host ${target.host}`,
          );
          client.destroy();
          return;
        }
        const upstream = net.connect({ host: admitted.address, port: target.port });
        sockets.add(upstream);
        upstream.setTimeout(IDLE_TIMEOUT_MS, () => upstream.destroy());
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.once('connect', () => {
          allowed++;
          if (hello.length > 0) upstream.write(hello);
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
        });
      };
      if (hello.length > 0) onData(Buffer.alloc(0));
      if (!settled) client.on('data', onData);
    });
  });

  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    let url: URL;
    try {
      url = new URL(request.url ?? '');
    } catch {
      deny('', 0, request.method ?? 'GET', 'a proxied request must carry an absolute http:// URL');
      response.writeHead(400, { Connection: 'close' }).end();
      return;
    }
    const port = url.port ? Number(url.port) : 80;
    const host = url.hostname.toLowerCase();
    if (url.protocol !== 'http:') {
      deny(host, port, request.method ?? 'GET', `${url.protocol} is not proxied (use CONNECT for https)`);
      response.writeHead(400, { Connection: 'close' }).end();
      return;
    }
    void admit(host, port).then((admitted) => {
      if ('unreachable' in admitted) {
        response.writeHead(502, { 'Content-Type': 'text/plain', Connection: 'close' });
        response.end(`CAVRA containment proxy: ${admitted.unreachable}\n`);
        return;
      }
      if ('refused' in admitted) {
        deny(host, port, request.method ?? 'GET', admitted.refused);
        response.writeHead(403, { 'Content-Type': 'text/plain', Connection: 'close' });
        response.end(`CAVRA containment: ${admitted.refused}\n`);
        return;
      }
      const headers: http.OutgoingHttpHeaders = { ...request.headers, host: url.host };
      for (const hop of ['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive']) delete headers[hop];
      const upstream = http.request(
        {
          host: admitted.address,
          port,
          method: request.method,
          path: `${url.pathname}${url.search}`,
          headers,
          timeout: IDLE_TIMEOUT_MS,
        },
        (reply) => {
          allowed++;
          response.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(response);
        },
      );
      upstream.on('error', (error) => {
        if (!response.headersSent) response.writeHead(502, { 'Content-Type': 'text/plain' });
        response.end(`CAVRA containment proxy: ${host}:${port} failed (${error.message})\n`);
      });
      request.pipe(upstream);
    });
  });

  fs.rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    socketPath: options.socketPath,
    get allowed() {
      return allowed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        fs.rmSync(options.socketPath, { force: true });
      }),
  };
}
