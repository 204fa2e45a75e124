import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { secretSlotSchema } from '../../core/contract';
import type { ConnectorView } from '../../core/contract';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

const common = { tenant: { type: 'string' }, json: { type: 'boolean' } } as const;

function oneId(positionals: string[], what = 'connector id'): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`give exactly one ${what}`);
  return positionals[0];
}

function describe(connector: ConnectorView): string {
  const secrets =
    connector.secrets.length === 0
      ? 'no secret needed'
      : connector.secrets
          .map((s) => `${s.label}: ${s.set ? 'set' : s.required ? 'NOT SET (required)' : 'not set'}`)
          .join('; ');
  const health = connector.health.lastAttemptAt
    ? `last attempt ${connector.health.lastAttemptAt} ${connector.health.lastOutcome}${connector.health.lastText ? ` — ${connector.health.lastText}` : ''}`
    : 'never used';
  return [
    `${connector.id}  ${connector.kind}  ${connector.enabled ? 'enabled' : 'disabled'}${connector.anchor ? '  anchors checkpoints' : ''}`,
    `  Name:     ${connector.name}`,
    `  Secrets:  ${secrets}${connector.keychainError ? ` (keychain: ${connector.keychainError})` : ''}`,
    `  Retries:  ${connector.retry.maxAttempts} attempts, first wait ~${connector.retry.baseDelaySeconds} s, doubling`,
    `  Health:   ${health}; 7 days: ${connector.health.recentSuccesses} accepted, ${connector.health.recentFailures} failed`,
  ].join('\n');
}

export const connectorsList: Command = {
  name: 'connectors list',
  summary: 'List connectors with their health and whether each secret is set (never its value)',
  usage: 'cavra connectors list [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common, strict: true });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { connectors } = await client.call('connectors.list', {}, { tenant });
      if (values.json) io.stdout(jsonText(connectors));
      else if (connectors.length === 0)
        io.stdout(`No connectors in ${tenant}. Add one with: cavra connectors save --file connector.yaml\n`);
      else io.stdout(`${connectors.map(describe).join('\n\n')}\n`);
      return 0;
    });
  },
};

export const connectorsSave: Command = {
  name: 'connectors save',
  summary: 'Create or replace a connector from a YAML or JSON file (id, name, kind, settings; secrets separately)',
  usage: 'cavra connectors save --file FILE [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { ...common, file: { type: 'string' } }, strict: true });
    if (!values.file) throw new UsageError('--file is required');
    let config: unknown;
    try {
      config = parseYaml(fs.readFileSync(values.file, 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read ${values.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return withTenant(io, values.tenant, async (client, tenant) => {
      const saved = await client.call('connectors.save', config as never, { tenant });
      io.stdout(
        values.json
          ? jsonText(saved)
          : `Saved connector ${saved.id} (recorded in the evidence ledger).\n${describe(saved)}\n`,
      );
      return 0;
    });
  },
};

export const connectorsRemove: Command = {
  name: 'connectors remove',
  summary: 'Remove a connector and delete its secrets from the keychain',
  usage: 'cavra connectors remove <id> [--tenant T]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true, strict: true });
    const id = oneId(positionals);
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { removed } = await client.call('connectors.remove', { id }, { tenant });
      io.stdout(removed ? `Removed connector ${id}.\n` : `No connector ${id} in ${tenant}.\n`);
      return removed ? 0 : 1;
    });
  },
};

export const connectorsSecretSet: Command = {
  name: 'connectors secret set',
  summary: 'Store a connector secret in the OS keychain, read from standard input (never from the command line)',
  usage: 'cavra connectors secret set <id> [--slot credential|dkim] [--tenant T]   (secret on stdin)',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...common, slot: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const id = oneId(positionals);
    const slot = secretSlotSchema.safeParse(values.slot ?? 'credential');
    if (!slot.success) throw new UsageError('--slot takes credential or dkim');
    // A PEM key keeps its lines; anything else is one line.
    const raw = await io.readStdin();
    const value = slot.data === 'dkim' ? raw.trim() : raw.replace(/\r?\n$/, '');
    if (value === '')
      throw new UsageError('give the secret on standard input, e.g. cavra connectors secret set mail < password-file');
    return withTenant(io, values.tenant, async (client, tenant) => {
      await client.call('connectors.secret.set', { id, slot: slot.data, value }, { tenant });
      io.stdout(`The ${slot.data} secret of ${id} is set in the OS keychain.\n`);
      return 0;
    });
  },
};

export const connectorsSecretClear: Command = {
  name: 'connectors secret clear',
  summary: 'Delete a connector secret from the OS keychain',
  usage: 'cavra connectors secret clear <id> [--slot credential|dkim] [--tenant T]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...common, slot: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const id = oneId(positionals);
    const slot = secretSlotSchema.safeParse(values.slot ?? 'credential');
    if (!slot.success) throw new UsageError('--slot takes credential or dkim');
    return withTenant(io, values.tenant, async (client, tenant) => {
      await client.call('connectors.secret.clear', { id, slot: slot.data }, { tenant });
      io.stdout(`The ${slot.data} secret of ${id} is cleared.\n`);
      return 0;
    });
  },
};

export const connectorsTest: Command = {
  name: 'connectors test',
  summary: 'Send a real test message through a connector now; the outcome is recorded as evidence',
  usage: 'cavra connectors test <id> [--to ADDRESS] [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...common, to: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const id = oneId(positionals);
    return withTenant(io, values.tenant, async (client, tenant) => {
      const result = await client.call('connectors.test', { id, ...(values.to ? { to: values.to } : {}) }, { tenant });
      if (values.json) io.stdout(jsonText(result));
      else
        io.stdout(
          `${result.ok ? 'Delivered' : 'FAILED'}: ${result.code ?? '-'} ${result.text} (${result.durationMs} ms; evidence record #${result.evidenceSeq ?? '-'})\n`,
        );
      return result.ok ? 0 : 2;
    });
  },
};
