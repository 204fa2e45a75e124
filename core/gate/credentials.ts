import crypto from 'node:crypto';
import type { OsUser, Principal } from '../contract';
import type { SqliteDatabase, Store } from '../store';

/**
 * Agent credentials (SPEC §4, §7): issued per adapter install, each bound to one tenant and
 * registered to the OS user who installed it. The secret is shown once (written to a 0600
 * file for the adapter); the registry keeps its SHA-256 only. `agt<16 hex>_<43 base64url>`
 * fits the gate wire's token pattern.
 */
export interface AgentCredential {
  id: string;
  tenant: string;
  label: string;
  owner: OsUser;
}

export interface MintedCredential {
  id: string;
  secret: string;
}

const TOKEN = /^(agt[0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** Verified tokens are remembered this long, so the hot path does not query SQLite per decision. */
const CACHE_MS = 1_000;

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest();

export class AgentCredentials {
  private readonly cache = new Map<string, { credential: AgentCredential | null; at: number }>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new credential's id and secret, not yet valid: record its enrolment, then `issue` it. */
  static mint(): MintedCredential {
    return { id: `agt${crypto.randomBytes(8).toString('hex')}`, secret: crypto.randomBytes(32).toString('base64url') };
  }

  issue(
    tenant: string,
    label: string,
    owner: OsUser,
    by: string,
    minted: MintedCredential = AgentCredentials.mint(),
  ): { credential: AgentCredential; token: string } {
    const { id, secret } = minted;
    this.db
      .prepare(
        `INSERT INTO agent_credentials (id, tenant_id, secret_sha256, label, owner_uid, owner_name, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, tenant, sha256(secret).toString('hex'), label, owner.uid, owner.name, this.now().toISOString(), by);
    return { credential: { id, tenant, label, owner }, token: `${id}_${secret}` };
  }

  /** The credential a token proves, or null (unknown, revoked, malformed). Constant-time on the secret. */
  verify(token: unknown): AgentCredential | null {
    if (typeof token !== 'string') return null;
    const match = TOKEN.exec(token);
    if (!match) return null;
    const key = sha256(token).toString('hex');
    const cached = this.cache.get(key);
    const now = performance.now();
    if (cached && now - cached.at < CACHE_MS) return cached.credential;
    const row = this.db
      .prepare(
        `SELECT id, tenant_id, secret_sha256, label, owner_uid, owner_name FROM agent_credentials
         WHERE id = ? AND revoked_at IS NULL`,
      )
      .get(match[1]) as
      | { id: string; tenant_id: string; secret_sha256: string; label: string; owner_uid: number; owner_name: string }
      | undefined;
    const credential = proven(row, match[2] as string);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, { credential, at: now });
    return credential;
  }

  /** The credential id a token names (whether or not it is valid), or null when it is not a token. */
  static idOf(token: string): string | null {
    return TOKEN.exec(token)?.[1] ?? null;
  }

  revoke(id: string): boolean {
    this.cache.clear();
    return (
      this.db
        .prepare(`UPDATE agent_credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`)
        .run(this.now().toISOString(), id).changes === 1
    );
  }

  list(tenant: string): (AgentCredential & { createdAt: string; revokedAt: string | null })[] {
    return (this.db.prepare(LIST('?')).all(tenant) as ListedRow[]).map(listed);
  }
}

/** A registry row as the verification reads it. */
interface CredentialRow {
  id: string;
  tenant_id: string;
  secret_sha256: string;
  label: string;
  owner_uid: number;
  owner_name: string;
}

interface ListedRow {
  id: string;
  tenant_id: string;
  label: string;
  owner_uid: number;
  owner_name: string;
  created_at: string;
  revoked_at: string | null;
}

/** A tenant's credentials, oldest first; `placeholder` is the engine's parameter. */
const LIST = (placeholder: string) => `SELECT id, tenant_id, label, owner_uid, owner_name, created_at, revoked_at
  FROM agent_credentials WHERE tenant_id = ${placeholder} ORDER BY created_at, id`;

function listed(row: ListedRow): AgentCredential & { createdAt: string; revokedAt: string | null } {
  return {
    id: row.id,
    tenant: row.tenant_id,
    label: row.label,
    owner: { uid: row.owner_uid, name: row.owner_name },
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * The credential `secret` proves, given its registry row (or none): compared in constant time
 * on the digests, and against a random digest when there is no row, so an unknown id and a
 * wrong secret take the same time.
 */
function proven(row: CredentialRow | undefined, secret: string): AgentCredential | null {
  const given = sha256(secret);
  const expected = row ? Buffer.from(row.secret_sha256, 'hex') : crypto.randomBytes(32);
  return row && crypto.timingSafeEqual(given, expected)
    ? { id: row.id, tenant: row.tenant_id, label: row.label, owner: { uid: row.owner_uid, name: row.owner_name } }
    : null;
}

/**
 * Machine credentials as `cavra server` keeps them (issue 12): the registry on the store port,
 * so a credential issued through one replica verifies on every other, and a revocation made on
 * one is seen by all within `cacheMs`. The same table and columns as the install registry's
 * (SQLite) and the shared database's `agent_credentials` (PostgreSQL), and, as there, only a
 * SHA-256 of the secret. The table is install-wide, not per tenant: a token names no tenant,
 * so the credential must be found before its tenant is known (the tenant is the row's).
 *
 * The local gate keeps `AgentCredentials` above: it authenticates adapters inline on its
 * decision path, synchronously, from the install's own file.
 */
export class StoredAgentCredentials {
  private readonly cache = new Map<string, { credential: AgentCredential | null; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly options: {
      now?: () => Date;
      /** Called before a tenant's first credential (the shared store's rows reference its tenant row). */
      ensureTenant?: (tenant: string) => Promise<void>;
      /** How long a verification is remembered (default 1 s): the bound on a revocation reaching this replica. */
      cacheMs?: number;
    } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async issue(
    tenant: string,
    label: string,
    owner: OsUser,
    by: string,
    minted: MintedCredential = AgentCredentials.mint(),
  ): Promise<{ credential: AgentCredential; token: string }> {
    const { id, secret } = minted;
    await this.options.ensureTenant?.(tenant);
    await this.store.transaction('install', (s) =>
      s.run(
        `INSERT INTO agent_credentials (id, tenant_id, secret_sha256, label, owner_uid, owner_name, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, tenant, sha256(secret).toString('hex'), label, owner.uid, owner.name, this.now().toISOString(), by],
      ),
    );
    return { credential: { id, tenant, label, owner }, token: `${id}_${secret}` };
  }

  /** The credential a token proves, or null (unknown, revoked, malformed). Constant-time on the secret. */
  async verify(token: unknown): Promise<AgentCredential | null> {
    if (typeof token !== 'string') return null;
    const match = TOKEN.exec(token);
    if (!match) return null;
    const key = sha256(token).toString('hex');
    const cached = this.cache.get(key);
    const at = performance.now();
    if (cached && at - cached.at < (this.options.cacheMs ?? CACHE_MS)) return cached.credential;
    const row = await this.store.read('install', (s) =>
      s.get<CredentialRow>(
        `SELECT id, tenant_id, secret_sha256, label, owner_uid, owner_name FROM agent_credentials
         WHERE id = $1 AND revoked_at IS NULL`,
        [match[1] as string],
      ),
    );
    const credential = proven(row, match[2] as string);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, { credential, at });
    return credential;
  }

  /** Revokes `tenant`'s credential `id`; false when there is none or it already was. */
  async revoke(tenant: string, id: string): Promise<boolean> {
    this.cache.clear();
    return (
      (await this.store.transaction('install', (s) =>
        s.run(`UPDATE agent_credentials SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL`, [
          this.now().toISOString(),
          id,
          tenant,
        ]),
      )) === 1
    );
  }

  async list(tenant: string): Promise<(AgentCredential & { createdAt: string; revokedAt: string | null })[]> {
    return (await this.store.read('install', (s) => s.all<ListedRow>(LIST('$1'), [tenant]))).map(listed);
  }
}

/** The agent principal a credential stands for: its tenant is the credential's, never the caller's. */
export function agentPrincipal(credential: AgentCredential): Principal {
  return {
    id: `agent:${credential.id}`,
    displayName: `Agent adapter ${credential.label}`,
    kind: 'agent',
    tenant: credential.tenant,
    session: credential.id,
    osUser: credential.owner,
  };
}
