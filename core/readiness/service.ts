import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  CloseoutInput,
  CloseoutResult,
  Entitlement,
  GateKind,
  PacketExportResult,
  PilotScope,
  Principal,
  ReadinessReport,
  ResponseEnvelope,
  ValidatorResult,
} from '../contract';
type CloseoutLicenseOutcome = CloseoutResult['license']['outcome'];
import type { EvidenceLedgers, EvidenceSigner } from '../evidence';
import { tenantDatabasePath } from '../store';
import { blockersOf, bundleSummary, derivedReady, PACKET_FILES, packetPredicate, writePacket } from './packet';
import type { CloseoutPredicate, ExportedBundle, PacketKind, PacketPredicate } from './packet';
import { observe } from './observations';
import type { TenantObservers } from './validators';
import { validatorContext, validators } from './validators';

export interface ReadinessServiceOptions extends TenantObservers {
  home: string;
  ledgers: EvidenceLedgers;
  /** core/license: gives the tenant's license up at closeout (recorded first, then the entitlement is suspended). */
  surrenderLicense: (tenant: string, by: string, reason: string) => Promise<Entitlement>;
  /** The core's own request path, so the isolation probe meets the same guard every caller meets. */
  invoke: (principal: Principal, request: unknown) => Promise<ResponseEnvelope>;
  /** Every tenant id on this install, and the tenant signer for the packet. */
  tenantIds: () => string[];
  signer: (tenant: string) => EvidenceSigner;
  channel: 'demo' | 'production';
  now?: () => Date;
  windowDays?: number;
}

export interface RunControl {
  signal: AbortSignal;
  progress: (update: { done: number; total?: number | null; phase?: string }) => void;
}

/** Tenant-scoped reads a principal with no role in the tenant must be refused. */
const PROBED_READS = [
  { op: 'evidence.status', input: {} },
  { op: 'evidence.query', input: {} },
  { op: 'approvals.list', input: {} },
  { op: 'policy.packs.list', input: {} },
  { op: 'connectors.list', input: {} },
  { op: 'license.status', input: {} },
] as const;

/**
 * Runs the validators of a gate against a tenant, writes each result as a validator_result
 * record first (so a packet can cite it), and exports the production gate's signed packet.
 */
export class ReadinessService {
  private readonly now: () => Date;

  constructor(private readonly options: ReadinessServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async run(
    tenant: string,
    gate: GateKind,
    scope: PilotScope | null,
    by: Principal,
    control: RunControl,
  ): Promise<ReadinessReport> {
    const ledger = this.options.ledgers.ledger(tenant);
    const runId = `run_${crypto.randomUUID()}`;
    const chosen = validators.filter((v) => gate === 'production' || v.pilot);
    const context = validatorContext(this.options, {
      tenant,
      gate,
      scope: gate === 'pilot' ? scope : null,
      ledger,
      now: this.now(),
      signal: control.signal,
      windowDays: this.options.windowDays ?? 14,
      probeIsolation: () => this.probeIsolation(tenant, by),
    });
    const results: ValidatorResult[] = [];
    for (const [index, validator] of chosen.entries()) {
      control.signal.throwIfAborted();
      control.progress({ done: index, total: chosen.length, phase: validator.label });
      let outcome;
      try {
        outcome = await validator.run(context);
      } catch (error) {
        if (control.signal.aborted) throw error;
        // A validator that cannot observe is a blocker, never a pass.
        outcome = {
          status: 'blocker' as const,
          message: `The validator failed: ${error instanceof Error ? error.message : String(error)}`,
          evidence: [],
        };
      }
      const receipt = await ledger.append({
        type: 'validator_result',
        payload: {
          run_id: runId,
          gate,
          validator: validator.id,
          status: outcome.status,
          message: outcome.message.slice(0, 4000),
          evidence: outcome.evidence.slice(0, 1000),
          by: by.id,
          ...(context.scope ? { scope: context.scope } : {}),
        },
      });
      results.push({
        id: validator.id,
        label: validator.label,
        status: outcome.status,
        message: outcome.message.slice(0, 4000),
        evidence: outcome.evidence.slice(0, 1000),
        record: receipt.seq,
      });
    }
    control.progress({ done: chosen.length, total: chosen.length, phase: 'Done' });
    const blockers = results.filter((r) => r.status === 'blocker');
    const warnings = results.filter((r) => r.status === 'warn');
    const ready = gate === 'production' && derivedReady(results);
    return {
      tenant,
      runId,
      gate,
      scope: context.scope,
      checkedAt: context.now.toISOString(),
      rating: blockers.length > 0 ? 'red' : warnings.length > 0 && gate === 'pilot' ? 'yellow' : 'green',
      readyForAispmProduction: ready,
      blockers: blockers.map((b) => ({ validator: b.id, message: b.message })),
      validators: results,
    };
  }

  /** Runs the production gate now, exports the evidence bundle covering it, then signs the packet beside it. */
  async exportPacket(tenant: string, by: Principal, control: RunControl): Promise<PacketExportResult> {
    const report = await this.run(tenant, 'production', null, by, control);
    const ledger = this.options.ledgers.ledger(tenant);
    const { dir, sha256, predicate } = await this.archive(tenant, 'readiness', control, (bundle) =>
      packetPredicate(report, bundle, this.options.channel),
    );
    await ledger.append({
      type: 'readiness_packet',
      payload: {
        run_id: report.runId,
        ready_for_aispm_production: predicate.ready_for_aispm_production,
        blockers: predicate.blockers.length,
        packet_sha256: sha256,
        by: by.id,
      },
    });
    return {
      dir,
      readyForAispmProduction: predicate.ready_for_aispm_production,
      blockers: report.blockers,
      packetSha256: sha256,
    };
  }

  /**
   * The trial closeout (SPEC §11 step 9). The production gate runs first, so the remaining
   * blockers are what the system observes before the license is given up (a surrendered
   * license would otherwise be a blocker of the closeout's own making); then the license's fate
   * is applied (a surrender is recorded by core/license before it takes effect); then the
   * decisions are recorded as a `closeout` record, and only then is the signed packet written,
   * with the evidence bundle covering all of it.
   */
  async closeout(tenant: string, by: Principal, input: CloseoutInput, control: RunControl): Promise<CloseoutResult> {
    const ledger = this.options.ledgers.ledger(tenant);
    const closeoutId = `clo_${crypto.randomUUID()}`;
    const report = await this.run(tenant, 'production', null, by, control);
    control.signal.throwIfAborted();
    control.progress({ done: 0, total: null, phase: 'Recording the closeout' });
    let entitlement = await this.options.entitlement(tenant);
    let outcome: CloseoutLicenseOutcome;
    if (!entitlement.license) outcome = 'none';
    else if (entitlement.revocation) outcome = entitlement.revocation.source === 'vendor' ? 'revoked' : 'surrendered';
    else if (entitlement.status === 'expired') outcome = 'expired';
    else if (input.license === 'surrender') {
      entitlement = await this.options.surrenderLicense(
        tenant,
        by.id,
        `trial closeout ${closeoutId}: pilot decision ${input.pilotDecision}`,
      );
      outcome = 'surrendered';
    } else outcome = 'expires';
    const licenseId = entitlement.license?.licenseId ?? null;
    const surrender =
      outcome === 'surrendered'
        ? observe<{ change: string; license_id?: string }>(ledger, ['config_change'], { limit: 2000 }).find(
            (r) => r.payload.change === 'license.surrender' && r.payload.license_id === licenseId,
          )
        : undefined;
    const blockers = blockersOf(report.validators);
    const packageAccess = { removed: input.packageAccess.removed, detail: input.packageAccess.detail };
    const recorded = await ledger.append({
      type: 'closeout',
      payload: {
        closeout_id: closeoutId,
        event: 'recorded',
        by: by.id,
        pilot_decision: input.pilotDecision,
        feedback: input.feedback,
        package_access: packageAccess,
        license: { license_id: licenseId, outcome },
        run_id: report.runId,
        blockers: blockers.length,
      },
    });
    const closedAt = this.now().toISOString();
    const { dir, sha256 } = await this.archive(tenant, 'closeout', control, (bundle) => ({
      format: 'cavra-trial-closeout' as const,
      version: 1 as const,
      tenant,
      closeout_id: closeoutId,
      closed_at: closedAt,
      by: by.id,
      record: recorded.seq,
      pilot_decision: input.pilotDecision,
      feedback: input.feedback,
      package_access: packageAccess,
      license: {
        license_id: licenseId,
        outcome,
        status: entitlement.status,
        expires_at: entitlement.license?.expiresAt ?? null,
        record: surrender?.seq ?? null,
      },
      run_id: report.runId,
      ready_for_aispm_production: derivedReady(report.validators),
      blockers,
      validators: report.validators.map((v) => ({ ...v, evidence: [...v.evidence] })),
      evidence_bundle: bundleSummary(bundle),
      build: { channel: this.options.channel },
    }));
    await ledger.append({
      type: 'closeout',
      payload: {
        closeout_id: closeoutId,
        event: 'exported',
        by: by.id,
        packet_sha256: sha256,
        dir: path.basename(dir),
      },
    });
    return {
      dir,
      closeoutId,
      pilotDecision: input.pilotDecision,
      license: { outcome, status: entitlement.status },
      readyForAispmProduction: derivedReady(report.validators),
      blockers: report.blockers,
      packetSha256: sha256,
    };
  }

  /**
   * Exports the evidence bundle and signs a packet of `kind` beside it in a staging directory,
   * then moves it into the tenant archive whole: a packet is either complete there or absent.
   */
  private async archive<P extends PacketPredicate | CloseoutPredicate>(
    tenant: string,
    kind: PacketKind,
    control: RunControl,
    predicateFor: (bundle: ExportedBundle) => P,
  ): Promise<{ dir: string; sha256: string; predicate: P }> {
    const ledger = this.options.ledgers.ledger(tenant);
    const dir = this.archiveDir(tenant, kind);
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    const staging = fs.mkdtempSync(path.join(path.dirname(dir), `.${path.basename(dir)}.partial-`));
    try {
      control.progress({ done: 0, total: null, phase: 'Exporting the evidence bundle' });
      const bundle = await ledger.export({ out: path.join(staging, PACKET_FILES.evidence), signal: control.signal });
      const predicate = predicateFor(bundle);
      control.progress({ done: 0, total: null, phase: `Signing the ${kind} packet` });
      const written = writePacket(staging, kind, predicate, this.options.signer(tenant));
      control.signal.throwIfAborted();
      fs.renameSync(staging, dir);
      return { dir, sha256: written.sha256, predicate };
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw error;
    }
  }

  private archiveDir(tenant: string, kind: PacketKind): string {
    const stamp = this.now()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return path.join(this.options.home, 'archive', tenant, `${kind}-${stamp}-${crypto.randomBytes(3).toString('hex')}`);
  }

  /**
   * The active cross-tenant probe, run now through the core's request path: a principal
   * with no role in the tenant must be refused every tenant-scoped read; an action naming
   * another tenant must be refused and leave the ledger as it was; every other tenant must
   * have its own database file and its own log.
   */
  private async probeIsolation(tenant: string, by: Principal): Promise<{ checks: number; failures: string[] }> {
    const failures: string[] = [];
    let checks = 0;
    const stranger: Principal = {
      id: `probe:isolation-${crypto.randomBytes(6).toString('hex')}`,
      displayName: 'Tenant isolation probe',
      // Signed in (a session of its own), holding no role in the tenant: only the role check stands in its way.
      kind: 'human',
      session: `ses_probe_${crypto.randomBytes(6).toString('hex')}`,
    };
    for (const read of PROBED_READS) {
      checks += 1;
      const response = await this.options.invoke(stranger, { op: read.op, tenant, input: read.input });
      if (response.ok || response.error.code !== 'forbidden') {
        failures.push(`${read.op} by a principal with no role in "${tenant}" was not refused`);
      }
    }
    const ledger = this.options.ledgers.ledger(tenant);
    const others = this.options.tenantIds().filter((id) => id !== tenant);
    const named = others[0] ?? `probe-other-${crypto.randomBytes(3).toString('hex')}`;
    const before = ledger.size();
    checks += 1;
    const crossing = await this.options.invoke(by, {
      op: 'policy.evaluate',
      tenant,
      input: { action: { type: 'read_file', path: '/etc/hostname', tenant: named } },
    });
    if (crossing.ok) failures.push(`an action naming tenant "${named}" was judged in "${tenant}"`);
    if (ledger.size() !== before) failures.push(`an action naming tenant "${named}" was recorded in "${tenant}"`);
    const ownFile = tenantDatabasePath(this.options.home, tenant);
    for (const other of others) {
      checks += 1;
      if (tenantDatabasePath(this.options.home, other) === ownFile) {
        failures.push(`tenant "${other}" shares the database file of "${tenant}"`);
      }
      if (this.options.ledgers.ledger(other).origin === ledger.origin) {
        failures.push(`tenant "${other}" shares the evidence log origin of "${tenant}"`);
      }
    }
    return { checks, failures };
  }
}
