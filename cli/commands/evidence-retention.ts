import { parseArgs } from 'node:util';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

export const evidenceRetention: Command = {
  name: 'evidence retention',
  summary: 'Show or set how long evidence payloads are kept, and the legal hold (a recorded config change)',
  usage: 'cavra evidence retention [--tenant T] [--days N | --forever] [--legal-hold on|off] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        days: { type: 'string' },
        forever: { type: 'boolean' },
        'legal-hold': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.days !== undefined && values.forever) throw new UsageError('Give --days N or --forever, not both');
    const hold = values['legal-hold'];
    if (hold !== undefined && hold !== 'on' && hold !== 'off') throw new UsageError('--legal-hold takes on or off');
    const days = values.days === undefined ? undefined : Number(values.days);
    if (days !== undefined && !Number.isInteger(days)) throw new UsageError('--days must be a whole number');
    return withTenant(io, values.tenant, async (client, tenant) => {
      let retention = (await client.call('evidence.status', {}, { tenant })).retention;
      if (days !== undefined || values.forever || hold !== undefined) {
        retention = await client.call(
          'evidence.retention.set',
          {
            days: values.forever ? null : (days ?? retention.days),
            legalHold: hold === undefined ? retention.legalHold : hold === 'on',
          },
          { tenant },
        );
      }
      io.stdout(
        values.json
          ? jsonText(retention)
          : `Retention for ${tenant}: ${retention.days === null ? 'keep for ever' : `${retention.days} days`}; legal hold ${retention.legalHold ? 'on' : 'off'}\n`,
      );
      return 0;
    });
  },
};

export const evidencePrune: Command = {
  name: 'evidence prune',
  summary: 'Replace payloads past retention with a signed tombstone (the ledger still verifies); run it from cron',
  usage: 'cavra evidence prune [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const result = await client.call('evidence.prune', {}, { tenant });
      io.stdout(
        values.json
          ? jsonText(result)
          : result.pruned > 0
            ? `Pruned ${result.pruned} payloads of ${tenant}; tombstone record #${result.tombstone}\n`
            : `Nothing pruned in ${tenant}: ${result.reason ?? 'nothing is past retention'}\n`,
      );
      return 0;
    });
  },
};
