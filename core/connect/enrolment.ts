import crypto from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import type { SecretStore } from '../secrets';
import { ControlPlaneClient } from './client';
import type { Connection } from './connection';
import {
  forgetMachineCredential,
  machineCredential,
  machineIdSchema,
  readConnection,
  removeConnection,
  storeMachineCredential,
  writeConnection,
} from './connection';

import { MACHINE_PATHS, TENANT_HEADER } from './wire';

export const enrolmentSchema = z.object({
  machineId: machineIdSchema,
  tenant: z.string(),
  credential: z.string().min(32).max(512),
  role: z.string(),
});

export const machineSelfSchema = z.object({
  machineId: machineIdSchema,
  tenant: z.string(),
  name: z.string(),
  role: z.string(),
  enrolledAt: z.string(),
  enrolledBy: z.string(),
  lastSeenAt: z.string().nullable(),
  ingestedThrough: z.number().int().nullable(),
});
export type MachineSelf = z.infer<typeof machineSelfSchema>;

export interface EnrolOptions {
  home: string;
  secrets: SecretStore;
  server: string;
  tenant: string;
  /** The operator's ID token from their sign-in at the tenant's IdP. */
  operatorToken: string;
  /** Who signed in, for the connection file. */
  operator: string;
  ca: string | null;
  name?: string;
}

/**
 * Joins this machine to a control plane for one tenant: the operator's IdP token is the bearer
 * of the enrolment, the server issues a machine credential (it keeps only a hash), and the
 * credential goes to the OS keychain before the connection file is written, so a connection
 * on disk always has its credential. A connection for the tenant already present is refused:
 * disconnect first (a machine never holds two credentials for one tenant).
 */
export async function enrolMachine(options: EnrolOptions): Promise<Connection> {
  if (readConnection(options.home, options.tenant)) {
    throw new Error(
      `This machine is already connected for tenant "${options.tenant}"; run cavra disconnect --tenant ${options.tenant} first`,
    );
  }
  const client = new ControlPlaneClient(options.server, { ca: options.ca });
  const name = (options.name ?? os.hostname()).slice(0, 200) || 'machine';
  const answer = await client.call<unknown>(
    'POST',
    MACHINE_PATHS.enrol,
    { name, nonce: crypto.randomUUID() },
    { bearer: options.operatorToken, headers: { [TENANT_HEADER]: options.tenant } },
  );
  const parsed = enrolmentSchema.safeParse(answer);
  if (!parsed.success || parsed.data.tenant !== options.tenant) {
    throw new Error(
      'The control plane answered the enrolment with something that is not a machine credential for this tenant',
    );
  }
  const connection: Connection = {
    server: client.base,
    tenant: options.tenant,
    machineId: parsed.data.machineId,
    machineName: name,
    ca: options.ca,
    enrolledAt: new Date().toISOString(),
    enrolledBy: options.operator.slice(0, 300),
  };
  storeMachineCredential(options.secrets, connection, parsed.data.credential);
  try {
    writeConnection(options.home, connection);
  } catch (error) {
    forgetMachineCredential(options.secrets, connection);
    throw error;
  }
  return connection;
}

/** A client that authenticates as this machine; throws when the credential is gone from the keychain. */
export function machineClient(
  secrets: SecretStore,
  connection: Connection,
  timeoutMs?: number,
  options: { rememberCredential?: boolean } = {},
): ControlPlaneClient {
  let remembered: string | null = null;
  return new ControlPlaneClient(connection.server, {
    ca: connection.ca,
    timeoutMs,
    bearer: () => {
      if (remembered !== null) return remembered;
      const credential = machineCredential(secrets, connection);
      if (credential && options.rememberCredential) remembered = credential;
      if (!credential) {
        throw new Error(
          `The machine credential for tenant "${connection.tenant}" is missing from the OS keychain; run cavra disconnect and cavra connect again`,
        );
      }
      return credential;
    },
  });
}

/**
 * Leaves the control plane: the server revokes the credential (when it can be reached), then
 * the keychain entry and the connection file go. Unreachable, the machine still disconnects
 * locally and says that the server keeps listing it until an admin revokes it there.
 */
export async function disconnectMachine(
  home: string,
  secrets: SecretStore,
  tenant: string,
): Promise<{ connection: Connection; revoked: boolean; why: string | null } | null> {
  const connection = readConnection(home, tenant);
  if (!connection) return null;
  let revoked = false;
  let why: string | null = null;
  try {
    await machineClient(secrets, connection, 10_000).call('POST', MACHINE_PATHS.revoke, {});
    revoked = true;
  } catch (error) {
    why = error instanceof Error ? error.message : String(error);
  }
  forgetMachineCredential(secrets, connection);
  removeConnection(home, tenant);
  return { connection, revoked, why };
}
