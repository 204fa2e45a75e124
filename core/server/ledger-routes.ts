import { z } from 'zod';
import { ContractError } from '../contract';
import { LedgerInputError } from '../evidence';
import { LEDGER_BATCH_PATH, MAX_INGEST_BATCH_RECORDS as MAX_BATCH_RECORDS } from '../connect';
import type { RouteModule } from './routes';

export { LEDGER_BATCH_PATH, MAX_BATCH_RECORDS };

const batchSchema = z
  .object({
    records: z
      .array(
        z
          .object({
            originSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
            type: z.string().min(1).max(64),
            payload: z.unknown(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_BATCH_RECORDS),
  })
  .strict();

/**
 * Central ledger ingest: an enrolled gate ships a batch of its records. Each is keyed by the
 * machine's own principal id and the record's sequence number in the gate's ledger, so a
 * retried batch (or part of one) is stored once, and no machine can write under another's
 * origin. The answer comes only after every record of the batch is committed.
 */
export const ledgerRoutes: RouteModule = (deps) => [
  {
    method: 'POST',
    path: LEDGER_BATCH_PATH,
    auth: 'machine',
    async handle(ctx) {
      const parsed = batchSchema.safeParse(ctx.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ContractError(
          'invalid_input',
          `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'} (a batch is {records: [{originSeq, type, payload}]}, 1–${MAX_BATCH_RECORDS} records)`,
          issue?.path.join('.') || undefined,
        );
      }
      const tenant = ctx.tenant as string;
      const origin = (ctx.principal as { id: string }).id;
      const outcomes = await deps.ledger.appendBatch(
        tenant,
        parsed.data.records.map((record) => ({
          type: record.type,
          payload: record.payload,
          origin: { origin, originSeq: record.originSeq },
        })),
      );
      const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected');
      if (failed >= 0) {
        const reason = (outcomes[failed] as PromiseRejectedResult).reason as Error;
        const originSeq = parsed.data.records[failed]?.originSeq;
        const refused = reason instanceof LedgerInputError;
        throw new ContractError(
          refused ? 'invalid_input' : 'unavailable',
          `records[${failed}] (originSeq ${originSeq}): ${reason.message}; ${refused ? 'fix the record' : 'retry the batch'} — records before it may be stored, and a retry stores none twice`,
          `records.${failed}`,
        );
      }
      return {
        body: {
          ok: true,
          value: {
            receipts: outcomes.map((outcome, i) => {
              const receipt = (outcome as PromiseFulfilledResult<{ seq: number; duplicate?: boolean }>).value;
              return {
                originSeq: parsed.data.records[i]?.originSeq,
                seq: receipt.seq,
                duplicate: receipt.duplicate === true,
              };
            }),
          },
        },
      };
    },
  },
];
