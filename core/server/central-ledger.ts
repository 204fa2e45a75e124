import { SharedLedger, exportSharedLedger } from '../evidence';
import type {
  EvidenceSigner,
  ExportOptions,
  ExportResult,
  SharedAppendReceipt,
  SharedLedgerVerification,
} from '../evidence';
import { sharedTenantRows } from '../store';
import type { Store } from '../store';

/**
 * The organisation's evidence ledger on the shared store: one chain per tenant that every
 * replica appends to (SharedLedger: advisory-lock ordering, group commit, acknowledged after
 * COMMIT), with records shipped by gates keyed by their origin so a retry never duplicates.
 */
export class CentralLedger {
  private readonly ledger: SharedLedger;
  /**
   * The shared store's tenant row that the ledger's rows reference. The server's core owns
   * the tenant registry; the shared store learns a tenant the first time evidence arrives.
   */
  private readonly ensureTenant: (tenant: string) => Promise<void>;

  constructor(
    private readonly store: Store,
    now?: () => number,
  ) {
    this.ledger = new SharedLedger(store, now);
    this.ensureTenant = sharedTenantRows(store);
  }

  /** One record (the server's own evidence, e.g. a machine enrolled), acknowledged after COMMIT. */
  async append(
    tenant: string,
    record: { type: string; payload: unknown },
    origin: { origin: string; originSeq: number } | null = null,
  ): Promise<SharedAppendReceipt> {
    await this.ensureTenant(tenant);
    return this.ledger.append(tenant, record, origin);
  }

  /**
   * Appends a gate's records in the order given: they are queued in one tick, so they take
   * consecutive places in the group commit (a retried record keeps its first place). Each
   * promise settles on its own record's commit or refusal.
   */
  async appendBatch(
    tenant: string,
    records: readonly { type: string; payload: unknown; origin: { origin: string; originSeq: number } | null }[],
  ): Promise<PromiseSettledResult<SharedAppendReceipt>[]> {
    await this.ensureTenant(tenant);
    return Promise.allSettled(
      records.map((record) =>
        this.ledger.append(tenant, { type: record.type, payload: record.payload }, record.origin),
      ),
    );
  }

  /**
   * The tenant's central ledger as an evidence bundle in `options.out` (core/evidence/FORMAT.md),
   * after a checkpoint signed with `signer` over every record: `cavra evidence verify` checks it.
   */
  exportBundle(tenant: string, signer: EvidenceSigner, options: ExportOptions): Promise<ExportResult> {
    return exportSharedLedger(this.ledger, this.store, tenant, signer, options);
  }

  verify(tenant: string): Promise<SharedLedgerVerification> {
    return this.ledger.verify(tenant);
  }
}
