import fs from 'node:fs';
import type { PoolConfig } from 'pg';

/** What `cavra server` needs to reach its database: never from the command line, never logged. */
export interface DatabaseConfig {
  /** The application role's connection (no SUPERUSER, no BYPASSRLS: row-level security binds it). */
  app: PoolConfig;
  appRole: string;
  /** The owner's connection, for migrations on start; absent when migrations are run elsewhere. */
  owner: PoolConfig | null;
}

export class ServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerConfigError';
  }
}

/** `NAME`, or the contents of the file `NAME_FILE` names (a mounted secret); never both. */
export function secretSetting(env: NodeJS.ProcessEnv, name: string): string | null {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ServerConfigError(`Set ${name} or ${name}_FILE, not both`);
  if (file) {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ServerConfigError(
        `${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  return direct && direct.trim() !== '' ? direct.trim() : null;
}

function poolConfig(name: string, url: string): { config: PoolConfig; user: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The value may be a secret: the message names the setting, never its text.
    throw new ServerConfigError(`${name} is not a URL (postgres://user:password@host:port/database)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ServerConfigError(`${name} must be a postgres:// URL`);
  }
  const user = decodeURIComponent(parsed.username);
  if (!user) throw new ServerConfigError(`${name} names no user`);
  return { config: { connectionString: url }, user };
}

/**
 * CAVRA_DATABASE_URL (or CAVRA_DATABASE_URL_FILE): the app role. CAVRA_DATABASE_OWNER_URL (or
 * _FILE), optional: the role that owns the tables and runs the numbered migrations on start.
 */
export function databaseConfig(env: NodeJS.ProcessEnv): DatabaseConfig {
  const app = secretSetting(env, 'CAVRA_DATABASE_URL');
  if (!app) {
    throw new ServerConfigError(
      'No database: set CAVRA_DATABASE_URL or CAVRA_DATABASE_URL_FILE (a file holding postgres://…) in the environment',
    );
  }
  const owner = secretSetting(env, 'CAVRA_DATABASE_OWNER_URL');
  const appPool = poolConfig('CAVRA_DATABASE_URL', app);
  return {
    app: appPool.config,
    appRole: appPool.user,
    owner: owner ? poolConfig('CAVRA_DATABASE_OWNER_URL', owner).config : null,
  };
}

/** PEM certificate and key from files (a mounted secret for the key). */
export function tlsFiles(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (what: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new ServerConfigError(`${what}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  return { cert: read('TLS certificate', certFile), key: read('TLS key', keyFile) };
}
