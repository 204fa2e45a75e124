// A throwaway PostgreSQL 15 cluster for the tests: Debian's binaries, a temp directory, a free
// loopback port, the unix socket inside the temp directory, password (SCRAM) authentication.
// initdb refuses root, and CI runs as root: the cluster then belongs to `nobody`, with the temp
// directory handed to it. Started once per test run (test/postgres-setup.ts), stopped at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import pg from 'pg';
import type { PoolConfig } from 'pg';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresCluster {
  host: string;
  port: number;
  admin: { user: string; password: string };
  owner: { user: string; password: string };
  app: { user: string; password: string };
}

export const POSTGRES_BIN = process.env.CAVRA_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why the cluster cannot start here, or null when the binaries are installed. */
export function postgresMissing(): string | null {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(POSTGRES_BIN, tool))) {
      return `PostgreSQL 15 is not installed (${path.join(POSTGRES_BIN, tool)} is missing): apt-get install postgresql`;
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const secret = () => crypto.randomBytes(18).toString('base64url');

export async function startPostgresCluster(): Promise<{ cluster: PostgresCluster; stop: () => void }> {
  const missing = postgresMissing();
  if (missing) throw new Error(missing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-pg-'));
  const asRoot = process.getuid?.() === 0;
  let runAs: string[] = [];
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
    fs.chownSync(dir, uid, gid);
    runAs = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
  }
  const run = (tool: string, args: string[]) => {
    const command = [...runAs, path.join(POSTGRES_BIN, tool), ...args];
    const result = spawnSync(command[0] as string, command.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LC_ALL: 'C.UTF-8', TZ: 'UTC' },
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  };
  const cluster: PostgresCluster = {
    host: '127.0.0.1',
    port: 0,
    admin: { user: 'cavra_admin', password: secret() },
    owner: { user: 'cavra_owner', password: secret() },
    app: { user: 'cavra_app', password: secret() },
  };
  const data = path.join(dir, 'data');
  let started = false;
  const stop = () => {
    if (started) {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']);
      } catch {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      }
      started = false;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, `${cluster.admin.password}\n`, { mode: 0o600 });
    if (asRoot) fs.chownSync(pwfile, fs.statSync(dir).uid, fs.statSync(dir).gid);
    run('initdb', [
      '-D',
      data,
      '-U',
      cluster.admin.user,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--no-instructions',
      '--no-sync',
    ]);
    fs.rmSync(pwfile);
    // A port picked free can be taken before postgres binds it (other test runs share the
    // machine): try a few.
    for (let attempt = 0; ; attempt += 1) {
      cluster.port = await freePort();
      try {
        run('pg_ctl', [
          'start',
          '-D',
          data,
          '-w',
          '-t',
          '60',
          '-l',
          path.join(dir, 'server.log'),
          '-o',
          `-p ${cluster.port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
        ]);
        started = true;
        break;
      } catch (error) {
        if (attempt >= 3) throw new Error(`${(error as Error).message}\n${readLog(dir)}`);
      }
    }
    const admin = new pg.Client({ ...connection(cluster, 'postgres'), ...cluster.admin });
    await admin.connect();
    try {
      // The owner creates and owns the tables; the app is what CAVRA connects as: no
      // SUPERUSER, no BYPASSRLS, so row-level security binds it.
      await admin.query(`CREATE ROLE ${cluster.owner.user} LOGIN CREATEDB PASSWORD '${cluster.owner.password}'`);
      await admin.query(
        `CREATE ROLE ${cluster.app.user} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${cluster.app.password}'`,
      );
    } finally {
      await admin.end();
    }
  } catch (error) {
    stop();
    throw error;
  }
  return { cluster, stop };
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

export function connection(cluster: PostgresCluster, database: string) {
  return { host: cluster.host, port: cluster.port, database };
}

export interface TestDatabase {
  name: string;
  /** The owner's connection: migrations, and raw SQL a test runs around the store. */
  owner: PoolConfig;
  /** The application role's connection: what PostgresStore uses. */
  app: PoolConfig;
  appRole: string;
  drop: () => Promise<void>;
}

export async function createTestDatabase(cluster: PostgresCluster): Promise<TestDatabase> {
  const name = `cavra_test_${crypto.randomBytes(6).toString('hex')}`;
  const ownerAt = (database: string) => ({ ...connection(cluster, database), ...cluster.owner });
  const admin = new pg.Client(ownerAt('postgres'));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} OWNER ${cluster.owner.user}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    owner: ownerAt(name),
    app: { ...connection(cluster, name), ...cluster.app },
    appRole: cluster.app.user,
    drop: async () => {
      const client = new pg.Client(ownerAt('postgres'));
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
