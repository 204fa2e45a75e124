import type { ApprovalState, ApprovalSubjectType } from '../contract';
import { approvalStateSchema } from '../contract';
import type { SqlValue, Store, StoreSession } from '../store';
import type { ApprovalBinding } from './binding';

/** States a request can leave: a transition claims the row from one of these. */
export type Leavable = 'pending' | 'approved';

/** One approval request as stored (SQLite: approval_requests of the tenant's file; PostgreSQL: the shared table). */
export interface ApprovalRow {
  id: string;
  state: ApprovalState;
  action_sha256: string;
  pack_id: string | null;
  pack_version: string | null;
  route: string;
  rule_id: string | null;
  reason: string;
  require_reason: number;
  requester: string | null;
  agent_id: string | null;
  agent_session: string | null;
  adapter: string;
  correlation_id: string;
  decision_id: string;
  action_type: ApprovalSubjectType;
  target: string;
  action: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  decision_reason: string | null;
  consumed_at: number | null;
  requested_seq: number | null;
  state_seq: number | null;
  decision_seq: number | null;
  requester_uid: number | null;
  decided_by_kind: string | null;
  self_approved: number;
  prior_state: Leavable | null;
  prior_seq: number | null;
  approver_groups: string;
  required_approvals: number;
  allow_reuse: number;
  attest: 'none' | 'idp';
  wait_until: number | null;
  agent_principal: string | null;
  break_glass_by: string | null;
  break_glass_justification: string | null;
  break_glass_until: number | null;
}

export interface VoteRow {
  principal_id: string;
  display_name: string | null;
  verdict: 'approve' | 'deny';
  reason: string | null;
  at: number;
  seq: number | null;
  attestation: string | null;
}

/** What `open` stores: every column a new request starts with (the rest start empty). */
export type NewApprovalRow = Pick<
  ApprovalRow,
  | 'id'
  | 'action_sha256'
  | 'pack_id'
  | 'pack_version'
  | 'route'
  | 'rule_id'
  | 'reason'
  | 'require_reason'
  | 'requester'
  | 'agent_id'
  | 'agent_session'
  | 'adapter'
  | 'correlation_id'
  | 'decision_id'
  | 'action_type'
  | 'target'
  | 'action'
  | 'created_at'
  | 'expires_at'
  | 'decision_seq'
  | 'requester_uid'
  | 'approver_groups'
  | 'required_approvals'
  | 'allow_reuse'
  | 'attest'
  | 'agent_principal'
>;

/** A transition's claim: the new state and what it sets (a use keeps the verdict's columns). */
export interface Claim {
  from: readonly Leavable[];
  state: Exclude<ApprovalState, 'pending'>;
  at: number;
  by: string;
  reason: string | null;
  kind: string | null;
  selfApproved: boolean;
  consumedBy: string | null;
}

export interface QueueCounts {
  ids: string[];
  total: number;
  pending: number;
}

/**
 * Where approval requests, verdicts and views are kept (HOUSE rule 15): implemented once against
 * the store port, so the local core keeps them in the tenant's SQLite file and `cavra server`
 * in the shared PostgreSQL database, where every replica sees one queue. Every method is one
 * unit of work; the desk's "record, then apply" spans several (the ledger append sits between).
 */
/** One reviewer's verdict as the desk claims it. */
export interface VoteClaim {
  by: string;
  displayName: string | null;
  verdict: 'approve' | 'deny';
  reason: string | null;
  at: number;
  kind: string;
}

export interface ApprovalRepository {
  insert(tenant: string, row: NewApprovalRow): Promise<void>;
  /** Removes a request whose `requested` record never committed. */
  removeUnrecorded(tenant: string, id: string): Promise<void>;
  markRequested(tenant: string, id: string, seq: number): Promise<ApprovalRow | undefined>;
  row(tenant: string, id: string): Promise<ApprovalRow | undefined>;
  /** The request and its verdicts, read together. */
  rowWithVotes(tenant: string, id: string): Promise<{ row: ApprovalRow; votes: VoteRow[] } | undefined>;
  /** These requests with their verdicts (in no particular order). */
  rowsWithVotes(tenant: string, ids: readonly string[]): Promise<{ row: ApprovalRow; votes: VoteRow[] }[]>;
  list(tenant: string, states: readonly ApprovalState[] | undefined, limit: number): Promise<ApprovalRow[]>;
  /** One page of ids, newest first after the cursor, and the counts of the selection and of pending. */
  page(
    tenant: string,
    states: readonly ApprovalState[] | undefined,
    limit: number,
    after: { at: number; id: string } | null,
  ): Promise<{ rows: ApprovalRow[]; votes: Map<string, VoteRow[]>; more: boolean; total: number; pending: number }>;
  selfApproved(tenant: string): Promise<ApprovalRow[]>;
  pendingFor(binding: ApprovalBinding, now: number): Promise<ApprovalRow | undefined>;
  /** Approved, recorded, unused and unexpired requests with this binding: `requestId`, or reusable ones. */
  consumable(binding: ApprovalBinding, now: number, requestId: string | undefined): Promise<ApprovalRow[]>;
  /** Pending requests past their expiry, or whose adapter's wait ended before `waitedBefore`. */
  due(tenant: string, now: number, waitedBefore: number): Promise<string[]>;
  /** Claims the row for a transition (one conditional UPDATE: one process wins); the claimed row, or null. */
  claim(tenant: string, id: string, claim: Claim): Promise<ApprovalRow | null>;
  /** The transition's record committed: the new state counts. */
  settle(tenant: string, id: string, seq: number): Promise<void>;
  /** Puts a claimed row back in the state it left (its record never committed). */
  revert(tenant: string, id: string): Promise<void>;
  /** After a crash: undoes what never got its record, for rows older than `before`. */
  recover(tenant: string, before: number): Promise<void>;
  noteWait(tenant: string, id: string, untilMs: number): Promise<void>;
  viewedBy(tenant: string, id: string, by: string): Promise<boolean>;
  addView(tenant: string, id: string, by: string, at: number, seq: number): Promise<void>;
  votes(tenant: string, id: string): Promise<VoteRow[]>;
  /**
   * Claims the decider's one verdict (a repeat is refused by the key, on any replica) and counts
   * the approvals with it, in one unit under the request's lock: two reviewers voting at once
   * are counted one after the other, so exactly one of them is the N-th. Null: already voted.
   */
  claimVote(tenant: string, id: string, vote: VoteClaim): Promise<{ approvals: number } | null>;
  undoVote(tenant: string, id: string, by: string): Promise<void>;
  settleVote(tenant: string, id: string, by: string, seq: number, attestation: string | null): Promise<void>;
  claimBreakGlass(tenant: string, id: string, by: string, justification: string, until: number): Promise<boolean>;
  clearBreakGlass(tenant: string, id: string): Promise<void>;
}

/** Every column of a request, in the order both engines store it (the tenant column aside). */
const REQUEST_COLUMNS = [
  'id',
  'state',
  'action_sha256',
  'pack_id',
  'pack_version',
  'route',
  'rule_id',
  'reason',
  'require_reason',
  'requester',
  'agent_id',
  'agent_session',
  'adapter',
  'correlation_id',
  'decision_id',
  'action_type',
  'target',
  'action',
  'created_at',
  'expires_at',
  'decided_at',
  'decided_by',
  'decision_reason',
  'consumed_at',
  'consumed_by',
  'requested_seq',
  'state_seq',
  'decision_seq',
  'requester_uid',
  'decided_by_kind',
  'self_approved',
  'prior_state',
  'prior_seq',
  'approver_groups',
  'required_approvals',
  'allow_reuse',
  'attest',
  'wait_until',
  'agent_principal',
  'break_glass_by',
  'break_glass_justification',
  'break_glass_until',
] as const;
const ALL = REQUEST_COLUMNS.join(', ');
/** A queue summary never reads the action (up to 64 KiB per request). */
const SUMMARY = REQUEST_COLUMNS.map((column) => (column === 'action' ? `'{}' AS action` : column)).join(', ');
const VOTE_COLUMNS = 'request_id, principal_id, display_name, verdict, reason, at, seq, attestation';

/** Positional parameters as a statement is built: `add` returns the placeholder of the value. */
class Params {
  readonly values: SqlValue[] = [];
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  list(values: readonly SqlValue[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }
}

/**
 * Requests a reader sees in these states (all when none are named): recorded ones only, and a
 * transition in flight under the state it is leaving (it has not happened until its record commits).
 */
function visibleIn(params: Params, wanted?: readonly ApprovalState[]): string {
  const states = wanted && wanted.length > 0 ? [...wanted] : [...approvalStateSchema.options];
  const now = params.list(states);
  const before = params.list(states);
  return `requested_seq IS NOT NULL
      AND ((state_seq IS NOT NULL AND state IN (${now})) OR (state_seq IS NULL AND COALESCE(prior_state, 'pending') IN (${before})))`;
}

/** SQLite's planner needs naming the covering index to page 10,000 pending without reading rows. */
function queueIndex(session: StoreSession): string {
  return session.dialect === 'sqlite' ? 'INDEXED BY approval_requests_queue' : '';
}

/** The approval repository on the store port (SQLite per tenant file, or shared PostgreSQL). */
export class StoredApprovalRepository implements ApprovalRepository {
  constructor(
    private readonly store: Store,
    /** Called before a tenant's first write (the shared store's rows reference its tenant row). */
    private readonly ensureTenant?: (tenant: string) => Promise<void>,
  ) {}

  private write<T>(tenant: string, work: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.store.transaction({ tenant }, work);
  }

  private read<T>(tenant: string, work: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.store.read({ tenant }, work);
  }

  async insert(tenant: string, row: NewApprovalRow): Promise<void> {
    await this.ensureTenant?.(tenant);
    const columns = Object.keys(row) as (keyof NewApprovalRow)[];
    const params = new Params();
    const values = params.list(columns.map((column) => row[column] as SqlValue));
    await this.write(tenant, (s) =>
      s.run(
        `INSERT INTO approval_requests (state, ${columns.join(', ')}) VALUES ('pending', ${values})`,
        params.values,
      ),
    );
  }

  async removeUnrecorded(tenant: string, id: string): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(`DELETE FROM approval_requests WHERE id = $1 AND requested_seq IS NULL`, [id]),
    );
  }

  markRequested(tenant: string, id: string, seq: number): Promise<ApprovalRow | undefined> {
    return this.write(tenant, async (s) => {
      await s.run(`UPDATE approval_requests SET requested_seq = $1, state_seq = $1 WHERE id = $2`, [seq, id]);
      return s.get<ApprovalRow>(`SELECT ${ALL} FROM approval_requests WHERE id = $1`, [id]);
    });
  }

  row(tenant: string, id: string): Promise<ApprovalRow | undefined> {
    return this.read(tenant, (s) => s.get<ApprovalRow>(`SELECT ${ALL} FROM approval_requests WHERE id = $1`, [id]));
  }

  rowWithVotes(tenant: string, id: string): Promise<{ row: ApprovalRow; votes: VoteRow[] } | undefined> {
    return this.read(tenant, async (s) => {
      const row = await s.get<ApprovalRow>(`SELECT ${ALL} FROM approval_requests WHERE id = $1`, [id]);
      if (!row) return undefined;
      return { row, votes: await votesOf(s, id) };
    });
  }

  rowsWithVotes(tenant: string, ids: readonly string[]): Promise<{ row: ApprovalRow; votes: VoteRow[] }[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.read(tenant, async (s) => {
      const params = new Params();
      const rows = await s.all<ApprovalRow>(
        `SELECT ${ALL} FROM approval_requests WHERE id IN (${params.list(ids)})`,
        params.values,
      );
      const votes = await votesOfMany(
        s,
        rows.map((row) => row.id),
      );
      return rows.map((row) => ({ row, votes: votes.get(row.id) ?? [] }));
    });
  }

  list(tenant: string, states: readonly ApprovalState[] | undefined, limit: number): Promise<ApprovalRow[]> {
    return this.read(tenant, (s) => {
      const params = new Params();
      const visible = visibleIn(params, states);
      return s.all<ApprovalRow>(
        `SELECT ${ALL} FROM approval_requests WHERE ${visible} ORDER BY created_at DESC, id LIMIT ${params.add(limit)}`,
        params.values,
      );
    });
  }

  page(
    tenant: string,
    states: readonly ApprovalState[] | undefined,
    limit: number,
    after: { at: number; id: string } | null,
  ): Promise<{ rows: ApprovalRow[]; votes: Map<string, VoteRow[]>; more: boolean; total: number; pending: number }> {
    return this.read(tenant, async (s) => {
      // The page's ids, the order and both counts come from the queue index alone (it covers
      // every column named here): the rows, whose action may be 64 KiB, are read only for the page.
      const params = new Params();
      const visible = visibleIn(params, states);
      const keyset = after
        ? `AND (created_at < ${params.add(after.at)} OR (created_at = ${params.add(after.at)} AND id > ${params.add(after.id)}))`
        : '';
      const ids = (
        await s.all<{ id: string }>(
          `SELECT id FROM approval_requests ${queueIndex(s)} WHERE ${visible} ${keyset}
             ORDER BY created_at DESC, id LIMIT ${params.add(limit + 1)}`,
          params.values,
        )
      ).map((row) => row.id);
      const count = async (wanted: readonly ApprovalState[] | undefined) => {
        const counting = new Params();
        const where = visibleIn(counting, wanted);
        const row = await s.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM approval_requests ${queueIndex(s)} WHERE ${where}`,
          counting.values,
        );
        return row?.n ?? 0;
      };
      const total = await count(states);
      const onlyPending = states?.length === 1 && states[0] === 'pending';
      const pending = onlyPending ? total : await count(['pending']);
      const shown = ids.slice(0, limit);
      let rows: ApprovalRow[] = [];
      if (shown.length > 0) {
        const byId = new Params();
        const found = await s.all<ApprovalRow>(
          `SELECT ${SUMMARY} FROM approval_requests WHERE id IN (${byId.list(shown)})`,
          byId.values,
        );
        const index = new Map(found.map((row) => [row.id, row]));
        rows = shown.map((id) => index.get(id)).filter((row): row is ApprovalRow => row !== undefined);
      }
      return { rows, votes: await votesOfMany(s, shown), more: ids.length > limit, total, pending };
    });
  }

  selfApproved(tenant: string): Promise<ApprovalRow[]> {
    return this.read(tenant, (s) =>
      s.all<ApprovalRow>(
        `SELECT ${ALL} FROM approval_requests WHERE self_approved = 1 AND state_seq IS NOT NULL ORDER BY decided_at`,
      ),
    );
  }

  pendingFor(binding: ApprovalBinding, now: number): Promise<ApprovalRow | undefined> {
    return this.read(binding.tenant, (s) =>
      s.get<ApprovalRow>(
        `SELECT ${ALL} FROM approval_requests
           WHERE action_sha256 = $1 AND pack_id IS NOT DISTINCT FROM $2 AND pack_version IS NOT DISTINCT FROM $3
             AND state = 'pending' AND state_seq IS NOT NULL AND expires_at > $4
           ORDER BY created_at DESC LIMIT 1`,
        [binding.actionSha256, binding.packId, binding.packVersion, now],
      ),
    );
  }

  consumable(binding: ApprovalBinding, now: number, requestId: string | undefined): Promise<ApprovalRow[]> {
    return this.read(binding.tenant, (s) => {
      const params = new Params();
      // Without a request id (a retry looking for an earlier approval) only "approve for retry" routes count.
      const which = requestId === undefined ? 'allow_reuse = 1' : `id = ${params.add(requestId)}`;
      return s.all<ApprovalRow>(
        `SELECT ${ALL} FROM approval_requests
           WHERE action_sha256 = ${params.add(binding.actionSha256)}
             AND pack_id IS NOT DISTINCT FROM ${params.add(binding.packId)}
             AND pack_version IS NOT DISTINCT FROM ${params.add(binding.packVersion)}
             AND state = 'approved' AND state_seq IS NOT NULL AND consumed_at IS NULL
             AND expires_at > ${params.add(now)}
             AND (break_glass_until IS NULL OR break_glass_until > ${params.add(now)})
             AND ${which}
           ORDER BY decided_at`,
        params.values,
      );
    });
  }

  due(tenant: string, now: number, waitedBefore: number): Promise<string[]> {
    return this.read(tenant, async (s) => {
      // Two index lookups (by route expiry, by the adapter's wait), then only the due rows are
      // read: every read of the queue sweeps, and a scan would read every pending action.
      const byWait = s.dialect === 'sqlite' ? 'INDEXED BY approval_requests_by_wait' : '';
      const rows = await s.all<{ id: string }>(
        `SELECT id FROM approval_requests WHERE state = 'pending' AND expires_at <= $1
           UNION
           SELECT id FROM approval_requests ${byWait}
             WHERE state = 'pending' AND wait_until IS NOT NULL AND wait_until <= $2 AND allow_reuse = 0`,
        [now, waitedBefore],
      );
      return rows.map((row) => row.id);
    });
  }

  claim(tenant: string, id: string, claim: Claim): Promise<ApprovalRow | null> {
    return this.write(tenant, async (s) => {
      const params = new Params();
      // A use keeps who decided; every other transition says who ended the request and why.
      const sets =
        claim.state === 'consumed'
          ? `consumed_at = ${params.add(claim.at)}, consumed_by = ${params.add(claim.consumedBy)}`
          : `decided_at = ${params.add(claim.at)}, decided_by = ${params.add(claim.by)},
             decision_reason = ${params.add(claim.reason)}, decided_by_kind = ${params.add(claim.kind)},
             self_approved = ${params.add(claim.selfApproved ? 1 : 0)}`;
      const changed = await s.run(
        `UPDATE approval_requests SET prior_state = state, prior_seq = state_seq, state = ${params.add(claim.state)},
             state_seq = NULL, ${sets}
           WHERE id = ${params.add(id)} AND state IN (${params.list(claim.from)}) AND state_seq IS NOT NULL`,
        params.values,
      );
      if (changed !== 1) return null;
      return (await s.get<ApprovalRow>(`SELECT ${ALL} FROM approval_requests WHERE id = $1`, [id])) ?? null;
    });
  }

  async settle(tenant: string, id: string, seq: number): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(`UPDATE approval_requests SET state_seq = $1, prior_state = NULL, prior_seq = NULL WHERE id = $2`, [
        seq,
        id,
      ]),
    );
  }

  async revert(tenant: string, id: string): Promise<void> {
    await this.write(tenant, (s) => revertRow(s, id));
  }

  async recover(tenant: string, before: number): Promise<void> {
    await this.write(tenant, async (s) => {
      const stale = await s.all<{ id: string }>(
        `SELECT id FROM approval_requests WHERE state_seq IS NULL AND requested_seq IS NOT NULL
           AND COALESCE(consumed_at, decided_at, created_at) < $1`,
        [before],
      );
      for (const { id } of stale) await revertRow(s, id);
      await s.run(`DELETE FROM approval_votes WHERE seq IS NULL AND at < $1`, [before]);
      await s.run(`DELETE FROM approval_requests WHERE requested_seq IS NULL AND created_at < $1`, [before]);
    });
  }

  async noteWait(tenant: string, id: string, untilMs: number): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(
        `UPDATE approval_requests
           SET wait_until = CASE WHEN wait_until IS NULL OR wait_until < $1 THEN $1 ELSE wait_until END
           WHERE id = $2 AND state = 'pending'`,
        [untilMs, id],
      ),
    );
  }

  viewedBy(tenant: string, id: string, by: string): Promise<boolean> {
    return this.read(
      tenant,
      async (s) =>
        (await s.get(`SELECT 1 AS seen FROM approval_views WHERE request_id = $1 AND principal_id = $2`, [id, by])) !==
        undefined,
    );
  }

  async addView(tenant: string, id: string, by: string, at: number, seq: number): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(
        `INSERT INTO approval_views (request_id, principal_id, at, seq) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [id, by, at, seq],
      ),
    );
  }

  votes(tenant: string, id: string): Promise<VoteRow[]> {
    return this.read(tenant, (s) => votesOf(s, id));
  }

  claimVote(tenant: string, id: string, vote: VoteClaim): Promise<{ approvals: number } | null> {
    return this.write(tenant, async (s) => {
      await s.lock(`approval/${id}`);
      const inserted = await s.run(
        `INSERT INTO approval_votes (request_id, principal_id, display_name, verdict, reason, at, by_kind)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [id, vote.by, vote.displayName, vote.verdict, vote.reason, vote.at, vote.kind],
      );
      if (inserted !== 1) return null;
      const counted = await s.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM approval_votes WHERE request_id = $1 AND verdict = 'approve'`,
        [id],
      );
      return { approvals: counted?.n ?? 0 };
    });
  }

  async undoVote(tenant: string, id: string, by: string): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(`DELETE FROM approval_votes WHERE request_id = $1 AND principal_id = $2 AND seq IS NULL`, [id, by]),
    );
  }

  async settleVote(tenant: string, id: string, by: string, seq: number, attestation: string | null): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(`UPDATE approval_votes SET seq = $1, attestation = $2 WHERE request_id = $3 AND principal_id = $4`, [
        seq,
        attestation,
        id,
        by,
      ]),
    );
  }

  claimBreakGlass(tenant: string, id: string, by: string, justification: string, until: number): Promise<boolean> {
    return this.write(
      tenant,
      async (s) =>
        (await s.run(
          `UPDATE approval_requests SET break_glass_by = $1, break_glass_justification = $2, break_glass_until = $3
             WHERE id = $4 AND state = 'pending' AND state_seq IS NOT NULL AND break_glass_by IS NULL`,
          [by, justification, until, id],
        )) === 1,
    );
  }

  async clearBreakGlass(tenant: string, id: string): Promise<void> {
    await this.write(tenant, (s) =>
      s.run(
        `UPDATE approval_requests SET break_glass_by = NULL, break_glass_justification = NULL, break_glass_until = NULL
           WHERE id = $1`,
        [id],
      ),
    );
  }
}

function votesOf(s: StoreSession, id: string): Promise<VoteRow[]> {
  return s.all<VoteRow>(`SELECT ${VOTE_COLUMNS} FROM approval_votes WHERE request_id = $1 ORDER BY at, principal_id`, [
    id,
  ]);
}

/** The verdicts on these requests, in one query (a page of 500 would otherwise ask 500 times). */
async function votesOfMany(s: StoreSession, ids: readonly string[]): Promise<Map<string, VoteRow[]>> {
  const byRequest = new Map<string, VoteRow[]>();
  if (ids.length === 0) return byRequest;
  const params = new Params();
  const rows = await s.all<VoteRow & { request_id: string }>(
    `SELECT ${VOTE_COLUMNS} FROM approval_votes WHERE request_id IN (${params.list(ids)}) ORDER BY at, principal_id`,
    params.values,
  );
  for (const row of rows) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
  return byRequest;
}

/** Puts a claimed row back in the state it left (its record never committed). */
function revertRow(s: StoreSession, id: string): Promise<number> {
  return s.run(
    `UPDATE approval_requests SET
       decided_at = CASE WHEN prior_state = 'pending' THEN NULL ELSE decided_at END,
       decided_by = CASE WHEN prior_state = 'pending' THEN NULL ELSE decided_by END,
       decision_reason = CASE WHEN prior_state = 'pending' THEN NULL ELSE decision_reason END,
       decided_by_kind = CASE WHEN prior_state = 'pending' THEN NULL ELSE decided_by_kind END,
       self_approved = CASE WHEN prior_state = 'pending' THEN 0 ELSE self_approved END,
       consumed_at = CASE WHEN prior_state = 'approved' THEN NULL ELSE consumed_at END,
       consumed_by = CASE WHEN prior_state = 'approved' THEN NULL ELSE consumed_by END,
       state = COALESCE(prior_state, 'pending'), state_seq = COALESCE(prior_seq, requested_seq),
       prior_state = NULL, prior_seq = NULL
     WHERE id = $1 AND state_seq IS NULL`,
    [id],
  );
}
