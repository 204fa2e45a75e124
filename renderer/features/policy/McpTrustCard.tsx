import { useState } from 'react';
import type { FormEvent } from 'react';
import { TRIAL_MCP_SERVER } from '../../../core/contract';
import { useMcpTrust, useMcpTrustChange } from '../../api/policy';
import { useUi } from '../../state/ui';

/**
 * The tenant's MCP trust list (SPEC §4): calls to a server that is not on it are denied as
 * unknown, and a server may be limited to listed tools. Changing it is a reviewer's decision
 * (tenant_admin or security_reviewer); the core refuses anyone else and records each change.
 */
export function McpTrustCard({ tenant }: { tenant: string }) {
  const trusted = useMcpTrust(tenant);
  const change = useMcpTrustChange(tenant);
  const announce = useUi((state) => state.announce);
  const [server, setServer] = useState('');
  const [tools, setTools] = useState('');

  function trust(event: FormEvent) {
    event.preventDefault();
    const listed = tools
      .split(',')
      .map((tool) => tool.trim())
      .filter(Boolean);
    change.mutate(
      { trust: true, server: server.trim(), tools: listed.length > 0 ? listed : null },
      {
        onSuccess: () => {
          announce(
            `Trusted MCP server ${server.trim()} for ${listed.length > 0 ? `tools ${listed.join(', ')}` : 'every tool'}`,
          );
          setServer('');
          setTools('');
        },
        onError: (error) => announce(`Not trusted: ${error.message}`),
      },
    );
  }

  const servers = trusted.data?.servers ?? [];
  return (
    <section className="card" aria-labelledby="mcp-trust-heading" data-testid="mcp-trust">
      <h2 id="mcp-trust-heading">Trusted MCP servers</h2>
      <p className="muted small">
        The MCP proxy denies every call to a server that is not listed here. Limit a server to the tools the agents
        need; the governed workflow (trial step 4) calls <code>{TRIAL_MCP_SERVER}</code> for read_text_file and
        list_directory.
      </p>
      {trusted.isError && <p role="alert">{trusted.error.message}</p>}
      <table className="table">
        <caption className="sr-only">MCP servers this tenant trusts</caption>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Tools</th>
            <th scope="col">Trusted by</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {servers.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No MCP server is trusted: every MCP tool call is denied.
              </td>
            </tr>
          )}
          {servers.map((entry) => (
            <tr key={entry.server} data-mcp-server={entry.server}>
              <td>
                <code>{entry.server}</code>
              </td>
              <td>{entry.tools ? entry.tools.join(', ') : 'every tool'}</td>
              <td className="small">
                {entry.trustedBy} · {new Date(entry.trustedAt).toLocaleString()}
              </td>
              <td>
                <button
                  type="button"
                  className="secondary"
                  disabled={change.isPending}
                  onClick={() =>
                    change.mutate(
                      { trust: false, server: entry.server },
                      {
                        onSuccess: () => announce(`MCP server ${entry.server} is no longer trusted`),
                        onError: (error) => announce(`Not removed: ${error.message}`),
                      },
                    )
                  }
                >
                  Stop trusting {entry.server}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="form" onSubmit={trust} aria-label="Trust an MCP server" noValidate>
        <div className="field">
          <label htmlFor="mcp-server">Server name</label>
          <input
            id="mcp-server"
            value={server}
            onChange={(e) => setServer(e.target.value)}
            placeholder={TRIAL_MCP_SERVER}
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label htmlFor="mcp-tools">Only these tools (comma-separated; empty: every tool)</label>
          <input
            id="mcp-tools"
            value={tools}
            onChange={(e) => setTools(e.target.value)}
            placeholder="read_text_file, list_directory"
            spellCheck={false}
          />
        </div>
        {change.error && (
          <p className="field-error" role="alert">
            {change.error.message}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={change.isPending || server.trim() === ''}>
            Trust MCP server
          </button>
        </div>
      </form>
    </section>
  );
}
