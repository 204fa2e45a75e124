import { parseArgs } from 'node:util';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withCore } from '../session';

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
