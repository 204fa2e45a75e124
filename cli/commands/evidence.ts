import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ContractError } from '../../core/contract';
import type { Role } from '../../core/contract';
import { EvidenceLedgers, LedgerInputError, LedgerSigningError, WitnessError, readWitness } from '../../core/evidence';
import type { BundleVerification, RangeBound, WitnessLine } from '../../core/evidence';
import { verifyAttestedBundle } from '../../core/approvals';
import type { AttestedVerdict } from '../../core/approvals';
import { localEvaluationPrincipal } from '../../core/identity';
import { defaultHome } from '../../core/store';
import { TenantDirectory } from '../../core/tenants';
import type { CliIO, Command } from '../io';
import { UsageError } from '../io';
import { readSessions } from '../sign-in';

/** Roles that may read and export a tenant's evidence (SPEC §7). */
const EVIDENCE_ROLES: readonly Role[] = ['compliance', 'tenant_admin', 'security_reviewer'];

/** Exit codes of `evidence verify`: 1 when the input cannot be verified at all, 2 when verification fails. */
const EXIT_UNREADABLE = 1;
const EXIT_FAILED = 2;

/**
 * Opens the tenant directory as the CLI's local principal and checks its role in the tenant,
 * as the core's guard would (these commands will move onto contract operations).
 */
async function withLedgers<T>(
  io: CliIO,
  tenantOption: string | undefined,
  work: (ledgers: EvidenceLedgers, tenant: string, tenants: TenantDirectory) => Promise<T>,
): Promise<T> {
  const tenants = new TenantDirectory(defaultHome(io.env));
  const ledgers = new EvidenceLedgers(tenants);
  try {
    tenants.bootstrap(localEvaluationPrincipal);
    const tenant = tenantOption ?? tenants.defaultTenant();
    if (!tenant) throw new UsageError('--tenant is required');
    const held = tenants.exists(tenant) ? tenants.rolesIn(localEvaluationPrincipal.id, tenant) : [];
    if (!held.some((role) => EVIDENCE_ROLES.includes(role))) {
      throw new ContractError('forbidden', `You have no evidence access in tenant "${tenant}"`);
    }
    return await work(ledgers, tenant, tenants);
  } finally {
    ledgers.close();
    tenants.close();
  }
}

/** Progress to stderr, at most about once a second, so long runs show they are alive. */
function progressPrinter(io: CliIO, label: string): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 1000 && done < total) return;
    last = now;
    io.stderr(`${label}: ${done}/${total} records (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)\n`);
  };
}

function rangeBound(value: string | undefined, option: string): RangeBound | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  if (Number.isNaN(Date.parse(value))) {
    throw new UsageError(`${option} takes a sequence number or an ISO 8601 time, not "${value}"`);
  }
  return value;
}

/**
 * `--central`: the organisation's ledger on the control plane this machine is connected to,
 * fetched as the person signed in with `cavra login` (the server's guard decides whether they
 * may export it) and written only once it verifies here.
 */
async function exportCentral(
  io: CliIO,
  tenantOption: string | undefined,
  out: string,
  range: { from?: RangeBound; to?: RangeBound },
  json: boolean,
): Promise<number> {
  const wire = (bound: RangeBound | undefined) =>
    bound === undefined || typeof bound === 'number' ? bound : new Date(bound).toISOString();
  // Loaded here only: verify and a local export need neither the core nor the control plane's client.
  const { createCore } = await import('../../core/service');
  const { CentralBundleError, ControlPlaneRefusedError, ControlPlaneUnreachableError, fetchCentralBundle } =
    await import('../../core/connect');
  const core = createCore({
    home: defaultHome(io.env),
    shell: 'cli',
    log: (message) => io.stderr(`cavra: ${message}\n`),
  });
  try {
    const tenant = tenantOption ?? core.gateHost.tenants.defaultTenant();
    if (!tenant) throw new UsageError('--tenant is required');
    const connection = core.controlPlane.connection(tenant);
    if (!connection) {
      throw new UsageError(
        `--central: this machine is not connected for tenant ${tenant} (cavra connect https://SERVER --tenant ${tenant})`,
      );
    }
    const sessionId = readSessions(core.home).sessions[tenant];
    if (!sessionId) {
      throw new UsageError(
        `--central: sign in first with cavra login --tenant ${tenant}; the control plane decides who may export by that sign-in`,
      );
    }
    const bearer = await core.controlPlane.bearerFor(sessionId);
    const { dir, verification } = await fetchCentralBundle({
      connection,
      idToken: bearer.idToken,
      tenant,
      out,
      range: {
        ...(range.from !== undefined ? { from: wire(range.from) } : {}),
        ...(range.to !== undefined ? { to: wire(range.to) } : {}),
      },
    });
    if (json) {
      io.stdout(
        `${JSON.stringify({ tenant, server: connection.server, dir, range: verification.range, tree: verification.tree, key: verification.key }, null, 2)}\n`,
      );
    } else {
      io.stdout(
        [
          `Exported the central ledger of tenant ${tenant} from ${connection.server} to ${dir}`,
          `  records ${verification.range?.from_seq}–${verification.range?.to_seq} (${verification.range?.count}), tree size ${verification.tree?.size}, root ${verification.tree?.root}`,
          `  signed by the control plane's tenant key ${verification.key?.keyId}; verified here`,
          `Verify it anywhere with: cavra evidence verify ${dir} --trusted-key <file with the tenant key>`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ControlPlaneRefusedError || error instanceof ControlPlaneUnreachableError) {
      io.stderr(`cavra evidence export: ${error.message}\n`);
      return 1;
    }
    if (error instanceof CentralBundleError) {
      io.stderr(`cavra evidence export: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  } finally {
    await core.close();
  }
}

export const evidenceExport: Command = {
  name: 'evidence export',
  summary: "Export signed evidence as a bundle that verifies offline (--central: the control plane's ledger)",
  usage: 'cavra evidence export [--tenant T] [--central] [--from SEQ|TIME] [--to SEQ|TIME] --out DIR [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        central: { type: 'boolean' },
      },
      strict: true,
    });
    if (!values.out) throw new UsageError('--out is required');
    const from = rangeBound(values.from, '--from');
    const to = rangeBound(values.to, '--to');
    const out = path.resolve(io.cwd, values.out);
    if (values.central) return exportCentral(io, values.tenant, out, { from, to }, values.json === true);
    return withLedgers(io, values.tenant, async (ledgers, tenant) => {
      const printProgress = progressPrinter(io, 'cavra evidence export');
      try {
        const result = await ledgers.ledger(tenant).export({
          out,
          from,
          to,
          onProgress: (p) => printProgress(p.done, p.total),
        });
        if (values.json) {
          io.stdout(`${JSON.stringify({ tenant, ...result }, null, 2)}\n`);
        } else {
          io.stdout(
            [
              `Exported records ${result.fromSeq}–${result.toSeq} (${result.count}) of tenant ${tenant} to ${result.dir}`,
              `  tree size ${result.treeSize}, root ${result.root}`,
              `  signed by key ${result.keyId}`,
              `Verify it anywhere with: cavra evidence verify ${result.dir} --trusted-key <file with the tenant key>`,
              '',
            ].join('\n'),
          );
        }
        return 0;
      } catch (error) {
        if (error instanceof LedgerSigningError) {
          io.stderr(`cavra evidence export: the bundle cannot be signed: ${error.message}\n`);
          return 1;
        }
        if (error instanceof LedgerInputError) throw new UsageError(error.message);
        throw error;
      }
    });
  },
};

/** Reads `--witness FILE` (an anchor's witness file); null when it cannot be read as one. */
function witnessOption(io: CliIO, file: string | undefined): { lines: WitnessLine[] } | { error: string } | null {
  if (file === undefined) return null;
  try {
    return { lines: readWitness(path.resolve(io.cwd, file)) };
  } catch (error) {
    if (error instanceof WitnessError) return { error: `--witness: ${error.message}` };
    throw error;
  }
}

export const evidenceVerify: Command = {
  name: 'evidence verify',
  summary:
    'Verify an exported evidence bundle offline (no network, no tenant data), or a tenant ledger with --ledger; ' +
    '--witness checks either against anchored checkpoints',
  usage:
    'cavra evidence verify DIR [--trusted-key FILE] [--witness FILE] [--json]\n' +
    '       cavra evidence verify --ledger [--tenant T] [--witness FILE] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        'trusted-key': { type: 'string' },
        witness: { type: 'string' },
        ledger: { type: 'boolean' },
        tenant: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.ledger) {
      if (positionals.length > 0) throw new UsageError('--ledger verifies the tenant ledger: give no bundle directory');
      if (values['trusted-key'] !== undefined) throw new UsageError('--trusted-key applies to a bundle, not --ledger');
      return verifyLedger(io, values.tenant, values.witness, values.json === true);
    }
    if (values.tenant !== undefined) throw new UsageError('--tenant applies to --ledger only');
    if (positionals.length !== 1) throw new UsageError('Give exactly one bundle directory (or --ledger)');
    const witness = witnessOption(io, values.witness);
    if (witness && 'error' in witness) {
      io.stdout(`Cannot verify ${path.resolve(io.cwd, positionals[0] as string)}\n  ${witness.error}\n`);
      return EXIT_UNREADABLE;
    }
    let trustedKey: string | undefined;
    const keyFile = values['trusted-key'];
    if (keyFile !== undefined) {
      try {
        trustedKey = fs.readFileSync(path.resolve(io.cwd, keyFile), 'utf8');
      } catch {
        throw new UsageError(`--trusted-key: cannot read ${keyFile}`);
      }
    }
    const printProgress = progressPrinter(io, 'cavra evidence verify');
    // Approval verdicts attested by the IdP are checked in the same pass (core/approvals).
    const result = await verifyAttestedBundle(path.resolve(io.cwd, positionals[0] as string), {
      trustedKey,
      ...(witness ? { witness: witness.lines } : {}),
      onProgress: (p) => printProgress(p.done, p.total),
    });
    if (values.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout(describeVerification(result) + describeAttestations(result.attestations));
    if (!result.ok) return result.failure?.kind === 'input' ? EXIT_UNREADABLE : EXIT_FAILED;
    return 0;
  },
};

/** `evidence verify --ledger`: the whole tenant ledger as stored, against its high-water file and the witness. */
async function verifyLedger(
  io: CliIO,
  tenantOption: string | undefined,
  witnessFile: string | undefined,
  json: boolean,
) {
  const witness = witnessOption(io, witnessFile);
  if (witness && 'error' in witness) {
    io.stdout(`Cannot verify the ledger\n  ${witness.error}\n`);
    return EXIT_UNREADABLE;
  }
  return withLedgers(io, tenantOption, async (ledgers, tenant) => {
    if (witness && !witness.lines.some((line) => line.tenant === tenant)) {
      io.stdout(`Cannot verify the ledger\n  --witness: the witness holds no checkpoint of tenant ${tenant}\n`);
      return EXIT_UNREADABLE;
    }
    const printProgress = progressPrinter(io, 'cavra evidence verify');
    const ledger = ledgers.ledger(tenant);
    const result = await ledger.verify({
      onProgress: (p) => printProgress(p.done, p.total),
      ...(witness ? { witness: witness.lines } : {}),
    });
    if (json) io.stdout(`${JSON.stringify({ tenant, origin: ledger.origin, ...result }, null, 2)}\n`);
    else if (result.ok) {
      io.stdout(
        [
          `Verified the evidence ledger of tenant ${tenant} (log ${ledger.origin})`,
          `  records      ${result.size}, ${result.checkpoints} signed checkpoints`,
          `  witnessed    consistent with ${result.witnessed} witnessed checkpoints` +
            (witness ? ' (high-water file and --witness)' : ' (high-water file)'),
          '',
        ].join('\n'),
      );
    } else {
      io.stdout(
        `VERIFICATION FAILED for the evidence ledger of tenant ${tenant}\n  ${result.seq === null ? '' : `record ${result.seq}: `}${result.reason}\n`,
      );
    }
    return result.ok ? 0 : EXIT_FAILED;
  });
}

function describeVerification(result: BundleVerification): string {
  const lines: string[] = [];
  if (!result.ok && result.failure) {
    const f = result.failure;
    const where = [
      f.file,
      f.line === undefined ? null : `line ${f.line}`,
      f.seq === undefined ? null : `record ${f.seq}`,
    ]
      .filter((part) => part !== null)
      .join(', ');
    lines.push(
      f.kind === 'input' ? `Cannot verify ${result.dir}` : `VERIFICATION FAILED for ${result.dir}`,
      `  ${where ? `${where}: ` : ''}${f.reason}`,
    );
  } else {
    const { range, tree, key, checked } = result;
    lines.push(
      `Verified ${result.dir}`,
      `  tenant       ${result.tenant} (log ${result.origin})`,
      `  records      ${range?.from_seq}–${range?.to_seq}: ${checked.records} records, ${range?.from_time} to ${range?.to_time}`,
      `  tree         size ${tree?.size}, root ${tree?.root}, signed ${tree?.time}`,
      `  checked      every payload digest, header hash and chain link; ${checked.inclusionProofs} inclusion proofs;`,
      `               ${checked.checkpoints} checkpoint signatures, ${checked.consistencyProofs} consistency proofs,`,
      `               ${checked.recomputedRoots} roots recomputed from the records; ${checked.tombstones} tombstones; DSSE statement`,
      ...(checked.witnessed > 0 ? [`  witnessed    consistent with ${checked.witnessed} witnessed checkpoints`] : []),
      key?.pinned
        ? `  key          ${key.keyId} (pinned with --trusted-key)`
        : `  key          ${key?.keyId} from the bundle itself — NOT pinned: compare it with the tenant's key, or pass --trusted-key`,
    );
  }
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}

/** Per attested approval verdict: the human the IdP authenticated, when, and whether the token is for this exact action. */
function describeAttestations(verdicts: readonly AttestedVerdict[]): string {
  if (verdicts.length === 0) return '';
  const lines = [`  attested     ${verdicts.length} approval verdicts signed by the IdP:`];
  for (const verdict of verdicts) {
    const who = `${verdict.name ?? verdict.subject ?? '?'} (${verdict.subject ?? '?'} at ${verdict.issuer ?? '?'})`;
    lines.push(
      verdict.ok
        ? `    record ${verdict.seq}: ${verdict.event} ${verdict.requestId} — IdP authenticated ${who} at ${verdict.authTime}; token issued for this request, action sha256 ${verdict.actionSha256.slice(0, 16)}… and verdict`
        : `    ATTESTATION FAILED record ${verdict.seq}: ${verdict.event} ${verdict.requestId} — ${verdict.problems.join('; ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const evidenceStatus: Command = {
  name: 'evidence status',
  summary: "Show a tenant ledger's size, checkpoints, signing key state and retention",
  usage: 'cavra evidence status [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withLedgers(io, values.tenant, async (ledgers, tenant) => {
      const status = ledgers.ledger(tenant).status();
      if (values.json) {
        io.stdout(`${JSON.stringify(status, null, 2)}\n`);
        return 0;
      }
      const cp = status.lastCheckpoint;
      const signing =
        status.signing.state === 'ready'
          ? `ready (key ${status.signing.keyId})`
          : `UNAVAILABLE — ${status.signing.reason}`;
      io.stdout(
        [
          `Evidence ledger of tenant ${tenant} (log ${status.origin})`,
          `  records      ${status.size}`,
          `  checkpoint   ${cp ? `size ${cp.size}, signed ${cp.time}` : 'none yet'}; ${status.uncovered} records not yet covered`,
          `  signing      ${signing}`,
          `  retention    ${status.retention.days === null ? 'keep forever' : `${status.retention.days} days`}${status.retention.legalHold ? ', legal hold' : ''}`,
          '',
        ].join('\n'),
      );
      return 0;
    });
  },
};

export const evidenceKey: Command = {
  name: 'evidence key',
  summary: "Print the tenant's evidence verifier key, to pin with `evidence verify --trusted-key`",
  usage: 'cavra evidence key [--tenant T]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { tenant: { type: 'string' } }, strict: true });
    return withLedgers(io, values.tenant, async (ledgers, tenant) => {
      const vkey = ledgers.ledger(tenant).verifierKey();
      if (!vkey) {
        io.stderr(`cavra evidence key: tenant ${tenant} has no evidence signing key (see cavra evidence status)\n`);
        return 1;
      }
      io.stdout(`${vkey}\n`);
      return 0;
    });
  },
};
