import os from 'node:os';
import { parseArgs } from 'node:util';
import { ContractError } from '../../core/contract';
import { storeAgentToken } from '../../core/gate';
import { gateLocation } from '../../core/gate/client';
import { defaultHome } from '../../core/store';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

/** `user@host`, cut to what a credential label may hold. */
function defaultLabel(): string {
  const text = `${os.userInfo().username}@${os.hostname()}`.replace(/[^A-Za-z0-9 ._@-]/g, '-');
  return /^[A-Za-z0-9]/.test(text) ? text.slice(0, 64) : `agent-${text}`.slice(0, 64);
}

export const agentsEnroll: Command = {
  name: 'agents enroll',
  summary:
    "Enrol this install's adapters in a tenant: the hook, MCP proxy, git hook and cavra exec acting in it present the credential (needs tenant_admin or operator there)",
  usage: 'cavra agents enroll --tenant T [--label TEXT] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (values.tenant === undefined) throw new UsageError('--tenant is required: the tenant the adapters act in');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const enrolled = await client.call('agents.enroll', { label: values.label ?? defaultLabel() }, { tenant });
      const { token, ...credential } = enrolled;
      const location = gateLocation(defaultHome(io.env));
      let stored: { file: string; replaced: string | null };
      try {
        stored = storeAgentToken(location, tenant, token);
      } catch (error) {
        // A credential nobody holds must not stay valid.
        await client.call('agents.revoke', { credentialId: credential.id }, { tenant });
        throw error;
      }
      let revoked: string | null = null;
      if (stored.replaced !== null && stored.replaced !== credential.id) {
        try {
          if ((await client.call('agents.revoke', { credentialId: stored.replaced }, { tenant })).revoked)
            revoked = stored.replaced;
        } catch (error) {
          // A file left by an enrolment in another data store names a credential this one does not know.
          if (!(error instanceof ContractError && error.code === 'not_found')) throw error;
        }
      }
      if (values.json) {
        io.stdout(jsonText({ ...credential, file: stored.file, revoked }));
        return 0;
      }
      io.stdout(
        `Enrolled agent credential ${credential.id} ("${credential.label}") in tenant ${tenant}.\n` +
          `Adapters acting in ${tenant} (CAVRA_TENANT=${tenant}, or --tenant ${tenant}) present it from\n` +
          `  ${stored.file}\n` +
          (revoked ? `The credential it replaces there, ${revoked}, is revoked.\n` : ''),
      );
      return 0;
    });
  },
};

export const agentsList: Command = {
  name: 'agents list',
  summary: "A tenant's agent credentials (never their secrets)",
  usage: 'cavra agents list [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { agents } = await client.call('agents.list', {}, { tenant });
      if (values.json) {
        io.stdout(jsonText(agents));
        return 0;
      }
      for (const agent of agents) {
        const state = agent.revokedAt ? `revoked ${agent.revokedAt}` : 'active';
        io.stdout(`${agent.id}  ${state.padEnd(32)}  ${agent.owner.name.padEnd(12)}  ${agent.label}\n`);
      }
      if (agents.length === 0) io.stdout(`No agent credentials in ${tenant}.\n`);
      return 0;
    });
  },
};

export const agentsRevoke: Command = {
  name: 'agents revoke',
  summary: 'Revoke an agent credential: its adapters are refused from the next decision on',
  usage: 'cavra agents revoke <credential-id> [--tenant T]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { tenant: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one credential id');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { revoked } = await client.call('agents.revoke', { credentialId: positionals[0] ?? '' }, { tenant });
      io.stdout(revoked ? `Revoked ${positionals[0]} in ${tenant}.\n` : `${positionals[0]} was already revoked.\n`);
      return 0;
    });
  },
};
