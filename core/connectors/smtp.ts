import net from 'node:net';
import type { ConnectorSettings } from '../contract';
import type { DeliveryOutcome, Sender } from '../outbox';
import { failure, scrub } from '../outbox';

type SmtpSettings = ConnectorSettings<'smtp'>;

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * E-mail through nodemailer. TLS is never optional: `starttls` requires the upgrade before
 * anything else (a server that does not offer it is refused), `tls` is implicit TLS; the
 * certificate is always verified (a private CA goes in `ca`). The Message-ID is derived from
 * the idempotency key, so a retry of the same delivery is recognisably the same message.
 */
export const sendSmtp: Sender = async (connector, credentials, message, context) => {
  const settings = connector.settings as SmtpSettings;
  const to = message.to ?? [];
  if (to.length === 0) return failure(null, 'No recipients: an e-mail delivery needs at least one address', false);
  if (settings.username && !credentials.credential) {
    return failure(null, `No password is set for SMTP user ${settings.username}: set the connector secret`, false);
  }
  const timeout = (settings.timeoutSeconds ?? 30) * 1000;
  // Loaded on first send, not with every CLI command.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    auth:
      settings.username && credentials.credential
        ? { user: settings.username, pass: credentials.credential }
        : undefined,
    tls: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(settings.ca ? { ca: [settings.ca] } : {}),
      ...(net.isIP(settings.host) ? {} : { servername: settings.host }),
    },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
    ...(settings.dkim && credentials.dkim
      ? {
          dkim: {
            domainName: settings.dkim.domain,
            keySelector: settings.dkim.selector,
            privateKey: credentials.dkim,
          },
        }
      : {}),
  });
  const secrets = [credentials.credential, credentials.dkim];
  try {
    const info = (await transport.sendMail({
      from: settings.from,
      to,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
      messageId: `<${context.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '.')}@cavra.invalid>`,
      headers: { 'X-CAVRA-Delivery': context.deliveryId, 'X-CAVRA-Tenant': context.tenant },
      attachments: (message.attachments ?? []).map((attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        content: Buffer.from(attachment.contentBase64, 'base64'),
      })),
    })) as { accepted?: unknown[]; rejected?: unknown[]; response?: string };
    const accepted = addresses(info.accepted);
    const rejected = addresses(info.rejected);
    const response = scrub(info.response ?? '', secrets);
    const code = /^\d{3}/.exec(response)?.[0] ?? null;
    const outcome: DeliveryOutcome = {
      ok: accepted.length > 0 && rejected.length === 0,
      code,
      text: rejected.length > 0 ? `${response} (rejected: ${rejected.join(', ')})` : response,
      retryable: false,
      accepted,
      rejected,
    };
    return outcome;
  } catch (error) {
    return smtpFailure(error as SmtpError, settings, secrets);
  } finally {
    transport.close();
  }
};

function addresses(list: unknown[] | undefined): string[] {
  return (list ?? []).map((entry) =>
    typeof entry === 'string' ? entry.toLowerCase() : String((entry as { address?: string }).address).toLowerCase(),
  );
}

/** Says what went wrong in the operator's terms, and whether trying again can help. */
function smtpFailure(error: SmtpError, settings: SmtpSettings, secrets: (string | null)[]): DeliveryOutcome {
  const where = `${settings.host}:${settings.port}`;
  const said = scrub(error.response ?? error.message ?? 'unknown error', secrets);
  const code = error.responseCode ? String(error.responseCode) : (error.code ?? null);
  switch (error.code) {
    case 'EAUTH':
      return failure(
        code,
        `Authentication failed at ${where}: the server refused the user name or password (${said}). ` +
          'Set the correct secret, then retry.',
        false,
      );
    case 'ETLS':
      return failure(
        code,
        settings.security === 'starttls'
          ? `The SMTP server at ${where} does not offer STARTTLS, and CAVRA never sends mail or credentials in ` +
              `clear text (${said}). Enable STARTTLS on the server, or use implicit TLS.`
          : `TLS failed with ${where}: ${said}`,
        false,
      );
    default:
      break;
  }
  if (/certificate|self[- ]signed|unable to verify|altnames/i.test(said)) {
    return failure(
      'ETLSCERT',
      `The certificate of ${where} is not trusted (${said}). Add its CA to the connector's CA certificates.`,
      false,
    );
  }
  if (error.responseCode !== undefined) {
    // 4xx is a temporary refusal worth another try; 5xx is final.
    return failure(code, `${where} answered: ${said}`, error.responseCode < 500);
  }
  return failure(code, `Could not deliver to ${where}: ${said}`, true);
}
