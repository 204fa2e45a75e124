import type { SqliteDatabase } from '../store';
import type { CheckpointPolicy } from './ledger';
import { Ledger } from './ledger';
import type { EvidenceSigner } from './signing';

/** What the ledgers need from the tenant directory (TenantDirectory satisfies it). */
export interface LedgerHost {
  store(tenantId: string): SqliteDatabase;
  signingPublicKey(tenantId: string): { publicKey: Buffer; keyId: string } | null;
  evidenceSigner(tenantId: string): EvidenceSigner;
}

export interface EvidenceLedgersOptions {
  now?: () => Date;
  checkpoints?: Partial<CheckpointPolicy>;
}

/**
 * One Ledger per tenant per process: the single writer HOUSE rule 6 asks for. Callers
 * must have checked the principal's access to the tenant before asking for its ledger.
 */
export class EvidenceLedgers {
  private readonly ledgers = new Map<string, Ledger>();

  constructor(
    private readonly host: LedgerHost,
    private readonly options: EvidenceLedgersOptions = {},
  ) {}

  ledger(tenantId: string): Ledger {
    const open = this.ledgers.get(tenantId);
    if (open) return open;
    const ledger = new Ledger({
      db: this.host.store(tenantId),
      tenant: tenantId,
      keys: {
        publicKey: () => this.host.signingPublicKey(tenantId),
        signer: () => this.host.evidenceSigner(tenantId),
      },
      now: this.options.now,
      checkpoints: this.options.checkpoints,
    });
    this.ledgers.set(tenantId, ledger);
    return ledger;
  }

  /** Flushes every queued append; call before closing the tenant databases. */
  close(): void {
    for (const ledger of this.ledgers.values()) ledger.close();
    this.ledgers.clear();
  }
}
