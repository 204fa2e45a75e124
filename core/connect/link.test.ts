// Connected mode's hot path (issue 12): ControlPlaneLink.remote() runs on every approval call of
// a connected gate. It reads the connection file and the machine credential (OS keychain) once
// per version of the file, and follows the file the moment it is replaced or removed — by
// connect/disconnect in this process or by `cavra connect`/`disconnect` in another.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireKeychain } from '../gate/testing';
import { KeychainSecretStore } from '../secrets';
import type { SecretRef, SecretStore } from '../secrets';
import { tempHome } from '../../test/support/temp-home';
import type { Connection } from './connection';
import { removeConnection, storeMachineCredential, writeConnection } from './connection';
import { ControlPlaneLink } from './link';
import { MACHINE_PATHS } from './wire';

const TENANT = 'evaluation';

/** The real keychain, counting reads. */
class CountingSecrets implements SecretStore {
  reads = 0;
  constructor(private readonly inner: SecretStore) {}
  get(ref: SecretRef) {
    this.reads += 1;
    return this.inner.get(ref);
  }
  set(ref: SecretRef, value: string) {
    this.inner.set(ref, value);
  }
  delete(ref: SecretRef) {
    return this.inner.delete(ref);
  }
}

describe('ControlPlaneLink.remote', () => {
  const home = tempHome('cavra-link-');
  const seen: { path: string; authorization: string | undefined }[] = [];
  let server: http.Server;
  let url: string;
  let secrets: CountingSecrets;
  let link: ControlPlaneLink;

  beforeAll(async () => {
    requireKeychain();
    server = http.createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ request: null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    secrets = new CountingSecrets(new KeychainSecretStore(`link-test-${crypto.randomBytes(4).toString('hex')}`));
    link = new ControlPlaneLink({
      home: home.home,
      secrets,
      bearer: () => Promise.reject(new Error('no sign-in in this test')),
      ledger: () => {
        throw new Error('no ledger in this test');
      },
      policy: {} as never,
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    home.cleanup();
  });

  function connect(machineId: string, credential: string): Connection {
    const connection: Connection = {
      server: url,
      tenant: TENANT,
      machineId,
      machineName: 'laptop-a',
      ca: null,
      enrolledAt: new Date().toISOString(),
      enrolledBy: 'human:test',
    };
    storeMachineCredential(secrets, connection, credential);
    writeConnection(home.home, connection);
    return connection;
  }

  const consume = (client: NonNullable<ReturnType<ControlPlaneLink['remote']>>) =>
    client.call('POST', MACHINE_PATHS.approvalConsume, {});

  it('reads the connection file and the keychain once while the file stays the same', async () => {
    connect('agt00000000000000a1', 'agt00000000000000a1_first-secret-0123456789abcdef');
    const reads = vi.spyOn(fs, 'readFileSync');
    try {
      const first = link.remote(TENANT);
      expect(first).not.toBeNull();
      for (let i = 0; i < 20; i += 1) {
        const client = link.remote(TENANT);
        expect(client).toBe(first);
        await consume(client as NonNullable<typeof client>);
      }
      const fileReads = reads.mock.calls.filter(([file]) => String(file).endsWith(`${TENANT}.json`)).length;
      expect(fileReads).toBe(1);
    } finally {
      reads.mockRestore();
    }
    expect(secrets.reads).toBe(1);
    expect(
      seen.slice(-20).every((s) => s.authorization === 'Bearer agt00000000000000a1_first-secret-0123456789abcdef'),
    ).toBe(true);
  });

  it('follows a connection file replaced by another process, and its new credential', async () => {
    const before = link.remote(TENANT);
    const readsBefore = secrets.reads;
    // `cavra disconnect` then `cavra connect` elsewhere: a new file, a new machine, a new credential.
    removeConnection(home.home, TENANT);
    expect(link.remote(TENANT)).toBeNull();
    connect('agt00000000000000b2', 'agt00000000000000b2_second-secret-0123456789abcdef');
    const after = link.remote(TENANT);
    expect(after).not.toBe(before);
    await consume(after as NonNullable<typeof after>);
    expect(seen.at(-1)?.authorization).toBe('Bearer agt00000000000000b2_second-secret-0123456789abcdef');
    expect(secrets.reads).toBe(readsBefore + 1);
  });

  it('drops the cached client when this process disconnects', async () => {
    expect(link.remote(TENANT)).not.toBeNull();
    const left = await link.disconnect(TENANT);
    expect(left?.revoked).toBe(true);
    expect(seen.at(-1)?.path).toBe(MACHINE_PATHS.revoke);
    expect(link.remote(TENANT)).toBeNull();
  });
});
