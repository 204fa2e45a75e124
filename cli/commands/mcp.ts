import { parseArgs } from 'node:util';
import { checkServerName } from '../../core/gate';
import { ContractError } from '../../core/contract';
import { defaultHome } from '../../core/store';
import { splitCommand } from '../adapters/argv';
import { runMcpProxy } from '../adapters/mcp-proxy';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

export const mcpProxy: Command = {
  name: 'mcp-proxy',
  summary: 'Run a stdio MCP server behind the gate: tools/call judged, denied calls never reach it',
  usage: 'cavra mcp-proxy [--tenant T] --server-name NAME -- <server command…>',
  async run(args, io) {
    const { options, command } = splitCommand(args);
    const { values, positionals } = parseArgs({
      args: options,
      options: { tenant: { type: 'string' }, 'server-name': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected ${positionals.join(' ')} (put the server command after --)`);
    if (!values['server-name']) throw new UsageError('--server-name is required');
    if (command.length === 0) throw new UsageError('give the MCP server command after --');
    try {
      checkServerName(values['server-name'], '--server-name');
    } catch (error) {
      throw new UsageError(error instanceof ContractError ? error.message : String(error));
    }
    return runMcpProxy({
      home: defaultHome(io.env),
      tenant: values.tenant ?? (io.env.CAVRA_TENANT || undefined),
      serverName: values['server-name'],
      command,
      cwd: io.cwd,
      env: io.env,
      log: (message) => io.stderr(`cavra mcp-proxy: ${message}\n`),
    });
  },
};

export const mcpTrust: Command = {
  name: 'mcp trust',
  summary: 'Trust an MCP server for this tenant, optionally only for listed tools',
  usage: 'cavra mcp trust <server-name> [--tools a,b] [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { tools: { type: 'string' }, tenant: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1 || !positionals[0]) throw new UsageError('give exactly one server name');
    const tools =
      values.tools === undefined
        ? null
        : values.tools
            .split(',')
            .map((tool) => tool.trim())
            .filter(Boolean);
    if (tools !== null && tools.length === 0) throw new UsageError('--tools needs at least one tool name');
    const server = positionals[0];
    return withTenant(io, values.tenant, async (client, tenant) => {
      const entry = await client.call('mcp.trust.set', { server, tools }, { tenant });
      io.stdout(
        values.json
          ? jsonText(entry)
          : `Trusted MCP server ${entry.server} in ${tenant} for ${entry.tools ? `tools ${entry.tools.join(', ')}` : 'every tool'}.\n`,
      );
      return 0;
    });
  },
};

export const mcpUntrust: Command = {
  name: 'mcp untrust',
  summary: 'Stop trusting an MCP server; its calls are denied as unknown',
  usage: 'cavra mcp untrust <server-name> [--tenant T]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { tenant: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1 || !positionals[0]) throw new UsageError('give exactly one server name');
    const server = positionals[0];
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { removed } = await client.call('mcp.trust.remove', { server }, { tenant });
      io.stdout(
        removed
          ? `MCP server ${server} is no longer trusted in ${tenant}.\n`
          : `${server} was not trusted in ${tenant}.\n`,
      );
      return 0;
    });
  },
};

export const mcpList: Command = {
  name: 'mcp list',
  summary: 'List the MCP servers this tenant trusts',
  usage: 'cavra mcp list [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { servers } = await client.call('mcp.trust.list', {}, { tenant });
      if (values.json) io.stdout(jsonText(servers));
      else if (servers.length === 0) io.stdout(`No trusted MCP servers in ${tenant}; every MCP server is denied.\n`);
      else
        for (const s of servers)
          io.stdout(
            `${s.server}  ${s.tools ? s.tools.join(', ') : '(every tool)'}  by ${s.trustedBy} at ${s.trustedAt}\n`,
          );
      return 0;
    });
  },
};
