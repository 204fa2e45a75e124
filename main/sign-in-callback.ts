import type http from 'node:http';
import { callbackReturnLink } from '../core/identity';
import type { CallbackOutcome } from '../core/identity';

export interface SignInCallbackOptions {
  /** The loopback port the callback listens on (known once it listens). */
  port: () => number;
  /** Finishes the sign-in or step-up the IdP redirected back for (ConsoleSession.complete). */
  complete: (url: string) => Promise<CallbackOutcome>;
  /** Takes the console's window to a link relative to its entry ('' is the console's start). */
  open: (link: string) => void;
}

/**
 * The desktop console's sign-in callback (RFC 8252: the system browser goes to the IdP, which
 * redirects to this loopback listener). The browser tab gets a plain-text outcome; the console
 * window goes where callbackReturnLink says — the same place the browser-mode host sends it.
 */
export function signInCallback(options: SignInCallbackOptions): http.RequestListener {
  return (request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${options.port()}`);
    if (url.pathname !== '/auth/callback' || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    void options.complete(url.href).then(
      (done) => {
        const text = done.ok
          ? done.kind === 'step-up'
            ? 'Your sign-in confirmed the verdict. Return to CAVRA Enterprise.'
            : 'You are signed in. Return to CAVRA Enterprise.'
          : `Sign-in failed: ${done.message}`;
        response
          .writeHead(done.ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end(text);
        const link = callbackReturnLink(done);
        if (link !== null) options.open(link);
      },
      () => {
        // ConsoleSession.complete answers failures as outcomes; anything else is a fault here.
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Sign-in failed');
      },
    );
  };
}
