import type { MigrationSet } from './migrations';

/** The install-wide registry: tenants, principals, memberships, audit of console calls. */
export const registryMigrations: MigrationSet = {
  registry: [
    {
      version: 1,
      name: 'registry',
      sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE principals (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE install_roles (
        principal_id TEXT NOT NULL REFERENCES principals(id),
        role TEXT NOT NULL,
        PRIMARY KEY (principal_id, role)
      );
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('evaluation', 'production')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE TABLE memberships (
        principal_id TEXT NOT NULL REFERENCES principals(id),
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        role TEXT NOT NULL,
        PRIMARY KEY (principal_id, tenant_id, role)
      );
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        principal_id TEXT,
        tenant_id TEXT,
        op TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_code TEXT
      );
    `,
    },
    {
      version: 2,
      name: 'tenant-signing-keys',
      // The public half of each tenant's Ed25519 evidence key; the private half lives only in
      // the OS keychain. NULL when no keychain was available at creation: the tenant exists
      // but cannot sign until a key is provisioned.
      sql: `
      ALTER TABLE tenants ADD COLUMN signing_public_key TEXT;
      ALTER TABLE tenants ADD COLUMN signing_key_id TEXT;
    `,
    },
    {
      version: 3,
      name: 'identity',
      // Identity (core/identity, core/tenants profiles): the tenant record beyond id and name
      // (SSO, role mappings, inventory, recipients, contacts, escalation routes) as validated
      // JSON; sign-in sessions by the SHA-256 of their id (the id is a bearer secret and the
      // tokens live only in the OS keychain); when each member last signed in and with which
      // groups; agent credentials by the SHA-256 of their secret, bound to one tenant.
      sql: `
      CREATE TABLE tenant_profiles (
        tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
        profile TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      );
      CREATE TABLE sessions (
        id_sha256 TEXT PRIMARY KEY,
        principal_id TEXT NOT NULL REFERENCES principals(id),
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT
      );
      CREATE TABLE member_logins (
        principal_id TEXT NOT NULL REFERENCES principals(id),
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        last_login_at TEXT NOT NULL,
        groups TEXT NOT NULL,
        PRIMARY KEY (principal_id, tenant_id)
      );
      CREATE TABLE agent_credentials (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        secret_sha256 TEXT NOT NULL,
        label TEXT NOT NULL,
        owner_uid INTEGER NOT NULL,
        owner_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT
      );
    `,
    },
  ],
};

/**
 * One database per tenant. Each capability owns a component key here (`ledger`, `policy`,
 * `approvals`, …) and appends its numbered migrations to its own list.
 */
export const tenantMigrations: MigrationSet = {
  tenant: [
    {
      version: 1,
      name: 'tenant',
      sql: `
      CREATE TABLE tenant_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
    },
  ],
  ledger: [
    {
      version: 1,
      name: 'ledger',
      // The evidence ledger (core/evidence). The hashed record header is rebuilt from these
      // columns; `payload` is the canonical JSON and becomes NULL only when a tombstone prunes
      // it. `ledger_tree` keeps every completed perfect Merkle subtree above the leaves
      // (node = level * 2^40 + index) so proofs at any size need O(log n) lookups.
      // Triggers make the append-only rule hold against bugs, not only by convention.
      sql: `
      CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE ledger_records (
        seq INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        type TEXT NOT NULL,
        record_hash BLOB NOT NULL,
        payload_sha256 BLOB NOT NULL,
        payload TEXT,
        pruned_by INTEGER,
        decision TEXT,
        agent TEXT,
        session TEXT
      );
      CREATE INDEX ledger_records_by_time ON ledger_records (time_ms);
      CREATE INDEX ledger_records_by_type ON ledger_records (type, seq);
      CREATE INDEX ledger_records_by_decision ON ledger_records (decision, seq) WHERE decision IS NOT NULL;
      CREATE INDEX ledger_records_by_agent ON ledger_records (agent, seq) WHERE agent IS NOT NULL;
      CREATE INDEX ledger_records_by_session ON ledger_records (session, seq) WHERE session IS NOT NULL;
      CREATE TABLE ledger_record_rules (
        rule TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (rule, seq)
      ) WITHOUT ROWID;
      CREATE TABLE ledger_tree (node INTEGER PRIMARY KEY, hash BLOB NOT NULL);
      CREATE TABLE ledger_checkpoints (
        size INTEGER PRIMARY KEY,
        root BLOB NOT NULL,
        time INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        note TEXT NOT NULL
      );
      CREATE TRIGGER ledger_records_no_delete BEFORE DELETE ON ledger_records
        BEGIN SELECT RAISE(ABORT, 'ledger records are append-only'); END;
      CREATE TRIGGER ledger_records_no_rewrite
        BEFORE UPDATE OF seq, time_ms, type, record_hash, payload_sha256 ON ledger_records
        BEGIN SELECT RAISE(ABORT, 'ledger records are append-only'); END;
      CREATE TRIGGER ledger_records_prune_only BEFORE UPDATE OF payload ON ledger_records
        WHEN NEW.payload IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a ledger payload can only be pruned'); END;
      CREATE TRIGGER ledger_tree_no_delete BEFORE DELETE ON ledger_tree
        BEGIN SELECT RAISE(ABORT, 'ledger tree nodes are append-only'); END;
      CREATE TRIGGER ledger_tree_no_update BEFORE UPDATE ON ledger_tree
        BEGIN SELECT RAISE(ABORT, 'ledger tree nodes are append-only'); END;
      CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
        BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
      CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
        BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
    `,
    },
    {
      version: 2,
      name: 'ledger-origins',
      // Records shipped from another ledger (SharedLedger with an origin): each origin record once.
      sql: `
      CREATE TABLE ledger_origins (
        origin TEXT NOT NULL,
        origin_seq INTEGER NOT NULL CHECK (origin_seq >= 0),
        seq INTEGER NOT NULL UNIQUE REFERENCES ledger_records (seq),
        PRIMARY KEY (origin, origin_seq)
      ) WITHOUT ROWID;
    `,
    },
  ],
  approvals: [
    {
      version: 1,
      name: 'approval-requests',
      // Approval requests (core/approvals). A state counts once its ledger record is committed:
      // `state_seq` is that record's sequence number, NULL while the append is in flight.
      // `requested_seq` lets a decision whose record failed fall back to pending.
      sql: `
      CREATE TABLE approval_requests (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
        action_sha256 TEXT NOT NULL,
        pack_id TEXT,
        pack_version TEXT,
        route TEXT NOT NULL,
        rule_id TEXT,
        reason TEXT NOT NULL,
        require_reason INTEGER NOT NULL DEFAULT 0,
        requester TEXT,
        agent_id TEXT,
        agent_session TEXT,
        adapter TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        action_type TEXT NOT NULL,
        target TEXT NOT NULL,
        action TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        decision_reason TEXT,
        consumed_at INTEGER,
        consumed_by TEXT,
        requested_seq INTEGER,
        state_seq INTEGER
      );
      CREATE INDEX approval_requests_by_binding ON approval_requests (action_sha256, state);
      CREATE INDEX approval_requests_by_state ON approval_requests (state, expires_at);
      CREATE INDEX approval_requests_by_time ON approval_requests (created_at);
    `,
    },
    {
      version: 2,
      name: 'approval-decision-record',
      // The ledger sequence number of the decision record that opened the request, so the
      // console can show that decision in words next to the request (NULL for report deliveries
      // and for requests opened before this column existed).
      sql: `ALTER TABLE approval_requests ADD COLUMN decision_seq INTEGER;`,
    },
    {
      version: 3,
      name: 'approval-identity',
      // The OS user the gate verified behind the requesting agent (peer credentials), and
      // whether the decision was the local evaluation identity deciding for that same user.
      sql: `
      ALTER TABLE approval_requests ADD COLUMN requester_uid INTEGER;
      ALTER TABLE approval_requests ADD COLUMN decided_by_kind TEXT;
      ALTER TABLE approval_requests ADD COLUMN self_approved INTEGER NOT NULL DEFAULT 0;
    `,
    },
    {
      version: 4,
      name: 'approval-lifecycle',
      // Issue 13: the states `abandoned` (the adapter stopped waiting) and `consumed` (the one
      // action ran) need a new CHECK, so the table is rebuilt. A transition in flight keeps the
      // state it left in `prior_state`/`prior_seq` until its record commits. The route as it was
      // when the request opened (approvers, N, reuse, attestation), the adapter's wait, the agent
      // principal and break-glass are kept on the request; every verdict is a row of
      // approval_votes (N distinct approvers), every first view per principal a row of approval_views.
      sql: `
      CREATE TABLE approval_requests_v4 (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled', 'abandoned', 'consumed')),
        action_sha256 TEXT NOT NULL,
        pack_id TEXT,
        pack_version TEXT,
        route TEXT NOT NULL,
        rule_id TEXT,
        reason TEXT NOT NULL,
        require_reason INTEGER NOT NULL DEFAULT 0,
        requester TEXT,
        agent_id TEXT,
        agent_session TEXT,
        adapter TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        action_type TEXT NOT NULL,
        target TEXT NOT NULL,
        action TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        decision_reason TEXT,
        consumed_at INTEGER,
        consumed_by TEXT,
        requested_seq INTEGER,
        state_seq INTEGER,
        decision_seq INTEGER,
        requester_uid INTEGER,
        decided_by_kind TEXT,
        self_approved INTEGER NOT NULL DEFAULT 0,
        prior_state TEXT,
        prior_seq INTEGER,
        approver_groups TEXT NOT NULL DEFAULT '[]',
        required_approvals INTEGER NOT NULL DEFAULT 1,
        allow_reuse INTEGER NOT NULL DEFAULT 0,
        attest TEXT NOT NULL DEFAULT 'none' CHECK (attest IN ('none', 'idp')),
        wait_until INTEGER,
        agent_principal TEXT,
        break_glass_by TEXT,
        break_glass_justification TEXT,
        break_glass_until INTEGER
      );
      INSERT INTO approval_requests_v4 (id, state, action_sha256, pack_id, pack_version, route, rule_id, reason,
        require_reason, requester, agent_id, agent_session, adapter, correlation_id, decision_id, action_type, target,
        action, created_at, expires_at, decided_at, decided_by, decision_reason, consumed_at, consumed_by,
        requested_seq, state_seq, decision_seq, requester_uid, decided_by_kind, self_approved)
      SELECT id, CASE WHEN state = 'approved' AND consumed_at IS NOT NULL THEN 'consumed' ELSE state END,
        action_sha256, pack_id, pack_version, route, rule_id, reason, require_reason, requester, agent_id,
        agent_session, adapter, correlation_id, decision_id, action_type, target, action, created_at, expires_at,
        decided_at, decided_by, decision_reason, consumed_at, consumed_by, requested_seq, state_seq, decision_seq,
        requester_uid, decided_by_kind, self_approved
      FROM approval_requests;
      DROP TABLE approval_requests;
      ALTER TABLE approval_requests_v4 RENAME TO approval_requests;
      CREATE INDEX approval_requests_by_binding ON approval_requests (action_sha256, state);
      CREATE INDEX approval_requests_by_state ON approval_requests (state, expires_at);
      CREATE INDEX approval_requests_by_time ON approval_requests (created_at);
      CREATE TABLE approval_votes (
        request_id TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        display_name TEXT,
        verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
        reason TEXT,
        at INTEGER NOT NULL,
        seq INTEGER,
        by_kind TEXT,
        attestation TEXT,
        PRIMARY KEY (request_id, principal_id)
      );
      CREATE TABLE approval_views (
        request_id TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (request_id, principal_id)
      );
    `,
    },
    {
      version: 5,
      name: 'approval-queue-indexes',
      // The queue at 10,000 pending: paging, counting and the expiry sweep read only these
      // indexes, never the rows (whose action, up to 64 KiB, sits in front of every later column).
      // The wait sweep gets its own index: an OR with the route expiry could use neither.
      sql: `
      CREATE INDEX approval_requests_queue ON approval_requests
        (state, created_at DESC, id, state_seq, requested_seq, prior_state);
      CREATE INDEX approval_requests_by_wait ON approval_requests (state, wait_until) WHERE wait_until IS NOT NULL;
    `,
    },
  ],
  mcp: [
    {
      version: 1,
      name: 'mcp-trust-and-fingerprints',
      // The MCP trust registry (a server may be limited to listed tools; NULL = every tool) and
      // the last tool-definition fingerprint seen per server, for rug-pull detection.
      sql: `
      CREATE TABLE mcp_trusted_servers (
        server TEXT PRIMARY KEY,
        tools TEXT,
        trusted_at TEXT NOT NULL,
        trusted_by TEXT NOT NULL
      );
      CREATE TABLE mcp_tool_fingerprints (
        server TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        tools TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
      );
    `,
    },
  ],
  sessions: [
    {
      version: 1,
      name: 'agent session downloads',
      // Paths each agent session downloaded into, for judging a later run of them (policy).
      sql: `
      CREATE TABLE agent_session_downloads (
        session TEXT NOT NULL,
        path TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (session, path)
      );
    `,
    },
  ],
  containment: [
    {
      version: 1,
      name: 'containment-settings',
      // How the tenant's commands are contained (core/containment): one row per setting, the
      // value as JSON. No row means the default, sandbox containment.
      sql: `
      CREATE TABLE containment_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
    },
  ],
  policy: [
    {
      version: 1,
      name: 'policy',
      // Packs active in the tenant (built-in or imported; the exact text, so the last good
      // version survives a pack file turning bad), their assignments ('' = the whole tenant),
      // the tenant's policy settings and the keys its signed packs must verify with.
      sql: `
      CREATE TABLE policy_packs (
        pack_id TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('builtin', 'imported')),
        origin TEXT NOT NULL,
        text TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        signature TEXT,
        signed_by TEXT,
        activated_at TEXT NOT NULL,
        activated_by TEXT NOT NULL
      );
      CREATE TABLE policy_assignments (
        pack_id TEXT NOT NULL REFERENCES policy_packs(pack_id),
        repository TEXT NOT NULL DEFAULT '',
        assigned_at TEXT NOT NULL,
        assigned_by TEXT NOT NULL,
        PRIMARY KEY (pack_id, repository)
      );
      CREATE TABLE policy_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE policy_signing_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL
      );
    `,
    },
  ],
  connectors: [
    {
      version: 1,
      name: 'connectors',
      // Connector settings (core/connectors). Secrets are never here: they live in the OS
      // keychain under the tenant and connector id; a test asserts no secret reaches this file.
      sql: `
      CREATE TABLE connectors (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        anchor INTEGER NOT NULL,
        retry TEXT,
        settings TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
    },
  ],
  outbox: [
    {
      version: 1,
      name: 'outbox',
      // The durable outbox (core/outbox): a delivery is written here before anything is sent.
      // A claimed row carries a lease (owner, expiry); a crashed owner's row is claimed again
      // with the same idempotency key. `outcome` holds an attempt's result from the moment the
      // server answered until its ledger record commits, so a crash in between neither
      // re-sends nor loses the evidence.
      sql: `
      CREATE TABLE outbox_deliveries (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        connector_id TEXT NOT NULL,
        connector_kind TEXT NOT NULL,
        purpose TEXT NOT NULL,
        subject TEXT NOT NULL,
        recipients TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'awaiting_approval', 'delivered', 'failed', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        base_delay_ms INTEGER NOT NULL,
        next_attempt_at INTEGER,
        lease_owner TEXT,
        lease_until INTEGER,
        outcome TEXT,
        approval_id TEXT,
        escalation_id TEXT,
        escalate INTEGER NOT NULL DEFAULT 1,
        last_code TEXT,
        last_text TEXT,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX outbox_due ON outbox_deliveries (state, next_attempt_at);
      CREATE INDEX outbox_by_time ON outbox_deliveries (created_at);
      CREATE INDEX outbox_by_connector ON outbox_deliveries (connector_id, created_at);
      CREATE TABLE outbox_attempts (
        delivery_id TEXT NOT NULL REFERENCES outbox_deliveries(id),
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT,
        text TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        evidence_seq INTEGER,
        PRIMARY KEY (delivery_id, attempt)
      );
      CREATE TABLE outbox_anchors (connector_id TEXT PRIMARY KEY, anchored_size INTEGER NOT NULL);
    `,
    },
  ],
  license: [
    {
      version: 1,
      name: 'license',
      // Licensing (core/license): the signed documents as imported, verified again on every
      // read, and the tenant's own surrenders of a license at the trial closeout.
      sql: `
      CREATE TABLE license_current (
        slot INTEGER PRIMARY KEY CHECK (slot = 1),
        license_id TEXT NOT NULL,
        document TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        imported_by TEXT NOT NULL
      );
      CREATE TABLE license_revocation_list (
        slot INTEGER PRIMARY KEY CHECK (slot = 1),
        issued_at TEXT NOT NULL,
        document TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        imported_by TEXT NOT NULL
      );
      CREATE TABLE license_surrenders (
        license_id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL
      );
    `,
    },
  ],
  reports: [
    {
      version: 1,
      name: 'reports',
      // Report policy (redaction, recipients, escalation route) and schedules (core/reports).
      sql: `
      CREATE TABLE report_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE report_schedules (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        cadence TEXT NOT NULL,
        recipients TEXT NOT NULL,
        next_run_at INTEGER NOT NULL,
        last_run_at INTEGER,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
    },
  ],
};
