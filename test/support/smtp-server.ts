import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerSession } from 'smtp-server';
import { testCertificate } from './tls';

export interface ReceivedMail {
  parsed: ParsedMail;
  raw: Buffer;
  envelopeTo: string[];
  user: string | null;
  secure: boolean;
}

export interface TestSmtpServer {
  port: number;
  /** Messages the server accepted (answered 250 to a client that was still there). */
  accepted: ReceivedMail[];
  /** How many accepted messages carry this Message-ID. */
  countMessageId(messageId: string): number;
  /** Resolves when a message's data has fully arrived and is being held (with `hold`). */
  nextHeld(): Promise<void>;
  /** Lets held messages be answered (accepted if their client is still connected). */
  release(): void;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  user: string;
  password: string;
  /** Offer STARTTLS (default true). Without it, a client that requires TLS must refuse. */
  starttls?: boolean;
  /** Keep each message's final answer back until `release()`, to kill a client mid-delivery. */
  hold?: boolean;
  port?: number;
}

/**
 * A real SMTP server (the smtp-server package) on 127.0.0.1: STARTTLS with a self-signed
 * certificate and AUTH PLAIN/LOGIN, no AUTH before TLS. Like a conforming MTA it takes
 * responsibility for a message only when its 250 reaches the client: a message whose client
 * vanished before the answer is discarded, not counted.
 */
export async function startSmtpServer(options: SmtpServerOptions): Promise<TestSmtpServer> {
  const certificate = testCertificate();
  const accepted: ReceivedMail[] = [];
  const closed = new Set<string>();
  let heldWaiters: (() => void)[] = [];
  let releaseWaiters: (() => void)[] = [];
  let released = !options.hold;
  const server = new SMTPServer({
    secure: false,
    key: certificate.key,
    cert: certificate.cert,
    hideSTARTTLS: options.starttls === false,
    disabledCommands: options.starttls === false ? ['STARTTLS'] : [],
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onClose(session: SMTPServerSession) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const held = !released;
        if (held) {
          const waiters = heldWaiters;
          heldWaiters = [];
          for (const wake of waiters) wake();
          await new Promise<void>((resolve) => releaseWaiters.push(resolve));
        }
        // Give a vanished client's close a moment to be noticed before answering. A held message's
        // client is usually killed on purpose: under load its close can take far longer than a
        // moment to reach this process, so wait for it (up to 2 s) rather than accept a message
        // nobody is left to be told about.
        for (let waited = 0; waited < (held ? 2_000 : 20) && !closed.has(session.id); waited += 20) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        if (closed.has(session.id)) return;
        const raw = Buffer.concat(chunks);
        accepted.push({
          parsed: await simpleParser(raw),
          raw,
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          user: (session.user as string | undefined) ?? null,
          secure: session.secure,
        });
        callback(null, 'OK: queued as test');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    accepted,
    countMessageId: (id) =>
      accepted.filter((mail) => mail.parsed.messageId === id.replace(/^<|>$/g, '') || mail.parsed.messageId === id)
        .length,
    nextHeld: () => new Promise((resolve) => heldWaiters.push(resolve)),
    release: () => {
      released = true;
      const waiters = releaseWaiters;
      releaseWaiters = [];
      for (const wake of waiters) wake();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
