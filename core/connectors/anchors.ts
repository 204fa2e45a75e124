import type { Ledger } from '../evidence';
import { checkpointAnchor } from '../evidence';
import type { Outbox, OutboundMessage } from '../outbox';
import type { ConnectorRepository } from './repository';

export interface AnchorOptions {
  connectors: ConnectorRepository;
  ledger: (tenant: string) => Ledger;
  outbox: Outbox;
}

/**
 * Checkpoint anchoring (SPEC §6): each new signed checkpoint is queued for every anchor
 * connector (the compliance mailbox, a webhook witness, an append-only witness file), so a
 * copy lives where whoever holds the tenant key cannot rewrite it. The idempotency key names
 * the log and the tree size, so a checkpoint is anchored once per anchor however often this runs.
 */
export async function queueCheckpointAnchors(tenant: string, options: AnchorOptions): Promise<void> {
  const anchors = (await options.connectors.list(tenant)).filter((c) => c.anchor && c.enabled);
  if (anchors.length === 0) return;
  const ledger = options.ledger(tenant);
  const checkpoint = ledger.latestCheckpoint();
  if (!checkpoint) return;
  for (const anchor of anchors) {
    if ((await options.outbox.anchoredSize(tenant, anchor.id)) >= checkpoint.size) continue;
    const data = checkpointAnchor(tenant, ledger.origin, checkpoint);
    const subject = `CAVRA checkpoint ${tenant} size ${checkpoint.size}`;
    const anchorTo = typeof anchor.settings.anchorTo === 'string' ? anchor.settings.anchorTo : null;
    const message: OutboundMessage = {
      subject,
      text:
        `Signed checkpoint of the CAVRA evidence ledger of tenant ${tenant}. Keep this message: ` +
        `\`cavra evidence verify --witness\` checks the ledger against it.\n\n${checkpoint.note}`,
      ...(anchorTo ? { to: [anchorTo] } : {}),
      ...(anchor.kind === 'smtp'
        ? {
            attachments: [
              {
                filename: `checkpoint-${tenant}-${checkpoint.size}.json`,
                contentType: 'application/json',
                contentBase64: Buffer.from(`${JSON.stringify(data)}\n`).toString('base64'),
              },
            ],
          }
        : {}),
      event: { type: 'cavra.checkpoint', severity: 'info', data },
    };
    await options.outbox.queue(tenant, {
      idempotencyKey: `anchor:${anchor.id}:${ledger.origin}:${checkpoint.size}`,
      connector: anchor,
      purpose: 'anchor',
      message,
      subject,
      recipients: anchorTo ? [anchorTo] : [],
      createdBy: 'cavra',
    });
    await options.outbox.setAnchoredSize(tenant, anchor.id, checkpoint.size);
  }
}
