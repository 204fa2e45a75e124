import fs from 'node:fs';
import path from 'node:path';
import type { ConnectorSettings } from '../contract';
import type { Sender } from '../outbox';
import { failure } from '../outbox';

/**
 * An append-only witness file: one JSON line per anchored checkpoint, fsynced. A line
 * already holding this delivery's idempotency key is not written twice, so a retry after
 * a crash leaves one line. Only checkpoint anchors are written here.
 */
export const sendWitnessFile: Sender = async (connector, _credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'witness_file'>;
  if (message.event.type !== 'cavra.checkpoint') {
    return failure(null, 'A witness file only receives signed checkpoints', false);
  }
  const line = `${JSON.stringify({ ...message.event.data, anchored_at: context.now.toISOString(), key: context.idempotencyKey })}\n`;
  try {
    fs.mkdirSync(path.dirname(settings.path), { recursive: true, mode: 0o700 });
    if (fs.existsSync(settings.path)) {
      const existing = fs.readFileSync(settings.path, 'utf8');
      if (existing.includes(`"key":${JSON.stringify(context.idempotencyKey)}`)) {
        return { ok: true, code: 'EXISTS', text: `already in ${settings.path}`, retryable: false };
      }
    }
    // O_NOFOLLOW: a symlink planted at the path cannot redirect the append to another file.
    const fd = fs.openSync(
      settings.path,
      fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0),
      0o600,
    );
    try {
      fs.writeSync(fd, line);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return { ok: true, code: 'APPENDED', text: `appended to ${settings.path}`, retryable: false };
  } catch (error) {
    return failure(
      (error as NodeJS.ErrnoException).code ?? null,
      `Cannot append to ${settings.path}: ${(error as Error).message}`,
      true,
    );
  }
};
