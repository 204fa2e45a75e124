import type { ConnectorSettings } from '../contract';
import { appendWitness, witnessLineSchema } from '../evidence';
import type { Sender } from '../outbox';
import { failure } from '../outbox';

/**
 * An append-only witness file: one JSON line per anchored checkpoint, fsynced (the format and
 * the append are core/evidence's, shared with the ledger's own high-water file). A line
 * already holding this delivery's idempotency key is not written twice, so a retry after a
 * crash leaves one line. Only checkpoint anchors are written here.
 */
export const sendWitnessFile: Sender = async (connector, _credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'witness_file'>;
  const checkpoint = witnessLineSchema.omit({ anchored_at: true, key: true }).safeParse(message.event.data);
  if (message.event.type !== 'cavra.checkpoint' || !checkpoint.success) {
    return failure(null, 'A witness file only receives signed checkpoints', false);
  }
  try {
    const outcome = appendWitness(settings.path, checkpoint.data, {
      key: context.idempotencyKey,
      at: context.now,
      dedupe: true,
    });
    return outcome === 'exists'
      ? { ok: true, code: 'EXISTS', text: `already in ${settings.path}`, retryable: false }
      : { ok: true, code: 'APPENDED', text: `appended to ${settings.path}`, retryable: false };
  } catch (error) {
    return failure(
      (error as NodeJS.ErrnoException).code ?? null,
      `Cannot append to ${settings.path}: ${(error as Error).message}`,
      true,
    );
  }
};
