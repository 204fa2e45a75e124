/**
 * The sandbox profile: what the gate compiles from a tenant's packs and a workspace, and
 * what a runner turns into an OS sandbox. It is plain JSON so that it travels on the gate
 * socket and hashes to a stable digest (SHA-256 of its RFC 8785 form) recorded with every
 * decision it contained. Globs arrive compiled to regular expressions (by core/policy's glob
 * compiler), so the runner applies them without a second glob implementation.
 *
 * Paths: `~/x` is under each home directory the runner sees (HOME and the account's home),
 * `/x` is absolute, anything else is relative to the workspace. A path ending in `/` is a
 * directory (masked as an empty directory, and protected even before it exists).
 *
 * This module is loaded by the lean adapter bundle: Node built-ins only.
 */
export const PROFILE_VERSION = 1;

/** A compiled glob: the pattern as written and the regular expression it became (flag i). */
export interface CompiledGlob {
  pattern: string;
  regex: string;
}

/** A host the filtering proxy lets through: host name regex, and one port or any. */
export interface HostGrant {
  pattern: string;
  regex: string;
  port: number | null;
}

export interface ContainmentProfile {
  v: typeof PROFILE_VERSION;
  /** Absolute, symlinks resolved: the only tree writable besides the private temp dir. */
  workspace: string;
  deny_read: {
    /** Literal `~/…` or `/…` paths; directories end in `/`. */
    paths: string[];
    /** Workspace-relative globs (workspace-relative form of each file is tested). */
    globs: CompiledGlob[];
    /** Workspace globs that stay readable although a deny glob matches them. */
    except: CompiledGlob[];
  };
  /** Read-only where they would be writable; workspace-relative, `~/…` or `/…`. */
  deny_write: string[];
  /** Further writable directories (absolute): local remote repositories of the workspace. */
  write_allow: string[];
  /** No grant: no network at all. Grants: only these hosts, through the filtering proxy. */
  network: { hosts: HostGrant[] };
  environment: { remove: CompiledGlob[]; keep: CompiledGlob[] };
  /** The assigned packs it was compiled from. */
  packs: { id: string; version: string }[];
}

/** What the gate sends with an allowed decision for a command it expects to be contained. */
export type ContainmentGrant =
  | { enforcement: 'sandbox'; digest: string; profile: ContainmentProfile }
  | { enforcement: 'judgement_only'; reason: string };

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function strings(value: unknown, field: string, check: (s: string) => boolean = () => true): string[] {
  if (!Array.isArray(value) || value.length > 10_000) throw new ProfileError(`${field}: must be a list`);
  return value.map((item, i) => {
    if (typeof item !== 'string' || item.length === 0 || item.length > 4096 || item.includes('\0') || !check(item)) {
      throw new ProfileError(`${field}[${i}]: is not a valid entry`);
    }
    return item;
  });
}

function globs(value: unknown, field: string): CompiledGlob[] {
  if (!Array.isArray(value) || value.length > 10_000) throw new ProfileError(`${field}: must be a list`);
  return value.map((item, i) => {
    if (!isObject(item) || typeof item.pattern !== 'string' || typeof item.regex !== 'string') {
      throw new ProfileError(`${field}[${i}]: must be {pattern, regex}`);
    }
    try {
      new RegExp(item.regex, 'i');
    } catch {
      throw new ProfileError(`${field}[${i}]: is not a valid regular expression`);
    }
    return { pattern: item.pattern, regex: item.regex };
  });
}

const relativeOrAnchored = (p: string) => !p.split('/').includes('..');
const absolute = (p: string) => p.startsWith('/') && relativeOrAnchored(p);

/**
 * Validates a profile received from the gate. Anything unexpected is refused: a runner
 * never guesses at a boundary. Returns a fresh object holding only the known fields.
 */
export function parseProfile(value: unknown): ContainmentProfile {
  if (!isObject(value)) throw new ProfileError('the profile is not an object');
  if (value.v !== PROFILE_VERSION) throw new ProfileError(`profile version ${String(value.v)} is not understood`);
  if (typeof value.workspace !== 'string' || !absolute(value.workspace) || value.workspace === '/') {
    throw new ProfileError('workspace: must be an absolute directory other than /');
  }
  const denyRead = value.deny_read;
  if (!isObject(denyRead)) throw new ProfileError('deny_read: must be an object');
  const network = value.network;
  if (!isObject(network) || !Array.isArray(network.hosts)) throw new ProfileError('network.hosts: must be a list');
  const environment = value.environment;
  if (!isObject(environment)) throw new ProfileError('environment: must be an object');
  const hosts = network.hosts.map((item, i): HostGrant => {
    if (
      !isObject(item) ||
      typeof item.pattern !== 'string' ||
      typeof item.regex !== 'string' ||
      !(
        item.port === null ||
        (Number.isInteger(item.port) && (item.port as number) >= 1 && (item.port as number) <= 65535)
      )
    ) {
      throw new ProfileError(`network.hosts[${i}]: must be {pattern, regex, port}`);
    }
    try {
      new RegExp(item.regex, 'i');
    } catch {
      throw new ProfileError(`network.hosts[${i}]: is not a valid regular expression`);
    }
    return { pattern: item.pattern, regex: item.regex, port: item.port as number | null };
  });
  if (!Array.isArray(value.packs)) throw new ProfileError('packs: must be a list');
  const packs = value.packs.map((item, i) => {
    if (!isObject(item) || typeof item.id !== 'string' || typeof item.version !== 'string') {
      throw new ProfileError(`packs[${i}]: must be {id, version}`);
    }
    return { id: item.id, version: item.version };
  });
  return {
    v: PROFILE_VERSION,
    workspace: value.workspace,
    deny_read: {
      paths: strings(
        denyRead.paths,
        'deny_read.paths',
        (p) => absolute(p) || (p.startsWith('~/') && relativeOrAnchored(p)),
      ),
      globs: globs(denyRead.globs, 'deny_read.globs'),
      except: globs(denyRead.except, 'deny_read.except'),
    },
    deny_write: strings(value.deny_write, 'deny_write', relativeOrAnchored),
    write_allow: strings(value.write_allow, 'write_allow', absolute),
    network: { hosts },
    environment: {
      remove: globs(environment.remove, 'environment.remove'),
      keep: globs(environment.keep, 'environment.keep'),
    },
    packs,
  };
}

/** Validates the containment part of a gate answer; null when the gate sent none. */
export function parseGrant(value: unknown): ContainmentGrant | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new ProfileError('the containment grant is not an object');
  if (value.enforcement === 'judgement_only') {
    if (typeof value.reason !== 'string') throw new ProfileError('a judgement-only grant must carry its reason');
    return { enforcement: 'judgement_only', reason: value.reason };
  }
  if (value.enforcement !== 'sandbox') throw new ProfileError('the containment grant names no known enforcement');
  if (typeof value.digest !== 'string' || !/^[0-9a-f]{64}$/.test(value.digest)) {
    throw new ProfileError('the containment grant carries no profile digest');
  }
  return { enforcement: 'sandbox', digest: value.digest, profile: parseProfile(value.profile) };
}
