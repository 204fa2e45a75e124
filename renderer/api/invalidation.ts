import type { EventName } from '../../core/contract';

/**
 * The one table from push events to the queries they make stale (HOUSE rule 7).
 * Keys are query-key prefixes as used in `queries.ts`.
 */
export const invalidationTable: Record<EventName, readonly (readonly string[])[]> = {
  'tenants.changed': [['tenants.list'], ['system.info']],
};
