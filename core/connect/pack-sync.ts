import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { PackSummary, Principal } from '../contract';
import { canonicalize } from '../evidence';
import type { ControlPlaneClient } from './client';
import type { Connection } from './connection';
import { connectionsDir } from './connection';
import { MACHINE_PATHS } from './wire';

/** What pack sync needs of the policy engine (PolicyService satisfies it). */
export interface SyncPolicy {
  listPacks(tenant: string): { packs: PackSummary[] };
  pack(tenant: string, packId: string): { loaded: { text: string }; signature: string | null };
  settings(tenant: string): { requireSignedPacks: boolean };
  importPack(tenant: string, text: string, signature: string | null, principal: Principal): unknown;
  assign(tenant: string, packId: string, repository: string | null, principal: Principal): boolean;
  unassign(tenant: string, packId: string, repository: string | null, principal: Principal): boolean;
}

const syncedPackSchema = z.object({
  id: z.string().min(1).max(200),
  version: z.string().min(1).max(100),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  yaml: z
    .string()
    .min(1)
    .max(4 * 1024 * 1024),
  assignments: z.array(z.string().max(500).nullable()).max(1000),
  /** The detached signature the pack was imported with on the server (base64 Ed25519), if any. */
  signature: z.string().max(200).nullable(),
});
export const packSetSchema = z.object({
  generation: z.string().regex(/^[0-9a-f]{64}$/),
  packs: z.array(syncedPackSchema).max(200),
});
export type PackSet = z.infer<typeof packSetSchema>;

/**
 * The control plane's packs for a tenant: the imported ones with their YAML and assignments
 * (built-in packs ship with every install). The generation is the digest of the whole set, so
 * any change on the server — a new version, an assignment — is a new generation.
 */
export function publishedPacks(policy: SyncPolicy, tenant: string): PackSet {
  const packs = policy
    .listPacks(tenant)
    .packs.filter((pack) => pack.source === 'imported')
    .map((pack) => {
      const { loaded, signature } = policy.pack(tenant, pack.id);
      return {
        id: pack.id,
        version: pack.version,
        sha256: pack.sha256,
        yaml: loaded.text,
        assignments: [...pack.assignments].sort((a, b) => String(a).localeCompare(String(b))),
        signature,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  return { generation: generationOf(packs), packs };
}

function cachePath(home: string, tenant: string): string {
  return path.join(connectionsDir(home), `${tenant}.packs.json`);
}

const cacheFileSchema = z.strictObject({ set: packSetSchema, mac: z.string().regex(/^[0-9a-f]{64}$/) });

/**
 * The key that seals the cache: derived from the machine credential, which lives in the OS
 * keychain only, so whoever can write the data directory but not read the keychain cannot
 * forge a cache that passes (a cache's list of packs decides what sync stops applying).
 */
export function packCacheKey(credential: string): Buffer {
  return crypto.createHash('sha256').update('cavra pack-sync cache\0').update(credential).digest();
}

function sealOf(key: Buffer, set: PackSet): string {
  return crypto.createHmac('sha256', key).update(canonicalize(set)).digest('hex');
}

function generationOf(packs: PackSet['packs']): string {
  return crypto.createHash('sha256').update(canonicalize(packs)).digest('hex');
}

export type CachedPacks = { state: 'none' } | { state: 'good'; set: PackSet } | { state: 'refused'; why: string };

/**
 * The last pack set received for the tenant, if it is the one this machine wrote: well formed,
 * its generation the digest of its packs, and its seal made with this machine's key. Anything
 * else is refused, never half-used: sync then asks for the whole set again, and until it
 * arrives the gate goes on with the packs last applied to its policy store.
 */
export function cachedPacks(home: string, tenant: string, key: Buffer | null): CachedPacks {
  let text: string;
  try {
    text = fs.readFileSync(cachePath(home, tenant), 'utf8');
  } catch {
    return { state: 'none' };
  }
  if (key === null) return { state: 'refused', why: 'no machine credential to check its seal with' };
  let parsed: z.infer<typeof cacheFileSchema>;
  try {
    const checked = cacheFileSchema.safeParse(JSON.parse(text));
    if (!checked.success) return { state: 'refused', why: 'it is not a sealed pack set' };
    parsed = checked.data;
  } catch {
    return { state: 'refused', why: 'it is not JSON' };
  }
  if (generationOf(parsed.set.packs) !== parsed.set.generation) {
    return { state: 'refused', why: 'its generation is not the digest of its packs' };
  }
  const expected = Buffer.from(sealOf(key, parsed.set), 'hex');
  if (!crypto.timingSafeEqual(expected, Buffer.from(parsed.mac, 'hex'))) {
    return { state: 'refused', why: 'its seal is not this machine’s' };
  }
  return { state: 'good', set: parsed.set };
}

function writeCache(home: string, tenant: string, set: PackSet, key: Buffer): void {
  const file = cachePath(home, tenant);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify({ set, mac: sealOf(key, set) })}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

export type PackSyncResult =
  | { state: 'unchanged'; generation: string }
  | {
      state: 'applied';
      generation: string;
      imported: string[];
      assigned: number;
      unassigned: number;
      /** Why the cache found on disk was not trusted (the whole set was fetched instead). */
      refusedCache: string | null;
    }
  | { state: 'offline'; generation: string | null; why: string; refusedCache: string | null };

/**
 * Brings the tenant's packs to the control plane's generation: fetched over the machine's
 * pinned TLS connection, each pack whose digest differs from the active one imported through
 * the policy engine (validated, tested, recorded as `pack_activated` before it applies), the
 * assignments mirrored, and the set cached. The compiled packs live in the local policy store,
 * so an unreachable server changes nothing: the gate goes on with the last generation applied.
 */
export async function syncPacks(
  home: string,
  connection: Connection,
  client: ControlPlaneClient,
  policy: SyncPolicy,
  key: Buffer | null,
): Promise<PackSyncResult> {
  const tenant = connection.tenant;
  const found = cachedPacks(home, tenant, key);
  const refusedCache = found.state === 'refused' ? found.why : null;
  let cached = found.state === 'good' ? found.set : null;
  // The cache says what was applied; the policy store must still say so too, or it is asked for again.
  if (cached && !appliedHere(policy, tenant, cached)) cached = null;
  let answer: unknown;
  try {
    answer = await client.call('POST', MACHINE_PATHS.packs, { generation: cached?.generation ?? null });
  } catch (error) {
    return { state: 'offline', generation: cached?.generation ?? null, why: (error as Error).message, refusedCache };
  }
  const set = packSetSchema.parse(answer);
  if (cached && set.generation === cached.generation) return { state: 'unchanged', generation: set.generation };
  if (generationOf(set.packs) !== set.generation) {
    throw new Error(
      'The control plane sent a pack set whose generation is not the digest of its packs; nothing was applied',
    );
  }
  const principal: Principal = {
    id: `control-plane:${connection.machineId}`,
    displayName: `Pack sync from ${connection.server}`,
    kind: 'agent',
    tenant,
    session: `pack-sync:${set.generation.slice(0, 16)}`,
  };
  const local = new Map(policy.listPacks(tenant).packs.map((pack) => [pack.id, pack]));
  // A machine whose tenant requires signed packs verifies each pack's signature against its own
  // trusted keys, as for any import: the control plane cannot vouch for a pack by sending it.
  const signed = policy.settings(tenant).requireSignedPacks;
  const imported: string[] = [];
  let assigned = 0;
  let unassigned = 0;
  for (const pack of set.packs) {
    if (local.get(pack.id)?.sha256 !== pack.sha256) {
      policy.importPack(tenant, pack.yaml, signed ? pack.signature : null, principal);
      imported.push(`${pack.id}@${pack.version}`);
    }
    const before = new Set(local.get(pack.id)?.assignments ?? []);
    for (const repository of pack.assignments) {
      if (!before.has(repository) && policy.assign(tenant, pack.id, repository, principal)) assigned += 1;
    }
    for (const repository of before) {
      if (!pack.assignments.includes(repository) && policy.unassign(tenant, pack.id, repository, principal)) {
        unassigned += 1;
      }
    }
  }
  // A pack the server no longer publishes stops applying here (it stays, unassigned, on record).
  const published = new Set(set.packs.map((pack) => pack.id));
  for (const previous of cached?.packs ?? []) {
    if (published.has(previous.id)) continue;
    for (const repository of local.get(previous.id)?.assignments ?? []) {
      if (policy.unassign(tenant, previous.id, repository, principal)) unassigned += 1;
    }
  }
  if (key) writeCache(home, tenant, set, key);
  return { state: 'applied', generation: set.generation, imported, assigned, unassigned, refusedCache };
}

/** Whether every pack of `set` is active here at its digest, assigned where the set says. */
function appliedHere(policy: SyncPolicy, tenant: string, set: PackSet): boolean {
  const local = new Map(policy.listPacks(tenant).packs.map((pack) => [pack.id, pack]));
  return set.packs.every((pack) => {
    const here = local.get(pack.id);
    if (!here || here.sha256 !== pack.sha256) return false;
    const assigned = new Set(here.assignments);
    return pack.assignments.every((repository) => assigned.has(repository));
  });
}
