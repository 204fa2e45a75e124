import { describe, expect, it } from 'vitest';
import type { Principal, ResponseEnvelope } from '../contract';
import { ConsoleSession, stepUpReturnLink } from './console-session';

// The console shell's part of an attested verdict (issue 13): the page never chooses where the
// IdP sends the browser back, never finishes a step-up itself, and the redirect that comes back
// is finished as the reviewer who began it. The core is a recording stand-in here; the real
// flow (real IdP, real core, real browser) is e2e/browser/approvals-sso.spec.ts.

const reviewer: Principal = { id: 'human:1:alice', displayName: 'Alice', kind: 'human', tenant: 'acme' } as Principal;
const CALLBACK = 'http://127.0.0.1:4242/auth/callback';
const ID = 'apr_00000000-0000-4000-8000-000000000001';

function shell(answers: Record<string, ResponseEnvelope>) {
  const calls: {
    principal: Principal | null;
    request: { op: string; tenant: unknown; input: Record<string, unknown> };
  }[] = [];
  const opened: string[] = [];
  const core = {
    invoke: async (principal: Principal | null, request: unknown) => {
      const sent = request as { op: string; tenant: unknown; input: Record<string, unknown> };
      calls.push({ principal, request: sent });
      return answers[sent.op] ?? { ok: false as const, error: { code: 'not_found' as const, message: 'no answer' } };
    },
  };
  const session = new ConsoleSession(
    core,
    () => CALLBACK,
    (url) => opened.push(url),
  );
  return { session, calls, opened };
}

const signedIn = {
  ok: true as const,
  value: { sessionId: 'ses_secret', principal: reviewer },
};
const stepUpAnswer = {
  ok: true as const,
  value: {
    id: ID,
    state: 'pending',
    stepUp: { flowId: 'flow_1', authorizationUrl: 'http://127.0.0.1:9/auth?state=st_1', expiresAt: '' },
  },
};

describe('ConsoleSession step-up for attested verdicts', () => {
  it('forces its own callback as the redirect, finishes the step-up as the same reviewer and returns to the queue', async () => {
    const { session, calls, opened } = shell({
      'session.local': signedIn,
      'approvals.decide': stepUpAnswer,
      'approvals.attest': { ok: true, value: { id: ID, state: 'approved' } },
    });
    await session.invoke({ op: 'session.local', tenant: null, input: {} });
    await session.invoke({
      op: 'approvals.decide',
      tenant: 'acme',
      input: { id: ID, verdict: 'deny', reason: 'no', redirectUri: 'http://127.0.0.1:1/evil' },
    });
    expect(calls[1]?.request.input.redirectUri).toBe(CALLBACK);
    expect(opened).toEqual(['http://127.0.0.1:9/auth?state=st_1']);

    const outcome = await session.complete(`${CALLBACK}?code=c&state=st_1`);
    expect(outcome).toEqual({ ok: true, kind: 'step-up', tenant: 'acme', requestId: ID, verdict: 'deny' });
    expect(calls[2]).toEqual({
      principal: reviewer,
      request: {
        op: 'approvals.attest',
        tenant: 'acme',
        input: { flowId: 'flow_1', callbackUrl: `${CALLBACK}?code=c&state=st_1` },
      },
    });
    expect(stepUpReturnLink(outcome)).toBe(`#/approvals/${ID}?tenant=acme&stepup=deny`);
    // The same redirect again is not a second verdict: it is an unknown sign-in now.
    await session.complete(`${CALLBACK}?code=c&state=st_1`);
    expect(calls.filter((c) => c.request.op === 'approvals.attest')).toHaveLength(1);
  });

  it('refuses approvals.attest from the page and reports a failed step-up back to the queue', async () => {
    const { session } = shell({
      'session.local': signedIn,
      'approvals.decide': stepUpAnswer,
      'approvals.attest': { ok: false, error: { code: 'forbidden', message: 'The IdP authenticated Bob' } },
    });
    await session.invoke({ op: 'session.local', tenant: null, input: {} });
    const direct = await session.invoke({
      op: 'approvals.attest',
      tenant: 'acme',
      input: { flowId: 'f', callbackUrl: 'x' },
    });
    expect(direct).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    await session.invoke({ op: 'approvals.decide', tenant: 'acme', input: { id: ID, verdict: 'approve' } });
    const outcome = await session.complete(`${CALLBACK}?code=c&state=st_1`);
    expect(outcome).toEqual({
      ok: false,
      message: 'The IdP authenticated Bob',
      stepUp: { tenant: 'acme', requestId: ID },
    });
    expect(stepUpReturnLink(outcome)).toBe(
      `#/approvals/${ID}?tenant=acme&stepup=failed&stepupError=The+IdP+authenticated+Bob`,
    );
  });

  it('a sign-in redirect is not a step-up: no queue link', async () => {
    const { session } = shell({
      'session.complete': { ok: true, value: { ...signedIn.value, test: false, groups: [], roles: [] } },
    });
    const outcome = await session.complete(`${CALLBACK}?code=c&state=unknown`);
    expect(outcome).toMatchObject({ ok: true, kind: 'sign-in' });
    expect(stepUpReturnLink(outcome)).toBeNull();
  });
});
