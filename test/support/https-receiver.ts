import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testCertificate } from './tls';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpsReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The status the next requests get (default 200). */
  respondWith(status: number, body?: string): void;
  close(): Promise<void>;
}

/** A real HTTPS endpoint on 127.0.0.1 (self-signed certificate) that records what it receives. */
export async function startHttpsReceiver(): Promise<HttpsReceiver> {
  const certificate = testCertificate();
  const requests: ReceivedRequest[] = [];
  let status = 200;
  let answer = '{"ok":true}';
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    respondWith: (next, body) => {
      status = next;
      if (body !== undefined) answer = body;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
