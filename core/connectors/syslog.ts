import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import type { ConnectorSettings } from '../contract';
import type { OutboundMessage, Sender } from '../outbox';
import { failure, scrub } from '../outbox';

/** IANA's documentation enterprise number (RFC 5612): CAVRA has none of its own yet. */
const SD_ID = 'cavra@32473';
/** Facility 13, "log audit" (RFC 5424 §6.2.1). */
const FACILITY = 13;
const SEVERITY = { critical: 2, warning: 4, info: 6 } as const;

const printable = (value: string, max: number) => value.replace(/[^!-~]/g, '_').slice(0, max) || '-';
/** Inside an SD-PARAM value, `"`, `\` and `]` are escaped (RFC 5424 §6.3.3). */
const paramValue = (value: string) => value.replace(/[\\"\]]/g, (c) => `\\${c}`);

/** One RFC 5424 message: header, one structured-data element, then the text with a UTF-8 BOM. */
export function rfc5424(
  message: OutboundMessage,
  context: { tenant: string; deliveryId: string; idempotencyKey: string; now: Date },
  appName: string,
): string {
  const pri = FACILITY * 8 + SEVERITY[message.event.severity];
  const params: [string, string][] = [
    ['tenant', context.tenant],
    ['delivery', context.deliveryId],
    ['key', context.idempotencyKey],
    ['type', message.event.type],
  ];
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${paramValue(v)}"`).join(' ')}]`;
  const header = [
    `<${pri}>1`,
    context.now.toISOString(),
    printable(os.hostname(), 255),
    printable(appName, 48),
    String(process.pid),
    printable(message.event.type, 32),
  ].join(' ');
  return `${header} ${sd} \uFEFF${message.subject}: ${message.text.replace(/\s+/g, ' ').slice(0, 4000)}`;
}

/**
 * RFC 5425: syslog over TLS with octet-counting framing. TLS is the only transport offered
 * (a SIEM feed carries evidence). Syslog has no application-level acknowledgement, so
 * "accepted" means the TLS peer took every byte and closed cleanly.
 */
export const sendSyslog: Sender = (connector, _credentials, message, context) => {
  const settings = connector.settings as ConnectorSettings<'syslog'>;
  const line = Buffer.from(rfc5424(message, context, settings.appName ?? 'cavra'), 'utf8');
  const frame = Buffer.concat([Buffer.from(`${line.length} `), line]);
  const where = `${settings.host}:${settings.port}`;
  const timeout = (settings.timeoutSeconds ?? 15) * 1000;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Parameters<typeof resolve>[0]) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    const socket = tls.connect({
      host: settings.host,
      port: settings.port,
      ...(settings.ca ? { ca: [settings.ca] } : {}),
      ...(net.isIP(settings.host) ? {} : { servername: settings.host }),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
    socket.setTimeout(timeout, () =>
      done(failure('ETIMEDOUT', `No progress with ${where} within ${timeout} ms`, true)),
    );
    socket.once('secureConnect', () => {
      socket.end(frame, () => {
        // Written and flushed; a clean close from the peer follows on the 'close' event.
      });
    });
    socket.once('close', (hadError) => {
      if (!hadError)
        done({ ok: true, code: 'TLS', text: `${frame.length} bytes sent over TLS to ${where}`, retryable: false });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const said = scrub(error.message, []);
      if (/certificate|self[- ]signed|unable to verify|altnames/i.test(said)) {
        done(
          failure(
            'ETLSCERT',
            `The certificate of ${where} is not trusted (${said}). Add its CA to the connector.`,
            false,
          ),
        );
      } else {
        done(failure(error.code ?? null, `Could not deliver to ${where}: ${said}`, true));
      }
    });
  });
};
