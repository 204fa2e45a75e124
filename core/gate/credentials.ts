import crypto from 'node:crypto';
import type { OsUser, Principal } from '../contract';
import type { SqliteDatabase } from '../store';

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
    const given = sha256(match[2] as string);
    const expected = row ? Buffer.from(row.secret_sha256, 'hex') : crypto.randomBytes(32);
    const credential =
      row && crypto.timingSafeEqual(given, expected)
        ? { id: row.id, tenant: row.tenant_id, label: row.label, owner: { uid: row.owner_uid, name: row.owner_name } }
        : null;
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
    return (
      this.db
        .prepare(
          `SELECT id, tenant_id, label, owner_uid, owner_name, created_at, revoked_at FROM agent_credentials
           WHERE tenant_id = ? ORDER BY created_at`,
        )
        .all(tenant) as {
        id: string;
        tenant_id: string;
        label: string;
        owner_uid: number;
        owner_name: string;
        created_at: string;
        revoked_at: string | null;
      }[]
    ).map((row) => ({
      id: row.id,
      tenant: row.tenant_id,
      label: row.label,
      owner: { uid: row.owner_uid, name: row.owner_name },
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    }));
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
