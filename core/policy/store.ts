import type { DecisionKind, EnforcementMode } from '../contract';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../store';

/** The policy tables of one tenant's database (migrations: `policy` in core/store/schema.ts). */

type PackSource = 'builtin' | 'imported';

export interface StoredPack {
  packId: string;
  version: string;
  source: PackSource;
  origin: string;
  text: string;
  sha256: string;
  signature: string | null;
  signedBy: string | null;
  activatedAt: string;
  activatedBy: string;
}

interface StoredAssignment {
  packId: string;
  /** null: the whole tenant. */
  repository: string | null;
  assignedAt: string;
  assignedBy: string;
}

export interface PolicySettings {
  mode: EnforcementMode;
  /** What a subject no rule of any pack matches gets when no enforcing pack declares defaults. */
  defaultDecision: DecisionKind;
  requireSignedPacks: boolean;
}

export interface StoredSigningKey {
  id: string;
  publicKey: string;
}

const SETTING_DEFAULTS: PolicySettings = {
  mode: 'enforce',
  defaultDecision: 'require_approval',
  requireSignedPacks: false,
};

export class PolicyStore {
  /** Prepared once: the evaluation path reads the generation on every call. */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {}

  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Bumped on every change, so other processes' caches of this tenant notice. */
  generation(): number {
    const row = this.sql(`SELECT value FROM policy_settings WHERE key = 'generation'`).get() as
      { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(() => {
      const result = work();
      this.sql(
        `INSERT INTO policy_settings (key, value) VALUES ('generation', '1')
           ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      ).run();
      return result;
    })();
  }

  packs(): StoredPack[] {
    return this.sql(
      `SELECT pack_id AS packId, version, source, origin, text, sha256, signature, signed_by AS signedBy,
         activated_at AS activatedAt, activated_by AS activatedBy
       FROM policy_packs ORDER BY pack_id`,
    ).all() as StoredPack[];
  }

  pack(packId: string): StoredPack | null {
    return this.packs().find((p) => p.packId === packId) ?? null;
  }

  savePack(pack: StoredPack): void {
    this.sql(
      `INSERT INTO policy_packs (pack_id, version, source, origin, text, sha256, signature, signed_by, activated_at, activated_by)
         VALUES (@packId, @version, @source, @origin, @text, @sha256, @signature, @signedBy, @activatedAt, @activatedBy)
         ON CONFLICT(pack_id) DO UPDATE SET version = excluded.version, source = excluded.source, origin = excluded.origin,
           text = excluded.text, sha256 = excluded.sha256, signature = excluded.signature, signed_by = excluded.signed_by,
           activated_at = excluded.activated_at, activated_by = excluded.activated_by`,
    ).run(pack);
  }

  assignments(): StoredAssignment[] {
    const rows = this.sql(
      `SELECT pack_id, repository, assigned_at, assigned_by FROM policy_assignments ORDER BY pack_id, repository`,
    ).all() as { pack_id: string; repository: string; assigned_at: string; assigned_by: string }[];
    return rows.map((row) => ({
      packId: row.pack_id,
      repository: row.repository === '' ? null : row.repository,
      assignedAt: row.assigned_at,
      assignedBy: row.assigned_by,
    }));
  }

  assign(packId: string, repository: string | null, at: string, by: string): boolean {
    const result = this.sql(
      `INSERT OR IGNORE INTO policy_assignments (pack_id, repository, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
    ).run(packId, repository ?? '', at, by);
    return result.changes > 0;
  }

  unassign(packId: string, repository: string | null): boolean {
    const result = this.sql(`DELETE FROM policy_assignments WHERE pack_id = ? AND repository = ?`).run(
      packId,
      repository ?? '',
    );
    return result.changes > 0;
  }

  private setting(key: string): string | null {
    const row = this.sql(`SELECT value FROM policy_settings WHERE key = ?`).get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  private setSetting(key: string, value: string): void {
    this.sql(
      `INSERT INTO policy_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    ).run(key, value);
  }

  settings(): PolicySettings {
    return {
      mode: (this.setting('mode') as EnforcementMode | null) ?? SETTING_DEFAULTS.mode,
      defaultDecision: (this.setting('default_decision') as DecisionKind | null) ?? SETTING_DEFAULTS.defaultDecision,
      requireSignedPacks: (this.setting('require_signed_packs') ?? '0') === '1',
    };
  }

  saveSettings(settings: PolicySettings): void {
    this.setSetting('mode', settings.mode);
    this.setSetting('default_decision', settings.defaultDecision);
    this.setSetting('require_signed_packs', settings.requireSignedPacks ? '1' : '0');
  }

  /** Set once the built-in packs were first assigned, so removing them later sticks. */
  builtinsAssigned(): boolean {
    return this.setting('builtins_assigned') !== null;
  }

  markBuiltinsAssigned(at: string): void {
    this.setSetting('builtins_assigned', at);
  }

  signingKeys(): StoredSigningKey[] {
    return this.sql(
      `SELECT key_id AS id, public_key AS publicKey FROM policy_signing_keys ORDER BY key_id`,
    ).all() as StoredSigningKey[];
  }

  replaceSigningKeys(keys: readonly StoredSigningKey[], at: string, by: string): void {
    this.sql(`DELETE FROM policy_signing_keys`).run();
    const insert = this.sql(
      `INSERT INTO policy_signing_keys (key_id, public_key, added_at, added_by) VALUES (?, ?, ?, ?)`,
    );
    for (const key of keys) insert.run(key.id, key.publicKey, at, by);
  }
}
