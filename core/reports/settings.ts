import crypto from 'node:crypto';
import type { ReportKind, ReportSettings } from '../contract';
import type { Store } from '../store';

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

/** The tenant's report policy and schedules, through the store port (either adapter). */
export class StoredReportRepository implements ReportRepository {
  constructor(private readonly store: Store) {}

  async settings(tenant: string): Promise<ReportSettings> {
    const row = await this.store.read({ tenant }, (session) =>
      session.get<{ value: string }>(`SELECT value FROM report_settings WHERE key = 'policy'`),
    );
    return row ? { ...DEFAULT_REPORT_SETTINGS, ...(JSON.parse(row.value) as ReportSettings) } : DEFAULT_REPORT_SETTINGS;
  }

  async saveSettings(tenant: string, settings: ReportSettings): Promise<void> {
    await this.store.transaction({ tenant }, (session) =>
      session.upsert('report_settings', ['key'], { key: 'policy', value: JSON.stringify(settings) }),
    );
  }

  async schedules(tenant: string): Promise<StoredSchedule[]> {
    const rows = await this.store.read({ tenant }, (session) =>
      session.all<ScheduleRow>(
        `SELECT id, kind, cadence, recipients, next_run_at, last_run_at, created_by FROM report_schedules
          ORDER BY created_at, id`,
      ),
    );
    return rows.map(toSchedule);
  }

  async addSchedule(tenant: string, schedule: Omit<StoredSchedule, 'id' | 'lastRunAt'>, now: number) {
    const id = `sch_${crypto.randomUUID()}`;
    await this.store.transaction({ tenant }, (session) =>
      session.run(
        `INSERT INTO report_schedules (id, kind, cadence, recipients, next_run_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          id,
          schedule.kind,
          schedule.cadence,
          JSON.stringify(schedule.recipients),
          schedule.nextRunAt,
          schedule.createdBy,
          now,
        ],
      ),
    );
    return { ...schedule, id, lastRunAt: null };
  }

  async removeSchedule(tenant: string, id: string) {
    const changed = await this.store.transaction({ tenant }, (session) =>
      session.run(`DELETE FROM report_schedules WHERE id = $1`, [id]),
    );
    return changed === 1;
  }

  async advanceSchedule(tenant: string, id: string, ranAt: number, expectedNext: number, next: number) {
    // Compare-and-set on next_run_at: of several workers (or replicas) that found it due, one wins.
    const changed = await this.store.transaction({ tenant }, (session) =>
      session.run(`UPDATE report_schedules SET next_run_at = $1, last_run_at = $2 WHERE id = $3 AND next_run_at = $4`, [
        next,
        ranAt,
        id,
        expectedNext,
      ]),
    );
    return changed === 1;
  }
}
