import crypto from 'node:crypto';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  ClientNotificationSchema,
  ClientRequestSchema,
  JSONRPCErrorResponseSchema,
  JSONRPCResultResponseSchema,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { GateConnection, MAX_REQUEST_BYTES, clientOptions, failedAnswer } from '../../core/gate/client';
import type { GateAnswer, GateClientOptions, GateRequestBody } from '../../core/gate/client';
import { SandboxUnavailableError, parseGrant, prepareSandbox, probeSandbox } from '../../core/containment/runner';
import type { PreparedSandbox } from '../../core/containment/runner';
import { MCP_JUDGED_METHODS } from '../../core/normalize';

export interface McpProxyOptions {
  home: string;
  tenant?: string;
  serverName: string;
  /** The MCP server to run: program and arguments. */
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  log: (message: string) => void;
}

const AGENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** JSON-RPC error codes the proxy answers with (JSON-RPC 2.0 §5.1). */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
/** A request CAVRA did not allow (JSON-RPC 2.0 reserves -32000…-32099 for server errors). */
const DENIED = -32001;

/**
 * Holds one gate connection for the proxy's life and reopens it when it breaks; every ask
 * on a broken or missing connection is a deny, never a pass-through.
 */
class GateLink {
  private connection: Promise<GateConnection> | null = null;

  constructor(private readonly options: GateClientOptions) {}

  async ask(body: GateRequestBody): Promise<GateAnswer> {
    let connection: GateConnection;
    try {
      this.connection ??= GateConnection.open(this.options);
      connection = await this.connection;
    } catch (error) {
      this.connection = null;
      return failedAnswer(`CAVRA gate unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
    const answer = await connection.ask(body, this.options);
    if (answer.failed) {
      this.connection = null;
      connection.close();
      return { ...answer, reason: `CAVRA gate failure: ${answer.reason}` };
    }
    return answer;
  }

  close(): void {
    void this.connection?.then((c) => c.close()).catch(() => undefined);
  }
}

/**
 * The one place the MCP server process is started: inside its sandbox when there is one (null
 * only in the tenant's recorded judgement-only mode). The SDK's stdio client transport speaks
 * newline-delimited JSON-RPC to the server's stdin/stdout.
 */
function spawnServer(options: McpProxyOptions, sandbox: PreparedSandbox | null): StdioClientTransport {
  const [program, ...args] = options.command;
  if (!program) throw new Error('give the MCP server command after --');
  if (sandbox) {
    return new StdioClientTransport({
      command: sandbox.program,
      args: sandbox.args,
      env: sandbox.env,
      cwd: options.cwd,
      stderr: 'inherit',
    });
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
  return new StdioClientTransport({ command: program, args, env, cwd: options.cwd, stderr: 'inherit' });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What to do with one line from the client: only `forward` and `judge` let anything reach
 * the server. A refusal is answered with a JSON-RPC error when it has someone to answer (a
 * notification gets no answer), and recorded when it looks like a way to pass a tool call by.
 */
type ClientVerdict =
  | { kind: 'forward'; message: JSONRPCMessage }
  | {
      kind: 'judge';
      id: RequestId;
      message: JSONRPCMessage;
      /** The MCP method: `tools/call`, or one of MCP_JUDGED_METHODS judged as a call of a tool so named. */
      method: string;
      tool: string;
      arguments: Record<string, unknown>;
    }
  | { kind: 'refuse'; reason: string; reply: { id: RequestId | null; code: number } | null; record: boolean };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is RequestId =>
  (typeof value === 'string' && value.length <= 256) || Number.isSafeInteger(value);
/** How a method name may look to a server that trims or folds case: `Tools/Call ` is `tools/call`. */
const looksLikeToolCall = (method: unknown) =>
  typeof method === 'string' && method.trim().toLowerCase() === 'tools/call';
const refuse = (
  reason: string,
  reply: { id: RequestId | null; code: number } | null,
  record = false,
): ClientVerdict => ({ kind: 'refuse', reason, reply, record });

/**
 * Classifies one client line. Only messages of exactly the shapes MCP defines pass — a
 * request or notification whose method is one the protocol names (as the SDK's client
 * schemas spell them, byte for byte, with their params), or the answer to a request the
 * server made — and what passes is the parsed value, re-serialized, so the server sees
 * exactly what was judged (a duplicate key cannot mean one thing here and another there).
 */
export function classifyClientLine(line: string, serverRequests: ReadonlySet<RequestId>): ClientVerdict {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return refuse('the message is not JSON', { id: null, code: PARSE_ERROR });
  }
  if (Array.isArray(raw)) {
    return refuse(
      'JSON-RPC batches are not accepted: send one message per line',
      { id: null, code: INVALID_REQUEST },
      true,
    );
  }
  if (!isObject(raw) || raw.jsonrpc !== '2.0') {
    const id = isObject(raw) && isId(raw.id) ? raw.id : null;
    return refuse('not a JSON-RPC 2.0 message', { id, code: INVALID_REQUEST });
  }
  const message = raw as JSONRPCMessage;
  if (!('method' in raw)) {
    // A response: only to a request the server actually made.
    const response =
      JSONRPCResultResponseSchema.safeParse(raw).success || JSONRPCErrorResponseSchema.safeParse(raw).success;
    if (response && isId(raw.id) && serverRequests.has(raw.id)) return { kind: 'forward', message };
    return refuse(`a response to no request the server made (id ${JSON.stringify(raw.id)?.slice(0, 100)})`, null);
  }
  const method = JSON.stringify(raw.method)?.slice(0, 100) ?? 'undefined';
  if (!('id' in raw)) {
    if (looksLikeToolCall(raw.method))
      return refuse('a tools/call without an id (a notification) was dropped unjudged', null, true);
    if (ClientNotificationSchema.safeParse(raw).success) return { kind: 'forward', message };
    return refuse(`notification ${method} is not one MCP defines`, null);
  }
  if (!isId(raw.id))
    return refuse('the request id must be a string or an integer', { id: null, code: INVALID_REQUEST });
  const reply = { id: raw.id, code: INVALID_PARAMS };
  const args = isObject(raw.params) ? raw.params.arguments : undefined;
  if (raw.method === 'tools/call' && args !== undefined && !isObject(args)) {
    return refuse('tools/call arguments must be a JSON object', reply, true);
  }
  if (!ClientRequestSchema.safeParse(raw).success) {
    if (raw.method === 'tools/call')
      return refuse('tools/call params must name the tool and give object arguments', reply, true);
    const lookalike = looksLikeToolCall(raw.method);
    return refuse(
      `method ${method} is not an MCP client request the CAVRA proxy passes` +
        (lookalike ? ' (spelled unlike tools/call, it would have passed unjudged)' : ''),
      { id: raw.id, code: METHOD_NOT_FOUND },
      lookalike,
    );
  }
  if (MCP_JUDGED_METHODS.includes(raw.method as string)) {
    // Resource reads, prompt arguments and completions can name files too: the normalizer maps
    // the params (a resource URI to the file it names) the same way it maps tool arguments.
    const params = isObject(raw.params) ? raw.params : {};
    return {
      kind: 'judge',
      id: raw.id,
      message,
      method: raw.method as string,
      tool: raw.method as string,
      arguments: params,
    };
  }
  if (raw.method !== 'tools/call') return { kind: 'forward', message };
  const params = raw.params as { name: string; arguments?: Record<string, unknown> };
  return {
    kind: 'judge',
    id: raw.id,
    message,
    method: 'tools/call',
    tool: params.name,
    arguments: params.arguments ?? {},
  };
}

/** Newline-delimited JSON lines from a stream, each at most `max` bytes (longer ones are reported, not buffered). */
function readLines(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  onOverlong: () => void,
  max: number,
): void {
  let buffer = '';
  let skipping = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (skipping) skipping = false;
      else if (line.trim() !== '') onLine(line);
    }
    if (buffer.length > max) {
      if (!skipping) onOverlong();
      skipping = true;
      buffer = '';
    }
  });
}

/**
 * `cavra mcp-proxy`: sits between an MCP client (our stdin/stdout) and a stdio MCP server.
 * The gate judges every `tools/call` first (server, tool and arguments; path-like arguments
 * also by file rules): a call that is not allowed never reaches the server and the client
 * gets an error result naming the rule. `resources/read`, `resources/subscribe`, `prompts/get`
 * and `completion/complete` are judged the same way as calls of a tool named for the method
 * (a resource URI as the file it names), and a denial is a JSON-RPC error. Everything else the client sends passes only when it
 * is exactly an MCP message (see classifyClientLine); what cannot be judged is refused and,
 * where it looks like an attempt to pass a tool call by, recorded. Tool lists coming back are
 * fingerprinted by the gate, which records changes and raises a finding.
 */
export async function runMcpProxy(options: McpProxyOptions): Promise<number> {
  const gate = new GateLink(clientOptions(options.home, options.env, options.tenant));
  const session = `mcp-${crypto.randomUUID()}`;
  let agent = 'mcp-client';
  const toolLists = new Set<RequestId>();
  /** Requests the server sent the client: only their answers may go back to it. */
  const serverRequests = new Set<RequestId>();
  /** Calls being judged: on hang-up their answers (denials included) still go out first. */
  const judging = new Set<Promise<unknown>>();
  const tenant = options.tenant ? { tenant: options.tenant } : {};

  const [program, ...args] = options.command;
  if (!program) throw new Error('give the MCP server command after --');
  // The server runs inside the profile the tenant's packs compile to for this workspace;
  // without one it does not start, and the client is told why on every request.
  let sandbox: PreparedSandbox | null;
  try {
    sandbox = await containServer(gate, options, program, args);
  } catch (error) {
    gate.close();
    const reason = describeError(error);
    options.log(reason);
    return refuseClient(options, reason);
  }
  const upstream = spawnServer(options, sandbox);
  const output = options.stdout ?? process.stdout;
  const input = options.stdin ?? process.stdin;

  // A client that hung up makes writes fail with EPIPE; that must not crash the proxy.
  output.on('error', (error: Error) => options.log(`cannot reach the client: ${error.message}`));
  const toClient = (message: JSONRPCMessage) => {
    try {
      output.write(`${JSON.stringify(message)}\n`);
    } catch (error) {
      options.log(`cannot reach the client: ${String(error)}`);
    }
  };
  const errorToClient = (id: RequestId | null, code: number, message: string) =>
    toClient({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  const deniedResult = (id: RequestId, text: string) =>
    toClient({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], isError: true } });
  const toServer = (message: JSONRPCMessage) =>
    upstream.send(message).catch((error: unknown) => {
      options.log(`cannot reach the MCP server: ${String(error)}`);
      if (isJSONRPCRequest(message)) {
        errorToClient(message.id, -32603, 'The MCP server behind the CAVRA proxy is not reachable');
      }
    });

  async function judgeCall(verdict: Extract<ClientVerdict, { kind: 'judge' }>): Promise<void> {
    const answer = await gate.ask({
      op: 'decide',
      adapter: 'mcp-proxy',
      ...tenant,
      action: {
        type: 'mcp_tool_call',
        agent: { id: agent, session },
        cwd: options.cwd,
        mcp: { server: options.serverName, tool: verdict.tool, arguments: verdict.arguments },
        correlation_id: `${session}/${String(verdict.id)}`,
      },
    });
    if (answer.outcome === 'allow') {
      await toServer(verdict.message);
      return;
    }
    options.log(`denied ${options.serverName}/${verdict.tool}: ${answer.reason}`);
    denied(verdict, `CAVRA denied ${options.serverName}/${verdict.tool || '(no tool name)'}. ${answer.reason}`);
  }

  /** A denied tool call gets an error result (MCP's way for tools); any other method a JSON-RPC error. */
  function denied(verdict: Extract<ClientVerdict, { kind: 'judge' }>, text: string): void {
    if (verdict.method === 'tools/call') deniedResult(verdict.id, text);
    else errorToClient(verdict.id, DENIED, text);
  }

  /** Puts a refusal on record; the refusal stands whether or not the gate can record it. */
  function recordRefusal(reason: string): void {
    void gate
      .ask({
        op: 'refusal',
        adapter: 'mcp-proxy',
        ...tenant,
        agent: { id: agent, session },
        reason: `${options.serverName}: ${reason}`,
      })
      .then((answer) => {
        if (answer.outcome !== 'allow') options.log(`refusal not recorded: ${answer.reason}`);
      });
  }

  async function fingerprint(result: unknown): Promise<void> {
    const tools = (result as { tools?: unknown } | null)?.tools;
    if (!Array.isArray(tools)) return;
    const answer = await gate.ask({ op: 'mcp.tools', ...tenant, server: options.serverName, tools });
    if (answer.outcome !== 'allow') options.log(`tool definitions not recorded: ${answer.reason}`);
    else if (/changed/.test(answer.reason)) options.log(answer.reason);
  }

  const onClientLine = (line: string) => {
    const verdict = classifyClientLine(line, serverRequests);
    switch (verdict.kind) {
      case 'forward': {
        const message = verdict.message;
        if (isJSONRPCRequest(message)) {
          if (message.method === 'initialize') {
            const name = (message.params as { clientInfo?: { name?: unknown } } | undefined)?.clientInfo?.name;
            if (typeof name === 'string' && AGENT.test(name)) agent = name;
          }
          if (message.method === 'tools/list') toolLists.add(message.id);
        } else if ('id' in message && !('method' in message)) {
          serverRequests.delete(message.id as RequestId);
        }
        void toServer(message);
        return;
      }
      case 'judge': {
        const judged = judgeCall(verdict)
          .catch((error: unknown) => denied(verdict, `CAVRA denied the call: the proxy failed (${String(error)})`))
          .finally(() => judging.delete(judged));
        judging.add(judged);
        return;
      }
      case 'refuse':
        options.log(`refused a client message: ${verdict.reason}`);
        if (verdict.record) recordRefusal(verdict.reason);
        if (verdict.reply) errorToClient(verdict.reply.id, verdict.reply.code, `CAVRA proxy: ${verdict.reason}`);
        return;
    }
  };

  upstream.onmessage = (message) => {
    if (isJSONRPCRequest(message)) serverRequests.add(message.id);
    if (isJSONRPCResultResponse(message) && toolLists.delete(message.id)) {
      // The list reaches the client only after its fingerprint is recorded (or failed to be).
      void fingerprint(message.result)
        .catch((error: unknown) => options.log(`tool definitions not recorded: ${String(error)}`))
        .finally(() => toClient(message));
      return;
    }
    toClient(message);
  };

  const finished = new Promise<number>((resolve) => {
    upstream.onclose = () => resolve(0);
    upstream.onerror = (error) => options.log(`MCP server: ${error.message}`);
    // The client hanging up ends the proxy once the calls being judged are answered.
    input.once('end', () => {
      void Promise.allSettled([...judging]).then(() => resolve(0));
    });
  });
  await upstream.start();
  readLines(
    input,
    onClientLine,
    () => {
      options.log(`refused a client message longer than ${MAX_REQUEST_BYTES} bytes`);
      errorToClient(null, INVALID_REQUEST, `CAVRA proxy: a message longer than ${MAX_REQUEST_BYTES} bytes was refused`);
    },
    MAX_REQUEST_BYTES,
  );
  const code = await finished;
  gate.close();
  await Promise.allSettled([upstream.close()]);
  await sandbox?.release();
  return code;
}

/**
 * Asks the gate for the server's profile (recorded as a `containment` record) and prepares
 * its sandbox. Null means the tenant chose judgement-only mode (said on stderr). When the
 * sandbox cannot start, the server does not start either.
 */
async function containServer(
  gate: GateLink,
  options: McpProxyOptions,
  program: string,
  args: string[],
): Promise<PreparedSandbox | null> {
  const answer = await gate.ask({
    op: 'contain',
    adapter: 'mcp-proxy',
    ...(options.tenant ? { tenant: options.tenant } : {}),
    server: options.serverName,
    cwd: options.cwd,
  });
  if (answer.outcome !== 'allow') throw new Error(`the MCP server was not started: ${answer.reason}`);
  const grant = parseGrant(answer.containment);
  if (!grant) throw new Error('the MCP server was not started: the gate sent no sandbox profile');
  if (grant.enforcement === 'judgement_only') {
    options.log(`starting ${options.serverName} WITHOUT containment (weaker posture): ${grant.reason}`);
    return null;
  }
  const probe = probeSandbox();
  if (!probe.available) {
    throw new SandboxUnavailableError(`the MCP server was not started: ${probe.reason}`, probe.fix);
  }
  return prepareSandbox({
    profile: grant.profile,
    argv: [program, ...args],
    cwd: options.cwd,
    env: options.env,
    cavraHome: options.home,
    onDenied: (denial) => {
      options.log(`containment refused ${denial.method} ${denial.host}:${denial.port}: ${denial.reason}`);
      void gate.ask({
        op: 'containment',
        adapter: 'mcp-proxy',
        ...(options.tenant ? { tenant: options.tenant } : {}),
        report: { event: 'network_denied', profile_sha256: grant.digest, server: options.serverName, ...denial },
      });
    },
  });
}

/**
 * The server could not be started inside its profile (no gate, no sandbox): the client still
 * gets answers, all of them refusals that say why, instead of a dropped connection.
 */
async function refuseClient(options: McpProxyOptions, reason: string): Promise<number> {
  const output = options.stdout ?? process.stdout;
  const input = options.stdin ?? process.stdin;
  output.on('error', (error: Error) => options.log(`cannot reach the client: ${error.message}`));
  const send = (message: JSONRPCMessage) => {
    try {
      output.write(`${JSON.stringify(message)}\n`);
    } catch (error) {
      options.log(`cannot reach the client: ${String(error)}`);
    }
  };
  const notStarted = `the MCP server was not started. ${reason}`;
  const onLine = (line: string) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (!isJSONRPCRequest(message)) return;
    if (message.method === 'initialize') {
      const version = (message.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
      send({
        jsonrpc: '2.0',
        id: message.id,
        result: {
          protocolVersion: typeof version === 'string' ? version : '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: `${options.serverName} (not started by CAVRA)`, version: '0' },
        },
      });
    } else if (message.method === 'tools/list') {
      send({ jsonrpc: '2.0', id: message.id, result: { tools: [] } });
    } else if (message.method === 'tools/call') {
      const tool = (message.params as { name?: unknown } | undefined)?.name;
      const text = `CAVRA denied ${options.serverName}/${typeof tool === 'string' ? tool : '(no tool name)'}: ${notStarted}`;
      send({ jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text }], isError: true } });
    } else {
      send({
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32603, message: `CAVRA: ${notStarted}` },
      } as unknown as JSONRPCMessage);
    }
  };
  readLines(input, onLine, () => undefined, MAX_REQUEST_BYTES);
  await new Promise<void>((resolve) => input.once('end', () => resolve()));
  return 1;
}
