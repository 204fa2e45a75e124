import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateConnection, askGate, gateLocation, readGateToken } from './client';
import { HTTP_PATHS } from './http-transport';
import { startGate } from './gate';
import { localEvaluationPrincipal } from '../identity';
import { gateFixture } from './testing';
import type { GateFixture } from './testing';

let fx: GateFixture;
beforeAll(async () => {
  fx = await gateFixture({ approvalWaitMs: 300 });
}, 30_000);
afterAll(async () => {
  await fx?.close();
});

/** Sends raw lines on one connection and collects every answer line until the gate closes or `count` arrive. */
function raw(home: string, text: string, count: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(gateLocation(home).socket);
    const answers: Record<string, unknown>[] = [];
    let buffer = '';
    const done = () => {
      socket.destroy();
      resolve(answers);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline !== -1) {
        answers.push(JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
      if (answers.filter((a) => a.type === 'answer').length >= count) done();
    });
    socket.on('close', done);
    socket.on('error', reject);
    socket.write(text);
  });
}

const ls = { type: 'execute_command', command: 'ls -la', cwd: '/tmp/ws', agent: { id: 'tester', session: 's-7' } };

describe('gate socket', () => {
  it('answers allow and deny, each recorded with adapter, agent, session and correlation id first', async () => {
    const allowed = await askGate(
      { op: 'decide', adapter: 'exec', action: { ...ls, correlation_id: 'corr-allow' } },
      { home: fx.home },
    );
    expect(allowed).toMatchObject({ outcome: 'allow', failed: false });
    const denied = await askGate(
      { op: 'decide', adapter: 'exec', action: { ...ls, command: 'rm -rf ~', correlation_id: 'corr-deny' } },
      { home: fx.home },
    );
    expect(denied.outcome).toBe('deny');
    expect(denied.reason).toContain('cavra-destructive/destroy.rm-root-or-home');
    const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
      query(q: unknown): { records: { seq: number }[] };
      record(seq: number): { payload: Record<string, unknown> } | null;
    };
    const payloads = ledger
      .query({ types: ['decision'], session: 's-7', limit: 10 })
      .records.map((r) => ledger.record(r.seq)?.payload);
    const byCorrelation = Object.fromEntries(
      payloads.map((p) => [(p?.decision as { correlation_id: string }).correlation_id, p]),
    );
    for (const [id, outcome] of [
      ['corr-allow', 'allow'],
      ['corr-deny', 'deny'],
    ]) {
      expect(byCorrelation[id as string]).toMatchObject({
        adapter: 'exec',
        agent: { id: 'tester', session: 's-7' },
        cwd: '/tmp/ws',
        decision: { decision: outcome, correlation_id: id },
      });
    }
    expect((denied.decision as { evidence_ref: string }).evidence_ref).toMatch(/#\d+$/);
  });

  it('records the same decision-record shape as policy.evaluate (one builder, one schema)', async () => {
    const action = { ...ls, command: 'git status', actor: 'dev@acme.example', repository: 'payments-api' };
    await askGate(
      { op: 'decide', adapter: 'exec', action: { ...action, correlation_id: 'corr-shape-gate' } },
      { home: fx.home },
    );
    const evaluated = await fx.core.invoke(localEvaluationPrincipal, {
      op: 'policy.evaluate',
      tenant: fx.tenant,
      input: { action: { ...action, correlation_id: 'corr-shape-evaluate' } },
    });
    expect(evaluated.ok).toBe(true);
    const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
      query(q: unknown): { records: { seq: number }[] };
      record(seq: number): { payload: Record<string, unknown> } | null;
    };
    const shapes = new Map<string, Record<string, unknown>>();
    for (const { seq } of ledger.query({ types: ['decision'], session: 's-7', limit: 50 }).records) {
      const payload = ledger.record(seq)?.payload as Record<string, unknown>;
      shapes.set((payload.decision as { correlation_id: string }).correlation_id, payload);
    }
    const gate = shapes.get('corr-shape-gate');
    const evaluate = shapes.get('corr-shape-evaluate');
    expect(gate?.adapter).toBe('exec');
    expect(evaluate?.adapter).toBe('policy.evaluate');
    const keys = (payload: Record<string, unknown> | undefined) => Object.keys(payload ?? {}).sort();
    // The gate adds what it verified about the human behind the agent; the agent's claim stays a claim.
    expect(keys(gate)).toEqual([
      'actor',
      'actor_uid',
      'actor_verified_by',
      'adapter',
      'agent',
      'claimed_actor',
      'cwd',
      'decision',
      'repository',
    ]);
    expect(gate).toMatchObject({
      actor: `os:${os.userInfo().username}`,
      actor_uid: os.userInfo().uid,
      actor_verified_by: 'peer_credentials',
      claimed_actor: 'dev@acme.example',
    });
    const verifiedOnly = ['actor_uid', 'actor_verified_by', 'claimed_actor'];
    expect(keys(evaluate)).toEqual(keys(gate).filter((key) => !verifiedOnly.includes(key)));
    expect(evaluate?.actor).toBe('dev@acme.example');
    expect(keys(evaluate?.decision as Record<string, unknown>)).toEqual(
      keys(gate?.decision as Record<string, unknown>),
    );
  });

  it('denies and closes on a request without the token, of another version, not JSON or too large', async () => {
    const token = readGateToken(gateLocation(fx.home));
    const cases: [string, RegExp][] = [
      [`${JSON.stringify({ v: 1, id: 'a', op: 'decide', action: ls })}\n`, /no valid gate token/],
      [`${JSON.stringify({ v: 1, id: 'a', token: `${token}x`, op: 'decide', action: ls })}\n`, /no valid gate token/],
      [`${JSON.stringify({ v: 2, id: 'a', token, op: 'decide', action: ls })}\n`, /"v": 1/],
      ['{"v":1,"id":"a", nope\n', /not JSON/],
      [`${'x'.repeat(fx.gate.limits.maxRequestBytes + 10)}`, /larger than/],
    ];
    for (const [text, reason] of cases) {
      const [answer] = await raw(fx.home, text, 1);
      expect(answer).toMatchObject({ type: 'answer', outcome: 'deny' });
      expect(answer?.reason).toMatch(reason);
    }
    const [unknownOp] = await raw(fx.home, `${JSON.stringify({ v: 1, id: 'b', token, op: 'allow-all' })}\n`, 1);
    expect(unknownOp).toMatchObject({ id: 'b', outcome: 'deny' });
  });

  it('answers a burst beyond capacity with deny, never allow, and never more allows than its capacity', async () => {
    const small = await gateFixture({ limits: { maxInFlight: 1, maxQueued: 1 } });
    try {
      const token = readGateToken(gateLocation(small.home));
      const lines = Array.from(
        { length: 60 },
        (_, i) => `${JSON.stringify({ v: 1, id: `r${i}`, token, op: 'decide', action: ls })}\n`,
      ).join('');
      const answers = (await raw(small.home, lines, 60)).filter((a) => a.type === 'answer');
      expect(answers).toHaveLength(60);
      const allowed = answers.filter((a) => a.outcome === 'allow');
      const over = answers.filter((a) => a.outcome === 'deny' && /over capacity/.test(String(a.reason)));
      expect(allowed.length).toBeLessThanOrEqual(2);
      expect(over.length).toBeGreaterThanOrEqual(58);
      expect(answers.every((a) => a.outcome === 'allow' || a.outcome === 'deny')).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('keeps many requests apart on one connection', async () => {
    const connection = await GateConnection.open({ home: fx.home });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          connection.ask(
            { op: 'decide', adapter: 'socket', action: { ...ls, command: i % 2 ? 'ls' : 'rm -rf ~' } },
            { home: fx.home },
          ),
        ),
      );
      answers.forEach((answer, i) => expect(answer.outcome).toBe(i % 2 ? 'allow' : 'deny'));
    } finally {
      connection.close();
    }
  });
});

describe('gate location', () => {
  it('refuses to start in a gate directory others can enter, and when another gate holds the socket', async () => {
    const dir = gateLocation(fx.home).dir;
    await expect(startGate({ host: fx.core.gateHost, httpPort: false })).rejects.toThrow(/already listening/);
    fs.chmodSync(dir, 0o755);
    try {
      await expect(startGate({ host: fx.core.gateHost, httpPort: false })).rejects.toThrow(/mode 0755.*must be 0700/);
      const answer = await askGate({ op: 'decide', action: ls }, { home: fx.home });
      expect(answer).toMatchObject({ outcome: 'deny', failed: true });
      expect(answer.reason).toMatch(/must be 0700/);
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });

  // Issue 8 item 4: a program that listens first on the HTTP port would get the http hook's token.
  it('refuses to start when its HTTP port is taken, names the listener and says what to do', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    const other = await gateFixture({ httpPort: port }).catch((error: unknown) => error);
    squatter.close();
    expect(other).toBeInstanceOf(Error);
    const message = (other as Error).message;
    expect(message).toMatch(new RegExp(`port ${port} is already in use by pid ${process.pid}`));
    expect(message).toMatch(/--http-port N/);
    expect(message).toMatch(/--no-http/);
  });

  it('keeps the socket and token user-only', () => {
    const location = gateLocation(fx.home);
    expect(fs.statSync(location.dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(location.socket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(location.token).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(location.endpoint, 'utf8')).not.toContain(readGateToken(location));
  });
});

describe('gate HTTP endpoint (127.0.0.1)', () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${fx.gate.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const bearer = () => ({ authorization: `Bearer ${readGateToken(gateLocation(fx.home))}` });
  const preToolUse = (command: string) =>
    JSON.stringify({
      hook_event_name: 'PreToolUse',
      session_id: 'http-s',
      tool_use_id: `tu-${command.length}`,
      cwd: '/tmp/ws',
      tool_name: 'Bash',
      tool_input: { command },
    });

  it('takes Claude Code PreToolUse JSON and replies with the hook JSON', async () => {
    const allowed = await post(HTTP_PATHS.claudeCode, preToolUse('git status'), bearer());
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow' },
    });
    const denied = await post(HTTP_PATHS.claudeCode, preToolUse('rm -rf ~'), bearer());
    const body = (await denied.json()) as {
      hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
    };
    expect(body.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(body.hookSpecificOutput.permissionDecisionReason).toContain('cavra-destructive/destroy.rm-root-or-home');
  });

  it('denies with status 200 on the hook route whatever fails, so Claude Code blocks', async () => {
    const cases: [string, Record<string, string>][] = [
      [preToolUse('git status'), {}],
      [preToolUse('git status'), { authorization: 'Bearer nope' }],
      ['{"tool_name": ', bearer()],
      ['[]', bearer()],
      [JSON.stringify({ tool_name: 'Bash' }), bearer()],
    ];
    for (const [body, headers] of cases) {
      const response = await post(HTTP_PATHS.claudeCode, body, headers);
      expect(response.status).toBe(200);
      const json = (await response.json()) as { hookSpecificOutput: { permissionDecision: string } };
      expect(json.hookSpecificOutput.permissionDecision).toBe('deny');
    }
  });

  it('answers the generic route with an error status and a deny body, and checks the Host header', async () => {
    const noToken = await post(HTTP_PATHS.decide, JSON.stringify(ls));
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ outcome: 'deny' });
    const ok = await post(HTTP_PATHS.decide, JSON.stringify(ls), bearer());
    expect(await ok.json()).toMatchObject({ outcome: 'allow' });
    const rebound = await new Promise<number>((resolve) => {
      const url = new URL(`${fx.gate.httpUrl}${HTTP_PATHS.decide}`);
      const socket = net.createConnection(Number(url.port), '127.0.0.1', () => {
        socket.write(
          `POST ${HTTP_PATHS.decide} HTTP/1.1\r\nHost: evil.example:${url.port}\r\nAuthorization: ${bearer().authorization}\r\nContent-Length: 2\r\n\r\n{}`,
        );
      });
      socket.once('data', (chunk) => {
        resolve(Number(/HTTP\/1\.1 (\d+)/.exec(chunk.toString())?.[1]));
        socket.destroy();
      });
    });
    expect(rebound).toBe(403);
  });
});

describe('gate HTTP endpoint: a body it will not read is still answered (issue 8 item 3)', () => {
  let small: GateFixture;
  beforeAll(async () => {
    small = await gateFixture({ limits: { maxRequestBytes: 4096, receiveTimeoutMs: 400 } });
  }, 30_000);
  afterAll(async () => {
    await small?.close();
  });

  /** Writes a raw request and returns everything the server sends until it closes (or 5 s pass). */
  function exchange(path: string, head: string, body: (socket: net.Socket) => void): Promise<string> {
    const url = new URL(small.gate.httpUrl as string);
    const token = readGateToken(gateLocation(small.home));
    return new Promise((resolve) => {
      let received = '';
      const socket = net.createConnection(Number(url.port), '127.0.0.1', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\nAuthorization: Bearer ${token}\r\n` +
            `Content-Type: application/json\r\n${head}\r\n`,
        );
        body(socket);
      });
      const timer = setTimeout(() => socket.destroy(), 5_000);
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(received);
      });
    });
  }
  const chunked = (socket: net.Socket) => {
    const chunk = 'x'.repeat(1024);
    // Far past the limit; the server may stop reading (and the write then fails) at any point.
    for (let i = 0; i < 16 && !socket.destroyed; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  };
  const stalled = (socket: net.Socket) => socket.write('{"tool_name":"Bash"');

  it.each([
    ['a chunked body over the limit', 'Transfer-Encoding: chunked\r\n', chunked, /larger than 4096 bytes/],
    ['a body that stalls', 'Content-Length: 100\r\n', stalled, /not received within 400 ms/],
  ] as const)('answers %s with a deny on both routes', async (_name, head, body, reason) => {
    const hook = await exchange(HTTP_PATHS.claudeCode, head, body);
    expect(hook).toMatch(/^HTTP\/1\.1 200/);
    const hookBody = JSON.parse(hook.slice(hook.indexOf('\r\n\r\n') + 4)) as {
      hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
    };
    expect(hookBody.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(hookBody.hookSpecificOutput.permissionDecisionReason).toMatch(reason);
    const generic = await exchange(HTTP_PATHS.decide, head, body);
    expect(generic).toMatch(/^HTTP\/1\.1 (413|408)/);
    expect(JSON.parse(generic.slice(generic.indexOf('\r\n\r\n') + 4))).toMatchObject({ outcome: 'deny' });
  });
});
