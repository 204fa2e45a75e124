import crypto from 'node:crypto';
import { ContractError } from '../contract';
import { canonicalize } from '../evidence';
import type { SqliteDatabase } from '../store';

interface McpTrustEntry {
  server: string;
  /** The only tools this server may be called for; null: every tool. */
  tools: string[] | null;
  trustedAt: string;
  trustedBy: string;
}

interface McpRegistryOptions {
  store(tenant: string): SqliteDatabase;
  /** Appends a record to the tenant's ledger; resolves once durable. */
  record(tenant: string, type: 'mcp_tools' | 'finding', payload: unknown): Promise<number>;
  /** Record, then apply (HOUSE rule 14): commits a config_change record, then runs `apply`. */
  change<T>(tenant: string, payload: Record<string, unknown>, apply: () => T): T;
  now?: () => Date;
}

const SERVER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TOOL = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,127}$/;

export function checkServerName(server: string, field = 'server'): string {
  if (!SERVER.test(server)) {
    throw new ContractError(
      'invalid_input',
      `${field}: must be 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      field,
    );
  }
  return server.toLowerCase();
}

interface ToolsObservation {
  fingerprint: string;
  change: 'first_seen' | 'unchanged' | 'changed';
  added: string[];
  removed: string[];
  modified: string[];
}

/** A tool definition as `tools/list` returns it; only these fields define what the tool is. */
function toolDigest(tool: Record<string, unknown>): string {
  const defining = {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
  };
  return crypto
    .createHash('sha256')
    .update(canonicalize(JSON.parse(JSON.stringify(defining))))
    .digest('hex');
}

/**
 * The tenant's MCP trust registry and the tool-definition fingerprints seen per server.
 * Unknown servers are denied by policy; a trusted server may be limited to listed tools.
 * Every change to the registry is a `config_change` record, written before it takes effect.
 */
export class McpRegistry {
  private readonly now: () => Date;

  constructor(private readonly options: McpRegistryOptions) {
    this.now = options.now ?? (() => new Date());
  }

  list(tenant: string): McpTrustEntry[] {
    const rows = this.options
      .store(tenant)
      .prepare(`SELECT server, tools, trusted_at, trusted_by FROM mcp_trusted_servers ORDER BY server`)
      .all() as { server: string; tools: string | null; trusted_at: string; trusted_by: string }[];
    return rows.map((row) => ({
      server: row.server,
      tools: row.tools === null ? null : (JSON.parse(row.tools) as string[]),
      trustedAt: row.trusted_at,
      trustedBy: row.trusted_by,
    }));
  }

  async trust(tenant: string, serverName: string, tools: string[] | null, by: string): Promise<McpTrustEntry> {
    const server = checkServerName(serverName);
    const listed = tools === null ? null : [...new Set(tools)].sort();
    if (listed !== null) {
      if (listed.length === 0)
        throw new ContractError('invalid_input', 'tools: list at least one tool, or omit it', 'tools');
      for (const tool of listed) {
        if (!TOOL.test(tool)) throw new ContractError('invalid_input', `tools: "${tool}" is not a tool name`, 'tools');
      }
    }
    const before = this.list(tenant).find((entry) => entry.server === server) ?? null;
    const entry: McpTrustEntry = { server, tools: listed, trustedAt: this.now().toISOString(), trustedBy: by };
    const payload = {
      change: 'mcp.trust',
      by,
      server,
      before: before ? { tools: before.tools } : null,
      after: { tools: listed },
    };
    this.options.change(tenant, payload, () =>
      this.options
        .store(tenant)
        .prepare(
          `INSERT INTO mcp_trusted_servers (server, tools, trusted_at, trusted_by) VALUES (?, ?, ?, ?)
           ON CONFLICT(server) DO UPDATE SET tools = excluded.tools, trusted_at = excluded.trusted_at,
             trusted_by = excluded.trusted_by`,
        )
        .run(server, listed === null ? null : JSON.stringify(listed), entry.trustedAt, by),
    );
    return entry;
  }

  /** Removes a server from the registry; false when it was not there. */
  async untrust(tenant: string, serverName: string, by: string): Promise<boolean> {
    const server = checkServerName(serverName);
    const before = this.list(tenant).find((entry) => entry.server === server);
    if (!before) return false;
    const payload = { change: 'mcp.untrust', by, server, before: { tools: before.tools }, after: null };
    this.options.change(tenant, payload, () =>
      this.options.store(tenant).prepare(`DELETE FROM mcp_trusted_servers WHERE server = ?`).run(server),
    );
    return true;
  }

  /**
   * The policy engine's MCP trust input: the trusted server names for a call. A server
   * limited to listed tools counts as trusted only for a call to one of them, so a call to
   * an unlisted tool is judged as a call to an untrusted server. Without a call, only
   * servers trusted for every tool are named (fail closed).
   */
  trustedServers(tenant: string, call?: { server: string; tool: string } | null): readonly string[] {
    const rows = this.options.store(tenant).prepare(`SELECT server, tools FROM mcp_trusted_servers`).all() as {
      server: string;
      tools: string | null;
    }[];
    return rows
      .filter(
        (row) =>
          row.tools === null ||
          (call != null &&
            call.server.toLowerCase() === row.server &&
            (JSON.parse(row.tools) as string[]).includes(call.tool)),
      )
      .map((row) => row.server);
  }

  /**
   * Fingerprints a server's tool definitions. The first sighting is recorded as a
   * baseline; a change (added, removed or redefined tools: a "rug pull") is recorded with
   * the difference and raises a `finding` record.
   */
  async observeTools(tenant: string, serverName: string, tools: readonly unknown[]): Promise<ToolsObservation> {
    const server = checkServerName(serverName);
    const digests: Record<string, string> = {};
    for (const tool of tools) {
      if (typeof tool !== 'object' || tool === null || typeof (tool as { name?: unknown }).name !== 'string') {
        throw new ContractError('invalid_input', 'tools: every tool needs a name', 'tools');
      }
      const record = tool as Record<string, unknown>;
      digests[record.name as string] = toolDigest(record);
    }
    const fingerprint = crypto.createHash('sha256').update(canonicalize(digests)).digest('hex');
    const db = this.options.store(tenant);
    const now = this.now().toISOString();
    const previous = db.prepare(`SELECT fingerprint, tools FROM mcp_tool_fingerprints WHERE server = ?`).get(server) as
      { fingerprint: string; tools: string } | undefined;
    if (previous && previous.fingerprint === fingerprint) {
      db.prepare(`UPDATE mcp_tool_fingerprints SET last_seen = ? WHERE server = ?`).run(now, server);
      return { fingerprint, change: 'unchanged', added: [], removed: [], modified: [] };
    }
    const before = previous ? (JSON.parse(previous.tools) as Record<string, string>) : {};
    const added = Object.keys(digests)
      .filter((name) => !(name in before))
      .sort();
    const removed = Object.keys(before)
      .filter((name) => !(name in digests))
      .sort();
    const modified = Object.keys(digests)
      .filter((name) => name in before && before[name] !== digests[name])
      .sort();
    const change = previous ? 'changed' : 'first_seen';
    const seq = await this.options.record(tenant, 'mcp_tools', {
      server,
      change,
      fingerprint,
      previous_fingerprint: previous?.fingerprint ?? null,
      tools: digests,
      added,
      removed,
      modified,
    });
    if (previous) {
      await this.options.record(tenant, 'finding', {
        kind: 'mcp.tool_definitions_changed',
        severity: 'high',
        summary: `MCP server ${server} changed its tool definitions (added: ${added.join(', ') || 'none'}; removed: ${removed.join(', ') || 'none'}; redefined: ${modified.join(', ') || 'none'})`,
        subject: { mcp_server: server },
        evidence: [seq],
      });
    }
    db.prepare(
      `INSERT INTO mcp_tool_fingerprints (server, fingerprint, tools, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(server) DO UPDATE SET fingerprint = excluded.fingerprint, tools = excluded.tools,
         last_seen = excluded.last_seen`,
    ).run(server, fingerprint, JSON.stringify(digests), now, now);
    return { fingerprint, change, added, removed, modified };
  }
}
