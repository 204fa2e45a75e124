import https from 'node:https';
import type { DeliveryOutcome } from '../outbox';
import { failure, scrub } from '../outbox';

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  ca?: string;
  timeoutMs: number;
  /** Secrets to keep out of whatever the answer or an error says. */
  secrets: (string | null)[];
}

/**
 * One HTTPS POST with certificate verification always on and no redirects followed (a
 * redirect could carry the credential elsewhere). 2xx is delivered; 408, 429 and 5xx are
 * worth another attempt; other 4xx are final.
 */
export function httpsPost(options: PostOptions): Promise<DeliveryOutcome> {
  const url = new URL(options.url);
  if (url.protocol !== 'https:') return Promise.resolve(failure(null, 'Only https:// endpoints are allowed', false));
  const where = `${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  return new Promise((resolve) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        headers: { 'content-length': Buffer.byteLength(options.body), ...options.headers },
        ...(options.ca ? { ca: [options.ca] } : {}),
        minVersion: 'TLSv1.2',
        timeout: options.timeoutMs,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < 4096) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const body = scrub(Buffer.concat(chunks).toString('utf8').slice(0, 1000), options.secrets);
          const text = scrub(`${status} ${response.statusMessage ?? ''}${body ? `: ${body}` : ''}`, options.secrets);
          if (status >= 200 && status < 300) resolve({ ok: true, code: String(status), text, retryable: false });
          else
            resolve(
              failure(String(status), `${where} answered ${text}`, status === 408 || status === 429 || status >= 500),
            );
        });
        response.on('error', (error) =>
          resolve(failure(null, scrub(`${where}: ${error.message}`, options.secrets), true)),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const said = scrub(error.message, options.secrets);
      if (/certificate|self[- ]signed|unable to verify|altnames/i.test(said)) {
        resolve(
          failure(
            'ETLSCERT',
            `The certificate of ${url.host} is not trusted (${said}). Add its CA to the connector.`,
            false,
          ),
        );
      } else {
        resolve(failure(error.code ?? null, `Could not reach ${url.host}: ${said}`, true));
      }
    });
    request.end(options.body);
  });
}
