import crypto from 'node:crypto';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/sdk/types.js';
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { GateConnection, clientOptions, failedAnswer } from '../../core/gate/client';
import type { GateAnswer, GateClientOptions, GateRequestBody } from '../../core/gate/client';

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

function deniedResult(id: RequestId, text: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], isError: true } };
}

/**
 * `cavra mcp-proxy`: a stdio MCP proxy on the SDK's transports. Every message passes
 * through untouched except `tools/call`, which the gate judges first (server, tool and
 * arguments; path-like arguments also by file rules): a call that is not allowed never
 * reaches the server and the client gets an error result naming the rule. Tool lists
 * coming back are fingerprinted by the gate, which records changes and raises a finding.
 */
export async function runMcpProxy(options: McpProxyOptions): Promise<number> {
  const [program, ...args] = options.command;
  if (!program) throw new Error('give the MCP server command after --');
  const gate = new GateLink(clientOptions(options.home, options.env));
  const session = `mcp-${crypto.randomUUID()}`;
  let agent = 'mcp-client';
  const toolLists = new Set<RequestId>();
  /** Calls being judged: on hang-up their answers (denials included) still go out first. */
  const judging = new Set<Promise<unknown>>();

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
  const upstream = new StdioClientTransport({ command: program, args, env, cwd: options.cwd, stderr: 'inherit' });
  const downstream = new StdioServerTransport(
    options.stdin as NodeJS.ReadStream | undefined,
    options.stdout as NodeJS.WriteStream | undefined,
  );

  const toClient = (message: JSONRPCMessage) =>
    downstream.send(message).catch((error: unknown) => options.log(`cannot reach the client: ${String(error)}`));
  const toServer = (message: JSONRPCMessage) =>
    upstream.send(message).catch((error: unknown) => {
      options.log(`cannot reach the MCP server: ${String(error)}`);
      if (isJSONRPCRequest(message)) {
        void toClient({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32603, message: 'The MCP server behind the CAVRA proxy is not reachable' },
        });
      }
    });

  async function judgeCall(request: JSONRPCRequest): Promise<void> {
    const params = (request.params ?? {}) as { name?: unknown; arguments?: unknown };
    const tool = typeof params.name === 'string' ? params.name : '';
    const argumentsObject =
      typeof params.arguments === 'object' && params.arguments !== null && !Array.isArray(params.arguments)
        ? params.arguments
        : {};
    const answer = await gate.ask({
      op: 'decide',
      adapter: 'mcp-proxy',
      ...(options.tenant ? { tenant: options.tenant } : {}),
      action: {
        type: 'mcp_tool_call',
        agent: { id: agent, session },
        cwd: options.cwd,
        mcp: { server: options.serverName, tool, arguments: argumentsObject },
        correlation_id: `${session}/${String(request.id)}`,
      },
    });
    if (answer.outcome === 'allow') {
      await toServer(request);
      return;
    }
    options.log(`denied ${options.serverName}/${tool}: ${answer.reason}`);
    await toClient(
      deniedResult(request.id, `CAVRA denied ${options.serverName}/${tool || '(no tool name)'}. ${answer.reason}`),
    );
  }

  async function fingerprint(result: unknown): Promise<void> {
    const tools = (result as { tools?: unknown } | null)?.tools;
    if (!Array.isArray(tools)) return;
    const answer = await gate.ask({
      op: 'mcp.tools',
      ...(options.tenant ? { tenant: options.tenant } : {}),
      server: options.serverName,
      tools,
    });
    if (answer.outcome !== 'allow') options.log(`tool definitions not recorded: ${answer.reason}`);
    else if (/changed/.test(answer.reason)) options.log(answer.reason);
  }

  downstream.onmessage = (message) => {
    if (isJSONRPCRequest(message)) {
      if (message.method === 'initialize') {
        const name = (message.params as { clientInfo?: { name?: unknown } } | undefined)?.clientInfo?.name;
        if (typeof name === 'string' && AGENT.test(name)) agent = name;
      }
      if (message.method === 'tools/call') {
        const judged = judgeCall(message)
          .catch((error: unknown) =>
            toClient(deniedResult(message.id, `CAVRA denied the call: the proxy failed (${String(error)})`)),
          )
          .finally(() => judging.delete(judged));
        judging.add(judged);
        return;
      }
      if (message.method === 'tools/list') toolLists.add(message.id);
    }
    void toServer(message);
  };
  upstream.onmessage = (message) => {
    if (isJSONRPCResultResponse(message) && toolLists.delete(message.id)) {
      // The list reaches the client only after its fingerprint is recorded (or failed to be).
      void fingerprint(message.result)
        .catch((error: unknown) => options.log(`tool definitions not recorded: ${String(error)}`))
        .finally(() => void toClient(message));
      return;
    }
    void toClient(message);
  };

  const finished = new Promise<number>((resolve) => {
    upstream.onclose = () => resolve(0);
    downstream.onclose = () => resolve(0);
    upstream.onerror = (error) => options.log(`MCP server: ${error.message}`);
    downstream.onerror = (error) => options.log(`MCP client: ${error.message}`);
  });
  await upstream.start();
  await downstream.start();
  // The SDK's server transport does not notice the client hanging up; the proxy must.
  (options.stdin ?? process.stdin).once('end', () => {
    void Promise.allSettled([...judging]).then(() => downstream.close());
  });
  const code = await finished;
  gate.close();
  await Promise.allSettled([upstream.close(), downstream.close()]);
  return code;
}
