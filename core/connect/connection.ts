import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { tenantIdSchema } from '../contract';
import type { SecretStore } from '../secrets';
import { parseServerUrl, serverBase } from './server-url';

/** Where the machine credential lives: the OS keychain, under the tenant, by machine id. */
export const CREDENTIAL_SERVICE = 'control-plane';

/** A machine is an agent credential of the control plane's core (core/gate/credentials.ts). */
export const machineIdSchema = z.string().regex(/^agt[0-9a-f]{16}$/, 'must be a machine id (agt…)');

/**
 * A machine's membership of a control plane, one per tenant, in a 0600 file in the 0700 data
 * directory. It holds no secret: the machine credential is in the OS keychain only. The CA
 * is copied in, so the pin holds even when the file it came from changes or goes away.
 */
export const connectionSchema = z.object({
  server: z.string().refine((text) => {
    try {
      parseServerUrl(text);
      return true;
    } catch {
      return false;
    }
  }, 'must be an https:// control-plane address'),
  tenant: tenantIdSchema,
  machineId: machineIdSchema,
  machineName: z.string().min(1).max(200),
  ca: z
    .string()
    .max(64 * 1024)
    .nullable(),
  enrolledAt: z.string(),
  enrolledBy: z.string().max(300),
});
export type Connection = z.infer<typeof connectionSchema>;

export function connectionsDir(home: string): string {
  return path.join(home, 'connect');
}

function connectionPath(home: string, tenant: string): string {
  if (!tenantIdSchema.safeParse(tenant).success) throw new Error(`tenant: "${tenant}" is not a tenant id`);
  return path.join(connectionsDir(home), `${tenant}.json`);
}

/**
 * What the tenant's connection file is right now (inode, size, change and modification times,
 * mode), or null when there is none: one stat, so a cache of what the file says can be
 * checked on every call and drops the moment `cavra connect`/`disconnect` in any process
 * replaces or removes the file.
 */
export function connectionIdentity(home: string, tenant: string): string | null {
  try {
    const stat = fs.statSync(connectionPath(home, tenant), { bigint: true });
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.mode}`;
  } catch {
    return null;
  }
}

/** The tenant's connection, or null when this machine is not connected for it. */
export function readConnection(home: string, tenant: string): Connection | null {
  const file = connectionPath(home, tenant);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by others; run cavra disconnect --tenant ${tenant} and connect again`);
  }
  const parsed = connectionSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`${file} is damaged; run cavra disconnect --tenant ${tenant} and connect again`);
  }
  return parsed.data;
}

/** Every tenant this machine is connected for. */
export function connectedTenants(home: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(connectionsDir(home));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((tenant) => tenantIdSchema.safeParse(tenant).success)
    .sort();
}

export function writeConnection(home: string, connection: Connection): void {
  const checked = connectionSchema.parse({ ...connection, server: serverBase(parseServerUrl(connection.server)) });
  const file = connectionPath(home, checked.tenant);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

export function removeConnection(home: string, tenant: string): boolean {
  const file = connectionPath(home, tenant);
  const existed = fs.existsSync(file);
  fs.rmSync(file, { force: true });
  return existed;
}

export function machineCredential(secrets: SecretStore, connection: Connection): string | null {
  return secrets.get({ tenant: connection.tenant, service: CREDENTIAL_SERVICE, account: connection.machineId });
}

export function storeMachineCredential(secrets: SecretStore, connection: Connection, credential: string): void {
  secrets.set({ tenant: connection.tenant, service: CREDENTIAL_SERVICE, account: connection.machineId }, credential);
}

export function forgetMachineCredential(secrets: SecretStore, connection: Connection): boolean {
  return secrets.delete({ tenant: connection.tenant, service: CREDENTIAL_SERVICE, account: connection.machineId });
}
