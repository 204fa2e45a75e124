import { parseArgs } from 'node:util';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withCore, withTenant } from '../session';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export const doctorCommand: Command = {
  name: 'doctor',
  summary:
    'Check whether this install can enforce: keychain, signing keys, gate, hook placement and port, sandbox, Node',
  usage: 'cavra doctor [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    return withCore(io, async (client) => {
      const report = await client.call('system.health', { projects: [io.cwd] });
      if (values.json) io.stdout(jsonText(report));
      else {
        for (const check of report.checks) {
          io.stdout(`${MARK[check.status]}  ${check.title}: ${check.message}\n`);
          if (check.fix && check.status !== 'ok') io.stdout(`      fix: ${check.fix}\n`);
        }
        io.stdout(
          report.status === 'ok'
            ? '\nEverything needed to enforce is in place.\n'
            : report.status === 'warn'
              ? '\nEnforcing, with warnings above.\n'
              : '\nThis install cannot enforce as it should: fix the failures above.\n',
        );
      }
      // Exit 0 ok, 1 warnings, 2 failures: scripts can gate on it.
      return { ok: 0, warn: 1, fail: 2 }[report.status];
    });
  },
};

export const keysProvision: Command = {
  name: 'keys provision',
  summary: 'Give a tenant created without a keychain its evidence signing key',
  usage: 'cavra keys provision --tenant T [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (values.tenant === undefined) throw new UsageError('--tenant is required');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { keyId } = await client.call('tenants.keys.provision', {}, { tenant });
      io.stdout(
        values.json ? jsonText({ tenant, keyId }) : `Provisioned evidence signing key ${keyId} for tenant ${tenant}\n`,
      );
      return 0;
    });
  },
};
