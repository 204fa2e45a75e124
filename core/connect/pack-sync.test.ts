// Connected mode's pack sync (issue 12) against a real `cavra server` on PostgreSQL: a machine's
// gate takes the tenant's packs from the control plane, a newer generation on the server
// replaces what it applied, a cache it did not write (tampered with in the data directory) is
// refused and never steers what stops applying, and an unreachable server changes nothing:
// the gate keeps deciding with the last packs applied.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../contract';
import { canonicalize } from '../evidence';
import { requireKeychain } from '../gate/testing';
import { localEvaluationPrincipal } from '../identity';
import { KeychainSecretStore } from '../secrets';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { databaseConfig, startControlPlane } from '../server';
import { PostgresStore, sharedTenantRows } from '../store';
import type { ControlPlane } from '../server';
import { databaseEnv, testEvidenceKey } from '../../test/support/control-plane';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { connectionsDir, storeMachineCredential, writeConnection } from './connection';
import { ControlPlaneLink } from './link';
import type { SyncPolicy } from './pack-sync';
import { issueSharedCredential } from '../../test/support/machine-credentials';

const cluster = testCluster();

const pack = (version: string, frob: 'deny' | 'require_approval') => `id: acme-sync
version: ${version}
description: ACME rules the control plane publishes
rules:
  - { id: no-frob, commands: [frobnicate], decision: ${frob}, reason: frobnicate is governed at ACME }
`;

describe.skipIf(cluster === null)('pack sync from the control plane', () => {
  let database: TestDatabase;
  const serverHome = tempHome('cavra-packs-server-');
  const machineHome = tempHome('cavra-packs-machine-');
  let plane: ControlPlane | null = null;
  let machine: LocalCoreService;
  let link: ControlPlaneLink;
  let tenant: string;

  let started = false;
  async function onServer(op: string, input: unknown): Promise<void> {
    // Once the control plane has run, the tenant's policy lives in the shared database (its data
    // directory only mirrors it): the tenant admin changes it as a replica's core does.
    const store = started ? await PostgresStore.open({ connection: databaseConfig(databaseEnv(database)).app }) : null;
    const core = createCore({
      home: serverHome.home,
      shell: 'test',
      log: () => undefined,
      ...(store ? { shared: { store, ensureTenant: sharedTenantRows(store) }, signingKey: testEvidenceKey } : {}),
    });
    try {
      await core.ready();
      const answer = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
    } finally {
      await core.close();
      await store?.close();
    }
  }

  async function startPlane(port = 0): Promise<ControlPlane> {
    plane = await startControlPlane({
      signingKey: testEvidenceKey,
      home: serverHome.home,
      database: databaseConfig(databaseEnv(database)),
      tls: 'insecure-loopback',
      port,
      log: () => undefined,
    });
    started = true;
    return plane;
  }

  const judged = (command: string) => {
    const action: Action = { type: 'execute_command', command, cwd: '/home/dev/app' };
    const { decision } = machine.gateHost.policy.evaluate(tenant, action);
    return { decision: decision.decision, winner: decision.explanation.winner };
  };
  const assignedHere = (packId: string) =>
    (machine.gateHost.policy as unknown as SyncPolicy).listPacks(tenant).packs.find((p) => p.id === packId)
      ?.assignments ?? [];
  const activeHere = (packId: string) =>
    (machine.gateHost.policy as unknown as SyncPolicy).listPacks(tenant).packs.find((p) => p.id === packId)?.version;
  const cacheFile = () => path.join(connectionsDir(machineHome.home), `${tenant}.packs.json`);

  beforeAll(async () => {
    requireKeychain();
    database = await createTestDatabase(cluster!);
    const server = createCore({ home: serverHome.home, shell: 'test', log: () => undefined });
    tenant = server.gateHost.tenants.defaultTenant() as string;
    const issued = await issueSharedCredential(database, tenant, 'machine laptop-a', { uid: 1000, name: 'dev' });
    await server.close();
    await onServer('policy.pack.import', { yaml: pack('1.0.0', 'deny') });
    await onServer('policy.assign', { packId: 'acme-sync' });
    const { port } = await startPlane();

    machine = createCore({ home: machineHome.home, shell: 'test', log: () => undefined });
    const secrets = new KeychainSecretStore(`pack-sync-${crypto.randomBytes(4).toString('hex')}`);
    const connection = {
      server: `http://127.0.0.1:${port}`,
      tenant,
      machineId: issued.credential.id,
      machineName: 'laptop-a',
      ca: null,
      enrolledAt: new Date().toISOString(),
      enrolledBy: 'human:test',
    };
    storeMachineCredential(secrets, connection, issued.token);
    writeConnection(machineHome.home, connection);
    link = new ControlPlaneLink({
      home: machineHome.home,
      secrets,
      bearer: () => Promise.reject(new Error('no sign-in here')),
      ledger: () => {
        throw new Error('no shipping here');
      },
      policy: machine.gateHost.policy as unknown as SyncPolicy,
    });
  }, 120_000);

  afterAll(async () => {
    await plane?.close();
    await machine?.close();
    await database?.drop();
    serverHome.cleanup();
    machineHome.cleanup();
  });

  it('applies the tenant’s packs, then a newer generation replaces them', async () => {
    expect(judged('frobnicate --all').winner).toBeNull();
    const first = await link.syncPacks(tenant);
    expect(first).toMatchObject({ state: 'applied', imported: ['acme-sync@1.0.0'], refusedCache: null });
    expect(judged('frobnicate --all')).toEqual({ decision: 'deny', winner: 'acme-sync/no-frob' });
    expect(await link.syncPacks(tenant)).toEqual({
      state: 'unchanged',
      generation: (first as { generation: string }).generation,
    });

    // The tenant's admin publishes 1.1.0 on the control plane (the server restarts on the same database).
    const port = (plane as ControlPlane).port;
    await (plane as ControlPlane).close();
    await onServer('policy.pack.import', { yaml: pack('1.1.0', 'require_approval') });
    await startPlane(port);
    const second = await link.syncPacks(tenant);
    expect(second).toMatchObject({ state: 'applied', imported: ['acme-sync@1.1.0'] });
    expect((second as { generation: string }).generation).not.toBe((first as { generation: string }).generation);
    expect(judged('frobnicate --all')).toEqual({ decision: 'require_approval', winner: 'acme-sync/no-frob' });
  }, 120_000);

  it('refuses a cache it did not write, and it never steers what stops applying', async () => {
    expect(assignedHere('cavra-secrets')).toContain(null);
    // Someone with the data directory but not the keychain rewrites the cache so that it lists a
    // built-in pack the server does not publish (sync stops applying such packs), with a
    // generation that is the digest of its packs — everything but the machine's seal.
    const file = JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as {
      set: { generation: string; packs: Record<string, unknown>[] };
      mac: string;
    };
    const packs = [
      ...file.set.packs,
      {
        id: 'cavra-secrets',
        version: '9.9.9',
        sha256: '0'.repeat(64),
        yaml: 'x',
        assignments: [null],
        signature: null,
      },
    ];
    const generation = crypto.createHash('sha256').update(canonicalize(packs)).digest('hex');
    fs.writeFileSync(cacheFile(), JSON.stringify({ set: { generation, packs }, mac: file.mac }), { mode: 0o600 });

    const synced = await link.syncPacks(tenant);
    expect(synced).toMatchObject({ state: 'applied', imported: [], unassigned: 0 });
    expect((synced as { refusedCache: string | null }).refusedCache).toMatch(/seal/);
    expect(assignedHere('cavra-secrets')).toContain(null);
    // The whole set was fetched again and the cache rewritten, sealed: the next sync trusts it.
    expect(await link.syncPacks(tenant)).toMatchObject({ state: 'unchanged' });
  }, 60_000);

  it('a machine that requires signed packs verifies the signature the server imported each pack with', async () => {
    const keys = crypto.generateKeyPairSync('ed25519');
    const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const signed = pack('1.2.0', 'require_approval');
    const signature = crypto.sign(null, Buffer.from(signed), keys.privateKey).toString('base64');
    const port = (plane as ControlPlane).port;
    await (plane as ControlPlane).close();
    await onServer('policy.settings.update', { signingKeys: [{ id: 'acme-release', publicKey }] });
    await onServer('policy.pack.import', { yaml: signed, signature });
    await startPlane(port);
    const requireSigned = async (signingKeys: { id: string; publicKey: string }[]) => {
      const answer = await machine.invoke(localEvaluationPrincipal, {
        op: 'policy.settings.update',
        tenant,
        input: { requireSignedPacks: true, signingKeys },
      });
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
    };

    // The machine trusts another key only: the pack is refused, and 1.1.0 stays in force.
    const other = crypto.generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await requireSigned([{ id: 'someone-else', publicKey: other }]);
    await expect(link.syncPacks(tenant)).rejects.toThrow(/signature/);
    expect(activeHere('acme-sync')).toBe('1.1.0');

    // It trusts the key the pack was signed with: the signature travels with the pack and verifies here.
    await requireSigned([{ id: 'acme-release', publicKey }]);
    expect(await link.syncPacks(tenant)).toMatchObject({ state: 'applied', imported: ['acme-sync@1.2.0'] });
    expect(activeHere('acme-sync')).toBe('1.2.0');
  }, 120_000);

  it('keeps deciding with the last packs applied while the control plane is unreachable', async () => {
    const good = fs.readFileSync(cacheFile(), 'utf8');
    await (plane as ControlPlane).close();
    plane = null;
    const offline = await link.syncPacks(tenant);
    expect(offline).toMatchObject({ state: 'offline', refusedCache: null });
    expect((offline as { generation: string | null }).generation).toBe(
      (JSON.parse(good) as { set: { generation: string } }).set.generation,
    );
    expect(judged('frobnicate --all')).toEqual({ decision: 'require_approval', winner: 'acme-sync/no-frob' });

    // Offline with a damaged cache: refused, and the packs in force stay exactly as they were.
    fs.writeFileSync(cacheFile(), good.replace(/"acme-sync"/, '"acme-other"'), { mode: 0o600 });
    const damaged = await link.syncPacks(tenant);
    expect(damaged).toMatchObject({ state: 'offline', generation: null });
    expect((damaged as { refusedCache: string | null }).refusedCache).not.toBeNull();
    expect(judged('frobnicate --all')).toEqual({ decision: 'require_approval', winner: 'acme-sync/no-frob' });
    expect(assignedHere('acme-sync')).toContain(null);
  }, 60_000);
});
