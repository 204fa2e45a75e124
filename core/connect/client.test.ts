import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../../test/support/tls';
import { ControlPlaneClient, ControlPlaneRefusedError, ControlPlaneUnreachableError } from './client';
import { ServerUrlError, parseServerUrl } from './server-url';

/** Another private CA for the same names: a certificate it signs must not pass a pin to the first. */
function otherCa(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-other-ca-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  const pem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return pem;
}

describe('control-plane address', () => {
  it('takes https anywhere and plain http only to a loopback address', () => {
    expect(parseServerUrl('https://cavra.example.com/').href).toBe('https://cavra.example.com/');
    expect(parseServerUrl('http://127.0.0.1:8443').origin).toBe('http://127.0.0.1:8443');
    expect(parseServerUrl('http://[::1]:9').hostname).toBe('[::1]');
    for (const refused of [
      'http://cavra.example.com',
      'http://10.0.0.5:8080',
      'http://127.0.0.1.nip.io',
      'ftp://cavra.example.com',
      'https://user:pw@cavra.example.com',
      'https://cavra.example.com/?token=x',
      'not a url',
    ]) {
      expect(() => parseServerUrl(refused), refused).toThrow(ServerUrlError);
    }
  });
});

describe('control-plane client over real TLS', () => {
  const cert = testCertificate();
  let server: https.Server;
  let base: string;
  beforeAll(async () => {
    server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      const status = req.url === '/busy' ? 503 : req.url === '/refuse' ? 403 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          status === 200
            ? { ok: true, auth: req.headers.authorization ?? null }
            : { ok: false, error: { code: 'forbidden', message: 'Only an enrolled machine may call this route' } },
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('trusts only the pinned CA: the system roots and another CA for the same name are refused', async () => {
    const pinned = new ControlPlaneClient(base, { ca: cert.cert, bearer: () => 'machine-secret' });
    expect(await pinned.call('GET', '/ok')).toEqual({ ok: true, auth: 'Bearer machine-secret' });
    await expect(new ControlPlaneClient(base).call('GET', '/ok')).rejects.toThrow(ControlPlaneUnreachableError);
    await expect(new ControlPlaneClient(base, { ca: otherCa() }).call('GET', '/ok')).rejects.toThrow(
      /cannot be reached: .*(self.signed|signature|verify)/i,
    );
  });

  it('tells unreachable (retry, decide offline) from refused (the server said no)', async () => {
    const client = new ControlPlaneClient(base, { ca: cert.cert });
    await expect(client.call('GET', '/busy')).rejects.toThrow(ControlPlaneUnreachableError);
    const refused = await client.call('GET', '/refuse').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ControlPlaneRefusedError);
    expect((refused as ControlPlaneRefusedError).code).toBe('forbidden');
    expect((refused as Error).message).toContain('Only an enrolled machine may call this route');
    const closed = new ControlPlaneClient('https://127.0.0.1:1', { ca: cert.cert });
    await expect(closed.call('GET', '/ok')).rejects.toThrow(ControlPlaneUnreachableError);
  });
});
