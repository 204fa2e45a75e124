import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

/**
 * Where a gate listens and keeps its token, under CAVRA_HOME:
 *
 *   <home>/gate/           0700, owned by the user
 *   <home>/gate/gate.sock  0600 Unix domain socket (Windows: a named pipe derived from home)
 *   <home>/gate/token      0600 per-install token for the socket and the loopback HTTP endpoint
 *   <home>/gate/agents/<tenant>.token  0600 an agent credential enrolled in that tenant (`cavra agents enroll`)
 *   <home>/gate/endpoint.json  0600 what the running gate listens on (pid, http port); no secret
 */
export interface GateLocation {
  dir: string;
  socket: string;
  token: string;
  endpoint: string;
}

export function gateLocation(home: string, platform: NodeJS.Platform = process.platform): GateLocation {
  const dir = path.join(home, 'gate');
  const socket =
    platform === 'win32'
      ? `\\\\.\\pipe\\cavra-gate-${crypto.createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 24)}`
      : path.join(dir, 'gate.sock');
  return { dir, socket, token: path.join(dir, 'token'), endpoint: path.join(dir, 'endpoint.json') };
}

/** A location that may not be trusted: the caller must refuse to use it and say why. */
export class GateLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateLocationError';
  }
}

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

function describeMode(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * The gate directory must be ours and closed to everyone else. Anyone who could write in
 * it could put a socket there that answers "allow", so a wrong owner or mode is refused,
 * never repaired silently. (Windows named pipes carry their own ACL; nothing to check.)
 */
export function checkGateDir(location: GateLocation): void {
  if (process.platform === 'win32') return;
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(location.dir);
  } catch {
    throw new GateLocationError(`the gate directory ${location.dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new GateLocationError(`${location.dir} is not a directory`);
  const me = uid();
  if (me !== null && stat.uid !== me) {
    throw new GateLocationError(`${location.dir} belongs to uid ${stat.uid}, not to this user (uid ${me})`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new GateLocationError(
      `${location.dir} has mode ${describeMode(stat.mode)}; it must be 0700 (fix: chmod 700 "${location.dir}")`,
    );
  }
}

/** The socket must be a socket, ours, with no group or other permissions. */
export function checkGateSocket(location: GateLocation): void {
  if (process.platform === 'win32') return;
  checkGateDir(location);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(location.socket);
  } catch {
    throw new GateLocationError(`no gate socket at ${location.socket}`);
  }
  if (!stat.isSocket()) throw new GateLocationError(`${location.socket} is not a socket`);
  const me = uid();
  if (me !== null && stat.uid !== me) {
    throw new GateLocationError(`${location.socket} belongs to uid ${stat.uid}, not to this user (uid ${me})`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new GateLocationError(`${location.socket} has mode ${describeMode(stat.mode)}; it must be 0600`);
  }
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43,128}$/;

/**
 * Reads the install token, refusing a file others could read or write. The value is
 * returned to the caller only; no message here ever contains it.
 */
export function readGateToken(location: GateLocation, file: string = location.token): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    throw new GateLocationError(
      file === location.token
        ? `no gate token at ${file}; start the gate once to create it`
        : `no agent credential at ${file}; enrol one with "cavra agents enroll"`,
    );
  }
  try {
    const stat = fs.fstatSync(fd);
    const me = uid();
    if (process.platform !== 'win32') {
      if (me !== null && stat.uid !== me) throw new GateLocationError(`${file} does not belong to this user`);
      if ((stat.mode & 0o077) !== 0) {
        throw new GateLocationError(`${file} has mode ${describeMode(stat.mode)}; it must be 0600`);
      }
    }
    if (stat.size > 1024) throw new GateLocationError(`${file} is not a gate token (too large)`);
    const text = fs.readFileSync(fd, 'utf8').trim();
    if (!TOKEN_PATTERN.test(text)) throw new GateLocationError(`${file} does not hold a valid gate token`);
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

const TENANT_ID = /^[a-z][a-z0-9-]{0,62}$/;

/** Where `cavra agents enroll --tenant T` keeps the adapters' credential for tenant T. */
export function agentTokenFile(location: GateLocation, tenant: string): string {
  if (!TENANT_ID.test(tenant)) throw new GateLocationError(`"${tenant.slice(0, 63)}" is not a tenant id`);
  return path.join(location.dir, 'agents', `${tenant}.token`);
}

/**
 * The credential an adapter presents: the file CAVRA_AGENT_TOKEN_FILE names (a run's own
 * credential, as the governed workflow gives its agent), else the one enrolled for the tenant
 * the adapter acts in, else the install's default. The gate still decides which tenant a
 * credential may act in; picking the wrong file only ever gets a refusal.
 */
export function adapterTokenFile(
  location: GateLocation,
  tenant: string | undefined,
  named: string | undefined,
): string {
  if (named !== undefined && named !== '') {
    if (!path.isAbsolute(named)) throw new GateLocationError('CAVRA_AGENT_TOKEN_FILE must be an absolute path');
    return named;
  }
  if (tenant !== undefined && tenant !== '') {
    const enrolled = agentTokenFile(location, tenant);
    if (fs.existsSync(enrolled)) return enrolled;
  }
  return location.token;
}
