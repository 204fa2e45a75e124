import crypto from 'node:crypto';
import type { ReportKind, ReportSettings } from '../contract';
import type { SqliteDatabase } from '../store';

export const DEFAULT_REPORT_SETTINGS: ReportSettings = {
  redaction: { commandArguments: true, pathPrefixes: [], actorEmails: false },
  allowedDomains: [],
  recipients: [],
  reportConnector: null,
  escalation: null,
};

export interface StoredSchedule {
  id: string;
  kind: ReportKind;
  cadence: 'daily' | 'weekly';
  recipients: string[];
  nextRunAt: number;
  lastRunAt: number | null;
  createdBy: string;
}

/** Report policy and schedules per tenant, behind an async interface (HOUSE rule 15). */
export interface ReportRepository {
  settings(tenant: string): Promise<ReportSettings>;
  saveSettings(tenant: string, settings: ReportSettings): Promise<void>;
  schedules(tenant: string): Promise<StoredSchedule[]>;
  addSchedule(tenant: string, schedule: Omit<StoredSchedule, 'id' | 'lastRunAt'>, now: number): Promise<StoredSchedule>;
  removeSchedule(tenant: string, id: string): Promise<boolean>;
  /** Moves a due schedule to its next run; false when another worker already did. */
  advanceSchedule(tenant: string, id: string, ranAt: number, expectedNext: number, next: number): Promise<boolean>;
}

interface ScheduleRow {
  id: string;
  kind: ReportKind;
  cadence: 'daily' | 'weekly';
  recipients: string;
  next_run_at: number;
  last_run_at: number | null;
  created_by: string;
}

const toSchedule = (row: ScheduleRow): StoredSchedule => ({
  id: row.id,
  kind: row.kind,
  cadence: row.cadence,
  recipients: JSON.parse(row.recipients) as string[],
  nextRunAt: row.next_run_at,
  lastRunAt: row.last_run_at,
  createdBy: row.created_by,
});

export class SqliteReportRepository implements ReportRepository {
  constructor(private readonly db: (tenant: string) => SqliteDatabase) {}

  async settings(tenant: string): Promise<ReportSettings> {
    const row = this.db(tenant).prepare(`SELECT value FROM report_settings WHERE key = 'policy'`).get() as
      { value: string } | undefined;
    return row ? { ...DEFAULT_REPORT_SETTINGS, ...(JSON.parse(row.value) as ReportSettings) } : DEFAULT_REPORT_SETTINGS;
  }

  async saveSettings(tenant: string, settings: ReportSettings): Promise<void> {
    this.db(tenant)
      .prepare(
        `INSERT INTO report_settings (key, value) VALUES ('policy', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      )
      .run(JSON.stringify(settings));
  }

  async schedules(tenant: string): Promise<StoredSchedule[]> {
    return (this.db(tenant).prepare(`SELECT * FROM report_schedules ORDER BY created_at`).all() as ScheduleRow[]).map(
      toSchedule,
    );
  }

  async addSchedule(tenant: string, schedule: Omit<StoredSchedule, 'id' | 'lastRunAt'>, now: number) {
    const id = `sch_${crypto.randomUUID()}`;
    this.db(tenant)
      .prepare(
        `INSERT INTO report_schedules (id, kind, cadence, recipients, next_run_at, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        schedule.kind,
        schedule.cadence,
        JSON.stringify(schedule.recipients),
        schedule.nextRunAt,
        schedule.createdBy,
        now,
      );
    return { ...schedule, id, lastRunAt: null };
  }

  async removeSchedule(tenant: string, id: string) {
    return this.db(tenant).prepare(`DELETE FROM report_schedules WHERE id = ?`).run(id).changes === 1;
  }

  async advanceSchedule(tenant: string, id: string, ranAt: number, expectedNext: number, next: number) {
    return (
      this.db(tenant)
        .prepare(`UPDATE report_schedules SET next_run_at = ?, last_run_at = ? WHERE id = ? AND next_run_at = ?`)
        .run(next, ranAt, id, expectedNext).changes === 1
    );
  }
}
