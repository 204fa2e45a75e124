import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { wordGlobSource } from '../../policy';
import type { HostGrant } from './profile';
import type { FilterProxy, ProxyDenial } from './proxy';
import { serverNameOf, startFilterProxy } from './proxy';

// The filtering proxy against real servers on loopback, reached the way a sandbox reaches
// it: over its Unix socket.
let dir: string;
let echo: net.Server;
let echoPort: number;
let web: http.Server;
let webPort: number;
const echoed: string[] = [];
const served: string[] = [];

const grant = (pattern: string, port: number | null): HostGrant => ({
  pattern,
  regex: wordGlobSource(pattern.replace(/:[0-9]+$/, '')),
  port,
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-proxy-'));
  echo = net.createServer((socket) =>
    socket.on('data', (chunk) => {
      echoed.push(chunk.toString('latin1'));
      socket.write(chunk);
    }),
  );
  web = http.createServer((request, response) => {
    served.push(`${request.method} ${request.url} host=${request.headers.host}`);
    response.end('hello from upstream');
  });
  await Promise.all([
    new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve)),
  ]);
  echoPort = (echo.address() as net.AddressInfo).port;
  webPort = (web.address() as net.AddressInfo).port;
});
afterAll(() => {
  echo.close();
  web.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let proxy: FilterProxy | null = null;
let denials: ProxyDenial[] = [];
afterEach(async () => {
  await proxy?.close();
  proxy = null;
  denials = [];
  echoed.length = 0;
  served.length = 0;
});

async function start(hosts: HostGrant[], lookup?: (host: string) => Promise<string>): Promise<string> {
  const socketPath = path.join(dir, `proxy-${Date.now()}-${Math.random()}.sock`);
  proxy = await startFilterProxy({
    socketPath,
    hosts,
    onDenied: (d) => denials.push(d),
    ...(lookup ? { lookup } : {}),
  });
  return socketPath;
}

/** Sends a CONNECT over the proxy socket; resolves with the status line and the open socket. */
function connect(socketPath: string, authority: string): Promise<{ status: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let head = '';
    socket.once('connect', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve({ status: head.split('\r\n')[0] as string, socket });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

function get(socketPath: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath, path: url, method: 'GET', headers: { host: new URL(url).host } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('the filtering proxy', () => {
  it('tunnels CONNECT to a granted host and port', async () => {
    const socketPath = await start([grant(`127.0.0.1:${echoPort}`, echoPort)]);
    const { status, socket } = await connect(socketPath, `127.0.0.1:${echoPort}`);
    expect(status).toBe('HTTP/1.1 200 Connection Established');
    socket.write('ping');
    const reply = await new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())));
    expect(reply).toBe('ping');
    socket.destroy();
    expect(denials).toEqual([]);
    expect(proxy?.allowed).toBe(1);
  });

  it('refuses and reports a host that is not granted, and a granted host on another port', async () => {
    const socketPath = await start([grant(`127.0.0.1:${echoPort}`, echoPort)]);
    const other = await connect(socketPath, `127.0.0.2:${echoPort}`);
    expect(other.status).toBe('HTTP/1.1 403 Forbidden');
    const port = await connect(socketPath, `127.0.0.1:${webPort}`);
    expect(port.status).toBe('HTTP/1.1 403 Forbidden');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(denials).toEqual([
      {
        host: '127.0.0.2',
        port: echoPort,
        method: 'CONNECT',
        reason: expect.stringMatching(/not a host the tenant's packs allow/),
      },
      { host: '127.0.0.1', port: webPort, method: 'CONNECT', reason: expect.stringMatching(/not a host/) },
    ]);
    expect(echoed).toEqual([]);
  });

  it('refuses a granted name that resolves to a loopback or link-local address (no rebinding onto local services)', async () => {
    const socketPath = await start([grant('*.npmjs.org', null)], async () => '127.0.0.1');
    const rebound = await connect(socketPath, `registry.npmjs.org:${echoPort}`);
    expect(rebound.status).toBe('HTTP/1.1 403 Forbidden');
    expect(denials[0]?.reason).toMatch(/resolves to the local address 127\.0\.0\.1/);
    const metadata = await start([grant('metadata.internal', null)], async () => '169.254.169.254');
    expect((await connect(metadata, 'metadata.internal:80')).status).toBe('HTTP/1.1 403 Forbidden');
  });

  it('proxies plain HTTP to a granted host and refuses the rest', async () => {
    const socketPath = await start([grant(`127.0.0.1:${webPort}`, webPort)]);
    const ok = await get(socketPath, `http://127.0.0.1:${webPort}/left-pad?x=1`);
    expect(ok).toEqual({ status: 200, body: 'hello from upstream' });
    expect(served).toEqual([`GET /left-pad?x=1 host=127.0.0.1:${webPort}`]);
    const refused = await get(socketPath, `http://127.0.0.1:${echoPort}/exfil`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/CAVRA containment/);
    expect(denials).toEqual([{ host: '127.0.0.1', port: echoPort, method: 'GET', reason: expect.any(String) }]);
  });

  it('checks the TLS server name inside a tunnel: a granted tunnel cannot front for another host', async () => {
    const socketPath = await start([grant(`localhost:${echoPort}`, echoPort)], async () => '127.0.0.1');
    const fronted = await connect(socketPath, `localhost:${echoPort}`);
    expect(fronted.status).toBe('HTTP/1.1 200 Connection Established');
    const closed = new Promise<void>((resolve) => fronted.socket.once('close', () => resolve()));
    const client = tls.connect({ socket: fronted.socket, servername: 'evil.example', rejectUnauthorized: false });
    client.on('error', () => undefined);
    await closed;
    expect(denials).toEqual([
      {
        host: 'localhost',
        port: echoPort,
        method: 'CONNECT',
        reason: expect.stringMatching(/TLS server name evil\.example/),
      },
    ]);
    expect(echoed).toEqual([]);
    // The granted name passes: the ClientHello reaches the upstream unchanged.
    const honest = await connect(socketPath, `localhost:${echoPort}`);
    const hello = tls.connect({ socket: honest.socket, servername: 'localhost', rejectUnauthorized: false });
    hello.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(serverNameOf(Buffer.from(echoed.join(''), 'latin1'))).toBe('localhost');
    hello.destroy();
  });

  it('reads the server name of a real ClientHello, and nothing from what is not one', async () => {
    const captured = await new Promise<Buffer>((resolve) => {
      const server = net.createServer((socket) =>
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
          server.close();
        }),
      );
      server.listen(0, '127.0.0.1', () => {
        const c = tls.connect({
          port: (server.address() as net.AddressInfo).port,
          host: '127.0.0.1',
          servername: 'registry.npmjs.org',
        });
        c.on('error', () => undefined);
      });
    });
    expect(serverNameOf(captured)).toBe('registry.npmjs.org');
    expect(serverNameOf(Buffer.from('GET / HTTP/1.1\r\n'))).toBeNull();
    expect(serverNameOf(Buffer.from([0x16, 0x03, 0x01, 0x00]))).toBeNull();
  });
});
