import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { GateLocation } from './client';
import { GateLocationError, agentTokenFile, checkGateDir, readGateToken } from './client';
import type { OsUser } from '../contract';
import { AgentCredentials } from './credentials';

/**
 * Makes the gate directory (0700) if it does not exist. An existing one with the wrong
 * owner or mode is refused, not repaired: someone else may already have been able to
 * plant a socket or read the token there.
 */
export function prepareGateDir(location: GateLocation): void {
  if (!fs.existsSync(location.dir)) fs.mkdirSync(location.dir, { recursive: false, mode: 0o700 });
  checkGateDir(location);
}

/**
 * The install's default adapter credential, in the 0600 token file adapters read: an agent
 * credential bound to the default tenant and registered to this OS user. A file that is
 * missing, from before credentials were bound to tenants, or revoked is replaced by a new one.
 */
export function ensureAgentToken(
  location: GateLocation,
  agents: AgentCredentials,
  tenant: string,
  owner: OsUser,
): string {
  let current: string | null = null;
  try {
    current = readGateToken(location);
  } catch {
    current = null;
  }
  if (current && agents.verify(current)?.tenant === tenant) return current;
  const { token } = agents.issue(tenant, 'install default', owner, `os:${owner.name}`);
  writePrivately(location.token, token);
  return token;
}

/**
 * Keeps an enrolled credential where adapters acting in `tenant` look for it (0600 under the
 * 0700 gate directory). Returns the file and the id of the credential it replaced, which the
 * caller revokes: an enrolment superseded on disk must not stay usable elsewhere.
 */
export function storeAgentToken(
  location: GateLocation,
  tenant: string,
  token: string,
): { file: string; replaced: string | null } {
  prepareGateDir(location);
  const file = agentTokenFile(location, tenant);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let replaced: string | null = null;
  try {
    replaced = AgentCredentials.idOf(readGateToken(location, file));
  } catch {
    replaced = null;
  }
  writePrivately(file, token);
  return { file, replaced };
}

/** Writes a secret file 0600 by rename, so a reader never sees a half-written token. */
export function writePrivately(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temp, `${text}\n`, { mode: 0o600, flag: 'wx' });
  fs.renameSync(temp, file);
}

/** The per-install token: 32 random bytes, base64url, in a 0600 file created once. */
export function ensureGateToken(location: GateLocation): string {
  if (!fs.existsSync(location.token)) {
    const token = crypto.randomBytes(32).toString('base64url');
    try {
      // `wx`: never overwrite a token another process created a moment ago.
      fs.writeFileSync(location.token, `${token}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GateLocationError(`cannot create the gate token at ${location.token}`);
      }
    }
  }
  return readGateToken(location);
}

/**
 * A constant-time check against the install token. Both sides are compared as SHA-256
 * digests, so neither the comparison time nor an early length mismatch says anything
 * about the expected token.
 */
export function tokenCheck(expected: string): (given: unknown) => boolean {
  const want = crypto.createHash('sha256').update(expected).digest();
  return (given) => {
    if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
    return crypto.timingSafeEqual(want, crypto.createHash('sha256').update(given).digest());
  };
}
