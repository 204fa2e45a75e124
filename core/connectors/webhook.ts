import crypto from 'node:crypto';
import type { ConnectorSettings } from '../contract';
import { httpsPost } from './https-post';
import type { Sender } from '../outbox';
import { failure } from '../outbox';

/** Standard Webhooks: the secret is `whsec_` and the base64 key, 24 to 64 bytes. */
export function webhookKey(secret: string): Buffer | null {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret.trim());
  if (!match?.[1]) return null;
  const key = Buffer.from(match[1], 'base64');
  return key.length >= 24 && key.length <= 64 ? key : null;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, as the Standard Webhooks spec defines it. */
export function webhookSignature(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * A signed event. `webhook-id` is the delivery's idempotency key, the same on every retry,
 * so receivers that follow the spec process it once.
 */
export const sendWebhook: Sender = async (connector, credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'webhook'>;
  const key = credentials.credential ? webhookKey(credentials.credential) : null;
  if (!key) return failure(null, 'The webhook signing secret is not set (a whsec_… secret is required)', false);
  const timestamp = Math.floor(context.now.getTime() / 1000);
  const body = JSON.stringify({
    type: message.event.type,
    timestamp: context.now.toISOString(),
    data: { tenant: context.tenant, subject: message.subject, severity: message.event.severity, ...message.event.data },
  });
  return httpsPost({
    url: settings.url,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': context.idempotencyKey,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(key, context.idempotencyKey, timestamp, body),
    },
    ca: settings.ca,
    timeoutMs: (settings.timeoutSeconds ?? 15) * 1000,
    secrets: [credentials.credential],
  });
};
