import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { deliveryStateSchema, reportKindSchema } from '../../core/contract';
import type { DeliveryView } from '../../core/contract';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

const common = { tenant: { type: 'string' }, json: { type: 'boolean' } } as const;
const period = { since: { type: 'string' }, until: { type: 'string' } } as const;
const FINISHED = new Set(['delivered', 'failed', 'refused', 'awaiting_approval']);

function kindOf(value: string | undefined) {
  const kind = reportKindSchema.safeParse(value);
  if (!kind.success) throw new UsageError('--kind takes security, compliance, executive or operator');
  return kind.data;
}

function periodOf(values: { since?: string; until?: string }) {
  const out: { from?: string; to?: string } = {};
  for (const [name, value, key] of [
    ['since', values.since, 'from'],
    ['until', values.until, 'to'],
  ] as const) {
    if (value === undefined) continue;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new UsageError(`--${name} takes an ISO 8601 time, not "${value}"`);
    out[key] = new Date(ms).toISOString();
  }
  return out;
}

function line(d: DeliveryView): string {
  const last = d.history.at(-1);
  return [
    `${d.id}  ${d.state}  ${d.purpose} via ${d.connectorId}  ${d.attempts}/${d.maxAttempts} attempts`,
    `  ${d.subject}${d.recipients.length ? ` → ${d.recipients.join(', ')}` : ''}`,
    ...(last
      ? [
          `  last: ${last.at} ${last.outcome} ${last.code ?? ''} ${last.text} (${last.durationMs} ms, record #${last.evidenceSeq ?? '-'})`,
        ]
      : []),
    ...(d.approvalId ? [`  approval: ${d.approvalId} (external recipient)`] : []),
    ...(d.escalationId ? [`  escalated: ${d.escalationId}`] : []),
    ...(d.nextAttemptAt ? [`  next attempt: ${d.nextAttemptAt}`] : []),
  ].join('\n');
}

export const reportsRender: Command = {
  name: 'reports render',
  summary: "Render a report from the ledger (the tenant's redaction applied) as HTML, text, JSON, CSV or PDF",
  usage:
    'cavra reports render --kind security|compliance|executive|operator [--format html|json|csv|pdf] [--out FILE] [--since T] [--until T] [--tenant T]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...common, ...period, kind: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
      strict: true,
    });
    const kind = kindOf(values.kind);
    const format = values.format ?? 'json';
    if (!['html', 'json', 'csv', 'pdf'].includes(format)) throw new UsageError('--format takes html, json, csv or pdf');
    if (format === 'pdf' && !values.out) throw new UsageError('--format pdf needs --out FILE');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const report = await client.call('reports.render', { kind, ...periodOf(values) }, { tenant });
      let body: string | Buffer;
      if (format === 'pdf') {
        if (!report.pdf) throw new UsageError(`the ${kind} report has no PDF form; the executive summary does`);
        body = Buffer.from(report.pdf, 'base64');
      } else {
        body = format === 'html' ? report.html : format === 'csv' ? report.csv : jsonText(report.document);
      }
      if (values.out) {
        fs.writeFileSync(values.out, body, { mode: 0o600 });
        io.stdout(`Wrote the ${kind} report (${format}) to ${values.out}\n`);
      } else io.stdout(body.toString());
      return 0;
    });
  },
};

export const reportsDeliver: Command = {
  name: 'reports deliver',
  summary: 'E-mail a report through the durable outbox and wait for each server acceptance (recorded as evidence)',
  usage:
    'cavra reports deliver --kind K --recipients a@x,b@y [--since T] [--until T] [--wait SECONDS] [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...common,
        ...period,
        kind: { type: 'string' },
        recipients: { type: 'string' },
        wait: { type: 'string' },
      },
      strict: true,
    });
    const kind = kindOf(values.kind);
    const recipients = (values.recipients ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    if (recipients.length === 0) throw new UsageError('--recipients is required');
    const waitSeconds = values.wait === undefined ? 120 : Number(values.wait);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError('--wait takes a number of seconds');
    // This command runs the delivery worker itself while it waits: no console needs to be open.
    return withTenant(
      io,
      values.tenant,
      async (client, tenant) => {
        const { deliveries } = await client.call(
          'reports.deliver',
          { kind, recipients, ...periodOf(values) },
          { tenant },
        );
        const deadline = Date.now() + waitSeconds * 1000;
        let current = deliveries;
        while (Date.now() < deadline && current.some((d) => !FINISHED.has(d.state))) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          const { deliveries: all } = await client.call(
            'deliveries.list',
            { purpose: 'report', limit: 500 },
            { tenant },
          );
          current = deliveries.map((d) => all.find((a) => a.id === d.id) ?? d);
        }
        io.stdout(values.json ? jsonText(current) : `${current.map(line).join('\n\n')}\n`);
        return current.every((d) => d.state === 'delivered' || d.state === 'awaiting_approval') ? 0 : 2;
      },
      { deliveries: { run: true, tickMs: 200 } },
    );
  },
};

export const reportsDeliveries: Command = {
  name: 'reports deliveries',
  summary: 'The delivery audit: every outbound delivery with its attempts and server responses',
  usage:
    'cavra reports deliveries [--state queued,sending,awaiting_approval,delivered,failed,refused] [--limit N] [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...common, state: { type: 'string' }, limit: { type: 'string' } },
      strict: true,
    });
    const states = values.state?.split(',').map((s) => {
      const parsed = deliveryStateSchema.safeParse(s.trim());
      if (!parsed.success) throw new UsageError(`--state: "${s}" is not a delivery state`);
      return parsed.data;
    });
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit takes 1–500');
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { deliveries } = await client.call('deliveries.list', { ...(states ? { states } : {}), limit }, { tenant });
      if (values.json) io.stdout(jsonText(deliveries));
      else
        io.stdout(deliveries.length === 0 ? `No deliveries in ${tenant}.\n` : `${deliveries.map(line).join('\n\n')}\n`);
      return 0;
    });
  },
};

export const reportsRetry: Command = {
  name: 'reports retry',
  summary: 'Queue a failed delivery again (same idempotency key; the console or gate worker sends it)',
  usage: 'cavra reports retry <delivery-id> [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true, strict: true });
    if (positionals.length !== 1 || !positionals[0]) throw new UsageError('give exactly one delivery id');
    const id = positionals[0];
    return withTenant(io, values.tenant, async (client, tenant) => {
      const delivery = await client.call('deliveries.retry', { id }, { tenant });
      io.stdout(values.json ? jsonText(delivery) : `${line(delivery)}\n`);
      return 0;
    });
  },
};

export const reportsSettings: Command = {
  name: 'reports settings',
  summary: 'Show or set report policy: redaction, allowed domains, recipients, report connector, escalation route',
  usage: 'cavra reports settings [--file FILE] [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { ...common, file: { type: 'string' } }, strict: true });
    let next: unknown;
    if (values.file) {
      try {
        next = parseYaml(fs.readFileSync(values.file, 'utf8'));
      } catch (error) {
        throw new UsageError(`cannot read ${values.file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return withTenant(io, values.tenant, async (client, tenant) => {
      const settings = next
        ? await client.call('reports.settings.set', next as never, { tenant })
        : await client.call('reports.settings.get', {}, { tenant });
      io.stdout(jsonText(settings));
      return 0;
    });
  },
};
