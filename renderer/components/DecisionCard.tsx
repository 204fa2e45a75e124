import { z } from 'zod';
import type { ActionSummary, Decision } from '../../core/contract';
import { decisionRecordPayloadSchema } from '../../core/contract';
import { formatRoute, linkTo } from '../app/route';
import { CopyJsonButton } from './CopyJsonButton';
import { DecisionBadge, SeverityBadge } from './DecisionBadge';

/*
 * The readable decision card: one component for Live activity, Evidence and the Approval
 * queue. It only shows what the core recorded — the normalized action summary, the matched
 * rules and the explanation — and never parses a command line or judges a path itself.
 * Payloads are validated with the contract's schema; anything else falls back to raw JSON.
 */

const gapPayloadSchema = z.looseObject({
  source: z.string(),
  reason: z.string(),
  missed: z.number().optional(),
  agent: z.object({ id: z.string(), session: z.string().optional() }).optional(),
});

/** Where the card's record lives in the ledger, when it came from one. */
export interface CardRecord {
  tenant: string;
  seq: number;
  /** Header time of the record. */
  time: string | null;
  /** The signed checkpoint that covers it, or null when none does yet. */
  proof: { size: number; root: string } | null;
}

type PartRules = ActionSummary['commands'][number]['rules'];

function RuleList({ rules, none }: { rules: PartRules; none: string }) {
  if (rules.length === 0) return <span className="muted">{none}</span>;
  return (
    <>
      {rules.map((rule) => (
        <span key={rule.rule} className="rule-ref">
          <code>{rule.rule}</code> <DecisionBadge decision={rule.decision} />
          {rule.mode === 'shadow' && <span className="muted small"> (shadow)</span>}
        </span>
      ))}
    </>
  );
}

function ActionParts({ action }: { action: ActionSummary }) {
  return (
    <div className="action-parts">
      {action.commands.length > 0 && (
        <>
          <h3 className="card-section">Commands</h3>
          <ul className="part-list" data-testid="card-commands">
            {action.commands.map((command, index) => (
              <li key={index}>
                <span className="words">
                  <code className="program">{command.program}</code>
                  {command.args.map((arg, i) => (
                    <code key={i} className="arg">
                      {arg}
                    </code>
                  ))}
                </span>
                <span className="part-notes small">
                  {command.wrappers.length > 0 && <span>run through {command.wrappers.join(' → ')}</span>}
                  {command.depth > 0 && (
                    <span>
                      nested {command.depth} level{command.depth === 1 ? '' : 's'} deep
                    </span>
                  )}
                  {command.dynamic && <span className="text-warn">depends on a value known only when it runs</span>}
                  <span>
                    Rules: <RuleList rules={command.rules} none="none matched" />
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {action.files.length > 0 && (
        <>
          <h3 className="card-section">Files</h3>
          <ul className="part-list" data-testid="card-files">
            {action.files.map((file, index) => (
              <li key={index}>
                <span className="words">
                  <code>{file.path}</code> <span className="muted small">{file.access}</span>
                  {file.via && <span className="muted small"> by {file.via}</span>}
                </span>
                <span className="part-notes small">
                  {file.outside_workspace && <span className="text-warn">outside the workspace</span>}
                  <span>
                    Protection: <RuleList rules={file.rules} none="no rule protects it" />
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {action.git.length > 0 && (
        <>
          <h3 className="card-section">Git</h3>
          <ul className="part-list" data-testid="card-git">
            {action.git.map((git, index) => (
              <li key={index}>
                <span className="words">
                  <code className="program">git {git.subcommand}</code>
                  {git.remote && <code className="arg">{git.remote}</code>}
                  {git.force && <strong className="text-deny"> forced</strong>}
                  {git.force_with_lease && <span className="text-warn"> forced with lease</span>}
                </span>
                {git.refs.length > 0 && (
                  <span className="part-notes small">
                    {git.refs.map((ref, i) => (
                      <span key={i}>
                        {ref.delete ? 'delete ' : `${ref.src ?? '(nothing)'} → `}
                        <code>{ref.dst}</code>
                        {ref.force && <strong className="text-deny"> (force)</strong>}
                      </span>
                    ))}
                  </span>
                )}
                <span className="part-notes small">
                  <span>
                    Rules: <RuleList rules={git.rules} none="none matched" />
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {action.mcp && (
        <>
          <h3 className="card-section">MCP tool call</h3>
          <ul className="part-list" data-testid="card-mcp">
            <li>
              <span className="words">
                server <code>{action.mcp.server}</code> tool <code>{action.mcp.tool}</code>
              </span>
              <span className="part-notes small">
                <span>
                  Arguments: {action.mcp.argument_names.length > 0 ? action.mcp.argument_names.join(', ') : 'none'}{' '}
                  (values are not recorded)
                </span>
                <span>
                  Rules: <RuleList rules={action.mcp.rules} none="none matched" />
                </span>
              </span>
            </li>
          </ul>
        </>
      )}
      {action.problems.length > 0 && (
        <>
          <h3 className="card-section">Not understood</h3>
          <ul className="part-list">
            {action.problems.map((problem, index) => (
              <li key={index} className="text-warn">
                {problem}
              </li>
            ))}
          </ul>
        </>
      )}
      {action.truncated && <p className="muted small">Long lists were cut in the record.</p>}
    </div>
  );
}

/** Lines of a write beyond this many are left to the raw JSON, so one huge file cannot stall the screen. */
const MAX_CONTENT_LINES = 400;

/**
 * What a write puts in the file, as added lines. The record never holds file contents (they
 * may be secrets); the approval request does, because the reviewer must see what they allow.
 * The console does not read the file on disk, so this is the new text, not a diff against it.
 */
export function WriteContent({ content }: { content: { path: string; text: string } }) {
  const lines = content.text.split('\n');
  const shown = lines.slice(0, MAX_CONTENT_LINES);
  return (
    <section className="write-content" aria-label={`Content to write to ${content.path}`} data-testid="card-content">
      <h3 className="card-section">
        Content to write{' '}
        <span className="muted small">({lines.length.toLocaleString()} lines, new text shown as added)</span>
      </h3>
      <pre className="diff" tabIndex={0}>
        {shown.map((line, index) => (
          <span key={index} className="diff-add">
            <span className="diff-gutter" aria-hidden="true">
              {index + 1} +
            </span>
            {line}
            {'\n'}
          </span>
        ))}
      </pre>
      {lines.length > shown.length && (
        <p className="muted small">
          {(lines.length - shown.length).toLocaleString()} more lines are in the exact action below.
        </p>
      )}
    </section>
  );
}

function Why({ decision }: { decision: Decision }) {
  const winner = decision.explanation.winner;
  const rule = winner ? decision.rules.find((r) => `${r.pack_id}/${r.rule_id}` === winner) : undefined;
  const basis: Record<Decision['explanation']['basis'], string> = {
    rule: 'a rule',
    default: 'the default (no rule matched part of it)',
    no_pack: 'no policy pack is assigned',
    normalization: 'the action could not be understood',
  };
  return (
    <dl className="facts" data-testid="card-why">
      <dt>Decided by</dt>
      <dd>
        {rule ? (
          <>
            <code>{winner}</code> <SeverityBadge severity={rule.severity} /> v{rule.pack_version}
          </>
        ) : (
          basis[decision.explanation.basis]
        )}
      </dd>
      {rule && (
        <>
          <dt>Rule&apos;s reason</dt>
          <dd>{rule.reason}</dd>
          {rule.matched && (
            <>
              <dt>Matched</dt>
              <dd>
                <code>{rule.matched}</code>
              </dd>
            </>
          )}
        </>
      )}
      <dt>Why</dt>
      <dd>{decision.explanation.summary}</dd>
      {decision.rules.length > 1 && (
        <>
          <dt>Also matched</dt>
          <dd>
            {decision.rules
              .filter((r) => `${r.pack_id}/${r.rule_id}` !== winner)
              .map((r) => `${r.pack_id}/${r.rule_id} (${r.decision}${r.mode === 'shadow' ? ', shadow' : ''})`)
              .join('; ')}
          </dd>
        </>
      )}
    </dl>
  );
}

function Links({ record, decision, session }: { record: CardRecord | null; decision?: Decision; session?: string }) {
  const requestId = decision?.approval?.request_id;
  if (!record && !requestId) return null;
  return (
    <ul className="card-links" data-testid="card-links">
      {record && (
        <li>
          <a href={linkTo('evidence', record.tenant, record.seq)}>Evidence record #{record.seq}</a>
        </li>
      )}
      {record && (
        <li>
          Inclusion proof:{' '}
          {record.proof ? (
            <a href={`${linkTo('evidence', record.tenant, record.seq)}`}>
              in the signed checkpoint of {record.proof.size.toLocaleString()} records
            </a>
          ) : (
            'not yet covered by a signed checkpoint'
          )}
        </li>
      )}
      {requestId && record && (
        <li>
          <a href={linkTo('approvals', record.tenant, requestId)}>Approval request {requestId}</a> (its decision and
          whether it was used)
        </li>
      )}
      {record && session && (
        <li>
          <a href={formatRoute({ screen: 'evidence', tenant: record.tenant, item: null, filters: { session } })}>
            Every record of session {session}
          </a>
        </li>
      )}
    </ul>
  );
}

function RawJson({ value, what }: { value: unknown; what: string }) {
  return (
    <details className="raw-json" data-testid="card-raw">
      <summary>Raw JSON</summary>
      <div className="actions">
        <CopyJsonButton value={value} what={what} />
      </div>
      <pre className="json" tabIndex={0} aria-label={`${what} as JSON`}>
        {JSON.stringify(value, null, 2)}
      </pre>
    </details>
  );
}

/**
 * A decision or gap record in words. Returns null for other payloads, so callers keep their
 * generic view for those.
 */
export function DecisionCard({
  payload,
  record,
  raw = true,
  content,
}: {
  payload: unknown;
  record: CardRecord | null;
  /** Offer the payload's raw JSON in a disclosure; off where the caller shows the whole record. */
  raw?: boolean;
  /** For a write, the text it would put in the file (the approval request carries it; records do not). */
  content?: { path: string; text: string };
}) {
  const what = record ? `record ${record.seq}` : 'decision';
  const parsed = decisionRecordPayloadSchema.safeParse(payload);
  if (parsed.success) {
    const { decision, agent } = parsed.data;
    const actor =
      parsed.data.actor ?? (parsed.data.actor_uid !== undefined ? `uid ${parsed.data.actor_uid}` : undefined);
    return (
      <div className="decision-card" data-testid="decision-card">
        <p className="card-title">
          <DecisionBadge decision={decision.decision} />{' '}
          <span className="action-type">{decision.action_type.replace(/_/g, ' ')}</span> <code>{decision.target}</code>
          {decision.mode === 'shadow' && decision.would_be !== decision.decision && (
            <span className="text-warn small"> shadow mode: would be {decision.would_be.replace('_', ' ')}</span>
          )}
        </p>
        {decision.action ? (
          <ActionParts action={decision.action} />
        ) : (
          <p className="muted small">This record predates the action summary; the raw JSON holds what was recorded.</p>
        )}
        {content && <WriteContent content={content} />}
        <h3 className="card-section">Decision</h3>
        <Why decision={decision} />
        <h3 className="card-section">Context</h3>
        <dl className="facts" data-testid="card-context">
          <dt>Agent</dt>
          <dd>
            {agent ? agent.id : <span className="muted">not reported</span>}
            {agent?.session && <span className="muted"> session {agent.session}</span>}
          </dd>
          <dt>Human actor</dt>
          <dd>
            {actor ?? <span className="muted">not known</span>}
            {parsed.data.actor_verified_by && (
              <span className="muted"> verified by {parsed.data.actor_verified_by}</span>
            )}
          </dd>
          <dt>Adapter</dt>
          <dd>{parsed.data.adapter}</dd>
          {parsed.data.repository && (
            <>
              <dt>Repository</dt>
              <dd>{parsed.data.repository}</dd>
            </>
          )}
          {parsed.data.cwd && (
            <>
              <dt>Working directory</dt>
              <dd>
                <code>{parsed.data.cwd}</code>
              </dd>
            </>
          )}
          <dt>Time</dt>
          <dd>
            <time dateTime={decision.timestamp}>{new Date(decision.timestamp).toLocaleString()}</time>
          </dd>
          <dt>Correlation id</dt>
          <dd>
            <code>{decision.correlation_id}</code>
          </dd>
          {decision.approval && (
            <>
              <dt>Approval</dt>
              <dd>
                route <code>{decision.approval.route}</code>, {decision.approval.state}
              </dd>
            </>
          )}
        </dl>
        <Links record={record} decision={decision} session={agent?.session} />
        {raw && <RawJson value={payload} what={what} />}
      </div>
    );
  }
  const gap = gapPayloadSchema.safeParse(payload);
  if (gap.success) {
    return (
      <div className="decision-card" data-testid="decision-card">
        <p className="card-title">
          <span className="decision decision-deny">Gap</span> <span className="action-type">recorded by</span>{' '}
          <code>{gap.data.source}</code>
        </p>
        <dl className="facts" data-testid="card-why">
          <dt>Reason</dt>
          <dd>{gap.data.reason}</dd>
          {gap.data.missed !== undefined && (
            <>
              <dt>Missed</dt>
              <dd>{gap.data.missed.toLocaleString()} decisions not recorded</dd>
            </>
          )}
          <dt>Agent</dt>
          <dd>{gap.data.agent ? gap.data.agent.id : <span className="muted">not reported</span>}</dd>
          {record?.time && (
            <>
              <dt>Time</dt>
              <dd>
                <time dateTime={record.time}>{new Date(record.time).toLocaleString()}</time>
              </dd>
            </>
          )}
        </dl>
        <Links record={record} />
        {raw && <RawJson value={payload} what={what} />}
      </div>
    );
  }
  return null;
}
