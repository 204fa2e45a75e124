import { SharedLedger } from '../evidence';
import type { SharedAppendReceipt, SharedLedgerVerification } from '../evidence';
import type { Store } from '../store';

/**
 * The organisation's evidence ledger on the shared store: one chain per tenant that every
 * replica appends to (SharedLedger: advisory-lock ordering, group commit, acknowledged after
 * COMMIT), with records shipped by gates keyed by their origin so a retry never duplicates.
 */
export class CentralLedger {
  private readonly ledger: SharedLedger;
  private readonly known = new Set<string>();

  constructor(
    private readonly store: Store,
    now?: () => number,
  ) {
    this.ledger = new SharedLedger(store, now);
  }

  async append(
    tenant: string,
    record: { type: string; payload: unknown },
    origin: { origin: string; originSeq: number } | null = null,
  ): Promise<SharedAppendReceipt> {
    await this.ensureTenant(tenant);
    return this.ledger.append(tenant, record, origin);
  }

  verify(tenant: string): Promise<SharedLedgerVerification> {
    return this.ledger.verify(tenant);
  }

  /**
   * The shared store's tenant row that the ledger's rows reference. The server's core owns
   * the tenant registry; the shared store learns a tenant the first time evidence arrives.
   */
  private async ensureTenant(tenant: string): Promise<void> {
    if (this.known.has(tenant)) return;
    await this.store.transaction('install', (session) =>
      session.run(
        `INSERT INTO tenants (id, display_name, kind, created_at, created_by)
         VALUES ($1, $1, 'production', $2, 'cavra-server') ON CONFLICT (id) DO NOTHING`,
        [tenant, new Date().toISOString()],
      ),
    );
    this.known.add(tenant);
  }
}
