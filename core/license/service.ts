import crypto from 'node:crypto';
import { ContractError } from '../contract';
import type { BuildChannel, EnterpriseFeature, Entitlement, LicenseValidation } from '../contract';
import { recordThenApply } from '../evidence';
import type { ChangeLedger } from '../evidence';
import { buildChannel } from './build-channel';
import type { Verified, RevocationListPayload } from './document';
import { LicenseDocumentError, licenseSummary, verifyLicenseDocument, verifyRevocationList } from './document';
import type { Revocation } from './entitlement';
import { buildInfo, computeEntitlement, featureRefusal } from './entitlement';
import type { LicenseRepository } from './repository';

export interface LicenseServiceOptions {
  repository: LicenseRepository;
  /** The tenant's ledger: every import is a config_change record before it takes effect. */
  ledger: (tenant: string) => ChangeLedger;
  now?: () => Date;
  channel?: BuildChannel;
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * Licensing for one install (SPEC §10): imports vendor-signed licenses and revocation lists
 * per tenant, answers the entitlement, and refuses Enterprise workflows the entitlement does
 * not enable. Every answer re-verifies the stored documents.
 */
export class LicenseService {
  private readonly now: () => Date;
  private readonly channel: BuildChannel;
  /** Revocation lists can be long; a verified one is remembered by its digest. */
  private readonly lists = new Map<string, Verified<RevocationListPayload>>();

  constructor(private readonly options: LicenseServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.channel = options.channel ?? buildChannel;
  }

  async entitlement(tenant: string): Promise<Entitlement> {
    const stored = await this.options.repository.license(tenant);
    return this.assess(tenant, stored?.document ?? null);
  }

  /** Throws `license_required` unless the tenant's entitlement enables the feature. */
  async require(tenant: string, feature: EnterpriseFeature): Promise<void> {
    const refusal = featureRefusal(await this.entitlement(tenant), feature);
    if (refusal) throw new ContractError('license_required', refusal);
  }

  async validate(tenant: string, text: string): Promise<LicenseValidation> {
    const build = buildInfo(this.channel);
    let verified;
    try {
      verified = verifyLicenseDocument(text, this.channel);
    } catch (error) {
      if (!(error instanceof LicenseDocumentError)) throw error;
      return { valid: false, problems: [error.message], license: null, status: null, build };
    }
    const license = licenseSummary(verified);
    const problems: string[] = [];
    if (license.tenant !== tenant) {
      problems.push(`The license is for tenant "${license.tenant}", not "${tenant}": import it into that tenant`);
    }
    const preview = await this.assess(tenant, text);
    if (license.tenant === tenant && preview.status !== 'active' && preview.status !== 'trial') {
      problems.push(preview.reason);
    }
    return { valid: problems.length === 0, problems, license, status: preview.status, build };
  }

  async import(tenant: string, text: string, by: string): Promise<Entitlement> {
    const verified = this.verifyOrRefuse(() => verifyLicenseDocument(text, this.channel));
    const license = licenseSummary(verified);
    if (license.tenant !== tenant) {
      throw new ContractError(
        'invalid_input',
        `document: the license is for tenant "${license.tenant}", not "${tenant}"; import it into that tenant`,
        'document',
      );
    }
    const preview = await this.assess(tenant, text);
    if (preview.status === 'expired' || preview.revocation) {
      throw new ContractError('invalid_input', `document: ${preview.reason}`, 'document');
    }
    await recordThenApply(
      this.options.ledger(tenant),
      {
        type: 'config_change',
        payload: {
          change: 'license.import',
          by,
          license_id: license.licenseId,
          edition: license.edition,
          evaluator: license.evaluator,
          features: license.features,
          not_before: license.notBefore,
          expires_at: license.expiresAt,
          signer: license.signer,
          build_channel: this.channel,
          document_sha256: sha256(text),
        },
      },
      () => this.options.repository.saveLicense(tenant, license.licenseId, this.stored(text, by)),
    );
    return this.entitlement(tenant);
  }

  async importRevocations(tenant: string, text: string, by: string): Promise<Entitlement> {
    const verified = this.verifyOrRefuse(() => verifyRevocationList(text, this.channel));
    const current = await this.revocations(tenant);
    // An older list could drop a revocation the newer one holds: a rollback, refused.
    if (current && Date.parse(verified.payload.issued_at) <= Date.parse(current.payload.issued_at)) {
      throw new ContractError(
        'conflict',
        `document: this revocation list was issued ${verified.payload.issued_at}, not after the one already imported (${current.payload.issued_at})`,
        'document',
      );
    }
    await recordThenApply(
      this.options.ledger(tenant),
      {
        type: 'config_change',
        payload: {
          change: 'license.revocations.import',
          by,
          issued_at: verified.payload.issued_at,
          entries: verified.payload.revoked.length,
          signer: verified.signer,
          document_sha256: sha256(text),
        },
      },
      () => this.options.repository.saveRevocationList(tenant, verified.payload.issued_at, this.stored(text, by)),
    );
    return this.entitlement(tenant);
  }

  /**
   * The tenant gives up its license (the trial closeout): recorded first, and from then on
   * the entitlement is suspended whatever the dates say. Returns the entitlement after.
   */
  async surrender(tenant: string, by: string, reason: string): Promise<Entitlement> {
    const before = await this.entitlement(tenant);
    const licenseId = before.license?.licenseId;
    if (!licenseId) throw new ContractError('not_found', `No license is imported for tenant "${tenant}"`);
    if (before.revocation) return before;
    const at = this.now().toISOString();
    await recordThenApply(
      this.options.ledger(tenant),
      { type: 'config_change', payload: { change: 'license.surrender', by, license_id: licenseId, reason } },
      () => this.options.repository.saveSurrender(tenant, { licenseId, at, by, reason }),
    );
    return this.entitlement(tenant);
  }

  /** The entitlement with `document` as the tenant's license (the stored one, or one about to be imported). */
  private async assess(tenant: string, document: string | null): Promise<Entitlement> {
    const [list, surrenders] = await Promise.all([
      this.revocations(tenant),
      this.options.repository.surrenders(tenant),
    ]);
    return computeEntitlement({
      tenant,
      document,
      revocation: (licenseId): Revocation | null => {
        const surrendered = surrenders.find((s) => s.licenseId === licenseId);
        if (surrendered) return { revokedAt: surrendered.at, reason: surrendered.reason, source: 'tenant' };
        const entry = list?.payload.revoked.find((r) => r.license_id === licenseId);
        return entry ? { revokedAt: entry.revoked_at, reason: entry.reason, source: 'vendor' } : null;
      },
      revocationList: list ? { issuedAt: list.payload.issued_at, entries: list.payload.revoked.length } : null,
      now: this.now(),
      channel: this.channel,
    });
  }

  private async revocations(tenant: string): Promise<Verified<RevocationListPayload> | null> {
    const stored = await this.options.repository.revocationList(tenant);
    if (!stored) return null;
    const digest = sha256(stored.document);
    const cached = this.lists.get(digest);
    if (cached) return cached;
    try {
      const verified = verifyRevocationList(stored.document, this.channel);
      if (this.lists.size > 16) this.lists.clear();
      this.lists.set(digest, verified);
      return verified;
    } catch (error) {
      // A stored list that no longer verifies revokes nothing and is reported as absent; the
      // license itself is still checked on its own.
      if (error instanceof LicenseDocumentError) return null;
      throw error;
    }
  }

  private verifyOrRefuse<T>(verify: () => T): T {
    try {
      return verify();
    } catch (error) {
      if (error instanceof LicenseDocumentError)
        throw new ContractError('invalid_input', `document: ${error.message}`, 'document');
      throw error;
    }
  }

  private stored(document: string, by: string) {
    return { document, importedAt: this.now().toISOString(), importedBy: by };
  }
}
