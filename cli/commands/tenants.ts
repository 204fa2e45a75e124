import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import type { TenantStatus } from '../../core/contract';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withCore, withTenant } from '../session';

export const tenantsList: Command = {
  name: 'tenants list',
  summary: 'List the tenants you belong to',
  usage: 'cavra tenants list [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
    return withCore(io, async (client) => {
      const { tenants } = await client.call('tenants.list', {});
      const info = await client.call('system.info', {});
      if (values.json) {
        io.stdout(jsonText(tenants));
        return 0;
      }
      const width = Math.max(2, ...tenants.map((tenant) => tenant.id.length));
      io.stdout(`${'ID'.padEnd(width)}  KIND        NAME\n`);
      for (const tenant of tenants) {
        const mark = tenant.id === info.defaultTenant ? ' (default)' : '';
        io.stdout(`${tenant.id.padEnd(width)}  ${tenant.kind.padEnd(10)}  ${tenant.displayName}${mark}\n`);
      }
      return 0;
    });
  },
};

export const tenantsCreate: Command = {
  name: 'tenants create',
  summary: 'Create a tenant with its own data store',
  usage: 'cavra tenants create <id> --name "<display name>" [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { name: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one tenant id');
    if (values.name === undefined) throw new UsageError('--name is required');
    return withCore(io, async (client) => {
      const tenant = await client.call('tenants.create', { id: positionals[0] ?? '', displayName: values.name ?? '' });
      io.stdout(values.json ? jsonText(tenant) : `Created tenant ${tenant.id} (${tenant.displayName})\n`);
      // Never silently: a tenant without a signing key cannot sign, so its gated actions are denied.
      const status = await client.call('evidence.status', {}, { tenant: tenant.id });
      if (status.signing.state !== 'ready') {
        io.stderr(
          `Warning: tenant ${tenant.id} has no usable evidence signing key (${status.signing.reason}).\n` +
            `  Its gated actions are denied until it has one: with a working OS keychain, run\n` +
            `    cavra keys provision --tenant ${tenant.id}\n`,
        );
      }
      return 0;
    });
  },
};

export const tenantsOnboard: Command = {
  name: 'tenants onboard',
  summary:
    'Create a tenant from an onboarding file (YAML or JSON); every mistake is listed, nothing is created on error',
  usage: 'cavra tenants onboard --file tenant.yaml [--dry-run] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { file: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
      strict: true,
    });
    if (!values.file) throw new UsageError('--file is required');
    const file = path.resolve(io.cwd, values.file);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`--file: cannot read ${file}`);
    }
    const parsed = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (parsed.errors.length > 0) {
      for (const error of parsed.errors) io.stderr(`${values.file}: ${error.message}\n`);
      return 1;
    }
    return withCore(io, async (client) => {
      const result = await client.call('tenants.onboard', {
        document: parsed.toJS() as unknown,
        dryRun: values['dry-run'] ?? false,
      });
      if (values.json) {
        io.stdout(jsonText(result));
        return result.issues.length === 0 ? 0 : 1;
      }
      if (result.issues.length > 0) {
        io.stderr(`${values.file}: ${result.issues.length} mistake(s); nothing was created:\n`);
        for (const issue of result.issues) io.stderr(`  ${issue.path}: ${issue.message}\n`);
        return 1;
      }
      if (!result.created) {
        io.stdout(`${values.file} is valid (dry run; nothing was created).\n`);
        return 0;
      }
      io.stdout(`Created tenant ${result.tenant?.id} (${result.tenant?.displayName}).\n`);
      if (result.status) io.stdout(statusText(result.status));
      return 0;
    });
  },
};

function statusText(status: TenantStatus): string {
  const lines = status.items.map((item) => `  [${item.done ? 'x' : ' '}] ${item.item.padEnd(18)} ${item.detail}`);
  return `${status.tenant}: ${status.complete ? 'complete' : 'incomplete'}\n${lines.join('\n')}\n`;
}

export const tenantsStatus: Command = {
  name: 'tenants status',
  summary: "What the tenant's record has and what is still missing",
  usage: 'cavra tenants status [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const status = await client.call('tenants.status', {}, { tenant });
      io.stdout(values.json ? jsonText(status) : statusText(status));
      return 0;
    });
  },
};
