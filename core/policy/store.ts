import type { DecisionKind, EnforcementMode } from '../contract';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../store';
import { z } from 'zod';

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

/**
 * A tenant's whole policy as rows: what cavra server keeps in PostgreSQL (\`policy_state\`) and
 * every replica mirrors into its tenant database. The generation is not part of it: each copy
 * counts its own changes.
 */
const text = z.string().max(1_000_000);
export const policySnapshotSchema = z.strictObject({
  packs: z.array(
    z.strictObject({
      packId: text,
      version: text,
      source: z.enum(['builtin', 'imported']),
      origin: text,
      text,
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      signature: text.nullable(),
      signedBy: text.nullable(),
      activatedAt: text,
      activatedBy: text,
    }),
  ),
  assignments: z.array(z.strictObject({ packId: text, repository: text, assignedAt: text, assignedBy: text })),
  settings: z.array(z.strictObject({ key: text, value: text })),
  signingKeys: z.array(z.strictObject({ keyId: text, publicKey: text, addedAt: text, addedBy: text })),
});
export type PolicySnapshot = z.infer<typeof policySnapshotSchema>;

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

  snapshot(): PolicySnapshot {
    return {
      packs: this.packs(),
      assignments: this.sql(
        `SELECT pack_id AS packId, repository, assigned_at AS assignedAt, assigned_by AS assignedBy
         FROM policy_assignments ORDER BY pack_id, repository`,
      ).all() as PolicySnapshot['assignments'],
      settings: this.sql(`SELECT key, value FROM policy_settings WHERE key <> 'generation' ORDER BY key`).all() as {
        key: string;
        value: string;
      }[],
      signingKeys: this.sql(
        `SELECT key_id AS keyId, public_key AS publicKey, added_at AS addedAt, added_by AS addedBy
         FROM policy_signing_keys ORDER BY key_id`,
      ).all() as PolicySnapshot['signingKeys'],
    };
  }

  /** Replaces every policy row with `snapshot`'s, as one change (the generation moves on). */
  replace(snapshot: PolicySnapshot): void {
    this.transaction(() => {
      this.sql(`DELETE FROM policy_assignments`).run();
      this.sql(`DELETE FROM policy_packs`).run();
      this.sql(`DELETE FROM policy_signing_keys`).run();
      this.sql(`DELETE FROM policy_settings WHERE key <> 'generation'`).run();
      for (const pack of snapshot.packs) this.savePack(pack);
      const assign = this.sql(
        `INSERT INTO policy_assignments (pack_id, repository, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
      );
      for (const a of snapshot.assignments) assign.run(a.packId, a.repository, a.assignedAt, a.assignedBy);
      for (const { key, value } of snapshot.settings) if (key !== 'generation') this.setSetting(key, value);
      const key = this.sql(
        `INSERT INTO policy_signing_keys (key_id, public_key, added_at, added_by) VALUES (?, ?, ?, ?)`,
      );
      for (const k of snapshot.signingKeys) key.run(k.keyId, k.publicKey, k.addedAt, k.addedBy);
    });
  }
}
