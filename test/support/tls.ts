import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  /** PEM certificate (self-signed: it is also the CA a client trusts). */
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

let cached: TestCertificate | null = null;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made once per process with the
 * openssl command. Servers in tests present it; connectors trust it through their `ca`.
 */
export function testCertificate(): TestCertificate {
  if (cached && fs.existsSync(cached.certFile)) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-cert-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
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
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  cached = { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile };
  return cached;
}
