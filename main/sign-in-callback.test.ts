import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallbackOutcome } from '../core/identity';
import { signInCallback } from './sign-in-callback';

// The desktop console's loopback callback (issue 13, step-up in Electron): a real HTTP listener
// as main/index.ts runs it, with the sign-in's outcome given. The window goes where the
// browser-mode host sends the browser (callbackReturnLink), so both shells agree.

const ID = 'apr_00000000-0000-4000-8000-000000000001';
let server: http.Server | null = null;

async function listen(outcome: CallbackOutcome | Error) {
  const opened: string[] = [];
  const completed: string[] = [];
  let port = 0;
  server = http.createServer(
    signInCallback({
      port: () => port,
      complete: async (url) => {
        completed.push(url);
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
      open: (link) => opened.push(link),
    }),
  );
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const get = async (pathAndQuery: string, method = 'GET') => {
    const response = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, { method });
    return { status: response.status, text: await response.text() };
  };
  return { opened, completed, get, port: () => port };
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

describe('desktop sign-in callback', () => {
  it('takes the window back to the decided request after a step-up, and says so in the browser tab', async () => {
    const cb = await listen({ ok: true, kind: 'step-up', tenant: 'acme', requestId: ID, verdict: 'approve' });
    const answer = await cb.get('/auth/callback?code=c&state=s');
    expect(answer).toEqual({ status: 200, text: 'Your sign-in confirmed the verdict. Return to CAVRA Enterprise.' });
    expect(cb.completed).toEqual([`http://127.0.0.1:${cb.port()}/auth/callback?code=c&state=s`]);
    expect(cb.opened).toEqual([`#/approvals/${ID}?tenant=acme&stepup=approve`]);
  });

  it('a failed step-up still returns to the queue with the reason; the tab says it failed', async () => {
    const cb = await listen({
      ok: false,
      message: 'The IdP authenticated Bob',
      stepUp: { tenant: 'acme', requestId: ID },
    });
    const answer = await cb.get('/auth/callback?code=c&state=s');
    expect(answer).toEqual({ status: 400, text: 'Sign-in failed: The IdP authenticated Bob' });
    expect(cb.opened).toEqual([`#/approvals/${ID}?tenant=acme&stepup=failed&stepupError=The+IdP+authenticated+Bob`]);
  });

  it('a sign-in starts the console over; a test sign-in shows its outcome without a session', async () => {
    const signIn = await listen({ ok: true, kind: 'sign-in', test: false, user: 'alice', groups: [], roles: [] });
    expect((await signIn.get('/auth/callback?code=c&state=s')).status).toBe(200);
    expect(signIn.opened).toEqual(['']);
    await new Promise((resolve) => server?.close(resolve));
    const test = await listen({
      ok: true,
      kind: 'sign-in',
      test: true,
      user: 'alice',
      groups: ['sec'],
      roles: ['security_reviewer'],
    });
    expect((await test.get('/auth/callback?code=c&state=s')).text).toBe(
      'You are signed in. Return to CAVRA Enterprise.',
    );
    expect(test.opened).toEqual(['#sso-test=ok&user=alice&groups=sec&roles=security_reviewer']);
  });

  it('a failed sign-in moves nothing; other paths and methods are not the callback; a fault is a 500', async () => {
    const failed = await listen({ ok: false, message: 'state mismatch' });
    expect(await failed.get('/auth/callback?code=c&state=s')).toEqual({
      status: 400,
      text: 'Sign-in failed: state mismatch',
    });
    expect((await failed.get('/other')).status).toBe(404);
    expect((await failed.get('/auth/callback', 'POST')).status).toBe(404);
    expect(failed.completed).toHaveLength(1);
    expect(failed.opened).toEqual([]);
    await new Promise((resolve) => server?.close(resolve));
    const broken = await listen(new Error('worker gone'));
    expect(await broken.get('/auth/callback?code=c')).toEqual({ status: 500, text: 'Sign-in failed' });
    expect(broken.opened).toEqual([]);
  });
});
