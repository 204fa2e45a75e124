import type { ConnectorConfig } from '../contract';

/** A file carried with an e-mail (a report's PDF, JSON or CSV). */
export interface MessageAttachment {
  filename: string;
  contentType: string;
  /** Base64, so the whole message is one JSON value in the outbox. */
  contentBase64: string;
}

/**
 * What the outbox hands a connector. Each connector kind renders it its own way: e-mail
 * (subject, text, HTML, attachments), a signed webhook event, an RFC 5424 line, a chat
 * message, a ticket. `event` is the machine form that every non-mail kind carries.
 */
export interface OutboundMessage {
  subject: string;
  text: string;
  html?: string;
  /** E-mail recipients (SMTP only). */
  to?: string[];
  attachments?: MessageAttachment[];
  event: { type: string; severity: 'info' | 'warning' | 'critical'; data: Record<string, unknown> };
}

/** The delivery a message belongs to: its idempotency key travels with every send. */
export interface DeliveryContext {
  deliveryId: string;
  idempotencyKey: string;
  tenant: string;
  /** The time of this attempt, for protocol timestamps. */
  now: Date;
}

/**
 * What a server answered. `retryable` says whether another attempt can help (a refused
 * connection, a 4xx) or not (a wrong password, a 5xx, a server without STARTTLS).
 */
export interface DeliveryOutcome {
  ok: boolean;
  code: string | null;
  /** The server's response or the failure, one line, short, scrubbed of every secret. */
  text: string;
  retryable: boolean;
  /** Per-recipient acceptance for e-mail. */
  accepted?: string[];
  rejected?: string[];
}

/** The secrets a send may use, read from the keychain just for it. */
export interface ConnectorCredentials {
  credential: string | null;
  dkim: string | null;
}

export type Sender = (
  connector: ConnectorConfig,
  credentials: ConnectorCredentials,
  message: OutboundMessage,
  context: DeliveryContext,
) => Promise<DeliveryOutcome>;

const MAX_TEXT = 300;

/**
 * One line, at most 300 characters, with every secret (and its base64 forms, as SMTP AUTH
 * and Basic auth carry it) replaced: server answers and library errors can echo what they got.
 */
export function scrub(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of secretForms(secret)) out = out.split(form).join('[secret]');
  }
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT - 1)}…` : out;
}

function secretForms(secret: string): string[] {
  const forms = new Set([secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]);
  // Secrets inside a longer base64 blob (AUTH PLAIN "\0user\0pass") show up at any of three alignments.
  for (let pad = 0; pad < 3; pad += 1) {
    const encoded = Buffer.from('\0'.repeat(pad) + secret).toString('base64');
    const stable = encoded.slice(Math.ceil((pad * 4) / 3) + 1, -4);
    if (stable.length >= 8) forms.add(stable);
  }
  for (const word of secret.split(/\s+/)) if (word.length >= 12) forms.add(word);
  return [...forms].filter((form) => form.length >= 4);
}

export function failure(code: string | null, text: string, retryable: boolean): DeliveryOutcome {
  return { ok: false, code, text, retryable };
}
