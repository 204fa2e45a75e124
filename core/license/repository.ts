import type { SqliteDatabase } from '../store';

export interface StoredDocument {
  document: string;
  importedAt: string;
  importedBy: string;
}

export interface Surrender {
  licenseId: string;
  at: string;
  by: string;
  reason: string;
}

/**
 * A tenant's license, the newest vendor revocation list and the tenant's own surrenders,
 * behind an async interface for the coming PostgreSQL store. Documents are kept as signed
 * and verified again whenever they are read: the store holds evidence, not conclusions.
 */
export interface LicenseRepository {
  license(tenant: string): Promise<StoredDocument | null>;
  saveLicense(tenant: string, licenseId: string, stored: StoredDocument): Promise<void>;
  revocationList(tenant: string): Promise<(StoredDocument & { issuedAt: string }) | null>;
  saveRevocationList(tenant: string, issuedAt: string, stored: StoredDocument): Promise<void>;
  surrenders(tenant: string): Promise<Surrender[]>;
  saveSurrender(tenant: string, surrender: Surrender): Promise<void>;
}

export class SqliteLicenseRepository implements LicenseRepository {
  constructor(private readonly db: (tenant: string) => SqliteDatabase) {}

  async license(tenant: string): Promise<StoredDocument | null> {
    const row = this.db(tenant)
      .prepare(`SELECT document, imported_at, imported_by FROM license_current WHERE slot = 1`)
      .get() as { document: string; imported_at: string; imported_by: string } | undefined;
    return row ? { document: row.document, importedAt: row.imported_at, importedBy: row.imported_by } : null;
  }

  async saveLicense(tenant: string, licenseId: string, stored: StoredDocument): Promise<void> {
    this.db(tenant)
      .prepare(
        `INSERT INTO license_current (slot, license_id, document, imported_at, imported_by) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT(slot) DO UPDATE SET license_id = excluded.license_id, document = excluded.document,
           imported_at = excluded.imported_at, imported_by = excluded.imported_by`,
      )
      .run(licenseId, stored.document, stored.importedAt, stored.importedBy);
  }

  async revocationList(tenant: string): Promise<(StoredDocument & { issuedAt: string }) | null> {
    const row = this.db(tenant)
      .prepare(`SELECT issued_at, document, imported_at, imported_by FROM license_revocation_list WHERE slot = 1`)
      .get() as { issued_at: string; document: string; imported_at: string; imported_by: string } | undefined;
    return row
      ? { issuedAt: row.issued_at, document: row.document, importedAt: row.imported_at, importedBy: row.imported_by }
      : null;
  }

  async saveRevocationList(tenant: string, issuedAt: string, stored: StoredDocument): Promise<void> {
    this.db(tenant)
      .prepare(
        `INSERT INTO license_revocation_list (slot, issued_at, document, imported_at, imported_by) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT(slot) DO UPDATE SET issued_at = excluded.issued_at, document = excluded.document,
           imported_at = excluded.imported_at, imported_by = excluded.imported_by`,
      )
      .run(issuedAt, stored.document, stored.importedAt, stored.importedBy);
  }

  async surrenders(tenant: string): Promise<Surrender[]> {
    return (
      this.db(tenant).prepare(`SELECT license_id, at, by, reason FROM license_surrenders ORDER BY at`).all() as {
        license_id: string;
        at: string;
        by: string;
        reason: string;
      }[]
    ).map((row) => ({ licenseId: row.license_id, at: row.at, by: row.by, reason: row.reason }));
  }

  async saveSurrender(tenant: string, surrender: Surrender): Promise<void> {
    this.db(tenant)
      .prepare(`INSERT OR IGNORE INTO license_surrenders (license_id, at, by, reason) VALUES (?, ?, ?, ?)`)
      .run(surrender.licenseId, surrender.at, surrender.by, surrender.reason);
  }
}
