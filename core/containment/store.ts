import type { ContainmentEnforcement } from '../contract';
import type { Store } from '../store';

/** How a tenant's commands are contained, as stored. */
export interface ContainmentSettings {
  enforcement: ContainmentEnforcement;
  reason: string | null;
  changedAt: string | null;
  changedBy: string | null;
}

export const DEFAULT_CONTAINMENT_SETTINGS: ContainmentSettings = {
  enforcement: 'sandbox',
  reason: null,
  changedAt: null,
  changedBy: null,
};

/** The containment settings repository (HOUSE rule 15), implemented once on the store port. */
export interface ContainmentSettingsRepository {
  get(tenant: string): Promise<ContainmentSettings>;
  save(tenant: string, settings: ContainmentSettings): Promise<void>;
}

const KEY = 'enforcement';

/** Reads a stored value strictly: anything but a known shape is refused, never read as "off". */
function parseStored(text: string): ContainmentSettings {
  const value = JSON.parse(text) as Partial<ContainmentSettings>;
  if (value.enforcement !== 'sandbox' && value.enforcement !== 'judgement_only') {
    throw new Error('the stored containment setting is not one this build understands');
  }
  const optionalText = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    enforcement: value.enforcement,
    reason: optionalText(value.reason),
    changedAt: optionalText(value.changedAt),
    changedBy: optionalText(value.changedBy),
  };
}

/** The tenant's `containment_settings` table, through the store port (either adapter). */
export class StoredContainmentSettings implements ContainmentSettingsRepository {
  constructor(private readonly store: Store) {}

  async get(tenant: string): Promise<ContainmentSettings> {
    const row = await this.store.read({ tenant }, (session) =>
      session.get<{ value: string }>('SELECT value FROM containment_settings WHERE key = $1', [KEY]),
    );
    return row ? parseStored(row.value) : { ...DEFAULT_CONTAINMENT_SETTINGS };
  }

  async save(tenant: string, settings: ContainmentSettings): Promise<void> {
    await this.store.transaction({ tenant }, (session) =>
      session.upsert('containment_settings', ['key'], { key: KEY, value: JSON.stringify(settings) }),
    );
  }
}
