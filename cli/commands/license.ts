import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { enterpriseFeatureLabels } from '../../core/contract';
import type { Entitlement } from '../../core/contract';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

const common = { tenant: { type: 'string' }, json: { type: 'boolean' } } as const;

function readDocument(positionals: string[], what: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`give exactly one ${what} file`);
  try {
    return fs.readFileSync(positionals[0], 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${positionals[0]}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** "DEMO BUILD" wherever a build that trusts the demo key speaks about licenses. */
export function buildLabel(build: Entitlement['build']): string {
  return build.channel === 'demo'
    ? 'DEMO BUILD: accepts demo licenses (signed with the demo key); production builds do not'
    : 'Production build: trusts the vendor key only';
}

function describe(entitlement: Entitlement): string {
  const lines = [
    `Tenant:    ${entitlement.tenant}`,
    `Status:    ${entitlement.status.toUpperCase()}`,
    `           ${entitlement.reason}`,
  ];
  const license = entitlement.license;
  if (license) {
    lines.push(
      `License:   ${license.licenseId} (${license.edition}) for ${license.evaluator}`,
      `Signed by: ${license.signer === 'demo' ? 'the DEMO key (not valid in production builds)' : 'the vendor key'}`,
      `Valid:     ${license.notBefore} → ${license.expiresAt}` +
        (entitlement.daysRemaining !== null ? ` (${entitlement.daysRemaining} days remaining)` : ''),
    );
  }
  const feature = (f: keyof typeof enterpriseFeatureLabels) => `  ${f.padEnd(18)} ${enterpriseFeatureLabels[f]}`;
  if (entitlement.enabledFeatures.length > 0) lines.push('Enabled:', ...entitlement.enabledFeatures.map(feature));
  if (entitlement.lockedFeatures.length > 0) lines.push('Locked:', ...entitlement.lockedFeatures.map(feature));
  if (entitlement.revocationList) {
    lines.push(
      `Revocations: list issued ${entitlement.revocationList.issuedAt}, ${entitlement.revocationList.entries} entries`,
    );
  }
  lines.push(buildLabel(entitlement.build));
  return `${lines.join('\n')}\n`;
}

export const licenseStatus: Command = {
  name: 'license status',
  summary: "Show the tenant's entitlement: status, days remaining, enabled and locked features",
  usage: 'cavra license status [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common, strict: true });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const status = await client.call('license.status', {}, { tenant });
      io.stdout(values.json ? jsonText(status) : describe(status));
      return 0;
    });
  },
};

export const licenseValidate: Command = {
  name: 'license validate',
  summary: 'Check a license file (signature, fields, dates, tenant) without importing it; exit 2 when not valid',
  usage: 'cavra license validate FILE [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true, strict: true });
    const document = readDocument(positionals, 'license');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const result = await client.call('license.validate', { document }, { tenant });
      if (values.json) io.stdout(jsonText(result));
      else {
        const head = result.valid
          ? `Valid: license ${result.license?.licenseId} (${result.license?.edition}) for tenant ${tenant}, would be ${result.status}`
          : `NOT valid for tenant ${tenant}:`;
        io.stdout(`${[head, ...result.problems.map((p) => `  - ${p}`), buildLabel(result.build)].join('\n')}\n`);
      }
      return result.valid ? 0 : 2;
    });
  },
};

export const licenseImport: Command = {
  name: 'license import',
  summary: 'Import a vendor-signed license for the tenant (recorded in the evidence ledger first)',
  usage: 'cavra license import FILE [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true, strict: true });
    const document = readDocument(positionals, 'license');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const status = await client.call('license.import', { document }, { tenant });
      io.stdout(values.json ? jsonText(status) : `Imported (recorded in the evidence ledger).\n${describe(status)}`);
      return 0;
    });
  },
};

export const licenseRevocationsImport: Command = {
  name: 'license revocations import',
  summary: "Import the vendor's signed license revocation list (never an older one than already imported)",
  usage: 'cavra license revocations import FILE [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true, strict: true });
    const document = readDocument(positionals, 'revocation list');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const status = await client.call('license.revocations.import', { document }, { tenant });
      io.stdout(values.json ? jsonText(status) : `Imported the revocation list.\n${describe(status)}`);
      return 0;
    });
  },
};
