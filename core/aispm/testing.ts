// Test support for the AISPM tests: constructed ledgers (a real Ledger on a real SQLite file,
// signed with a throwaway in-memory key, on a clock the test moves) and the decision records
// the gate would write for them. Not part of the public surface.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActionType, Decision, DecisionKind, EnforcementMode, Severity } from '../contract';
import { Ledger, decisionRecord, generateSigningKey, signerFromPrivateKey } from '../evidence';
import type { AppendableRecordType, LedgerKeys } from '../evidence';
import { migrate, openDatabase, tenantMigrations } from '../store';
import { LedgerConsumer, ledgerSource } from './consumer';
import type { Projection } from './projection';
import { scorePosture } from './score';
import { StoreAispmRepository } from './store-repository';

export const T0 = Date.parse('2026-03-02T09:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function throwawayKeys(): LedgerKeys {
  const signer = signerFromPrivateKey(generateSigningKey().privateKey);
  return { publicKey: () => ({ publicKey: signer.publicKey, keyId: signer.keyId }), signer: () => signer };
}

export interface RuleSpec {
  pack: string;
  rule: string;
  severity: Severity;
  decision: DecisionKind;
  mode?: EnforcementMode;
  reason?: string;
}

export interface DecisionSpec {
  rules?: RuleSpec[];
  /** The effective decision; defaults to the winner's (allow in tenant shadow mode). */
  decision?: DecisionKind;
  wouldBe?: DecisionKind;
  mode?: EnforcementMode;
  basis?: Decision['explanation']['basis'];
  actionType?: ActionType;
  target?: string;
  repository?: string;
  agent?: string;
  approval?: Decision['approval'];
  correlationId?: string;
}

let counter = 0;

/** A decision payload as the gate records it, from a compact description. */
export function decisionPayload(spec: DecisionSpec) {
  const rules = (spec.rules ?? []).map((r) => ({
    pack_id: r.pack,
    pack_version: '1.0.0',
    rule_id: r.rule,
    severity: r.severity,
    decision: r.decision,
    reason: r.reason ?? `${r.rule} matched`,
    matched: spec.target ?? 'target',
    mode: r.mode ?? 'enforce',
  }));
  const rank = { allow: 0, warn: 1, require_approval: 2, deny: 3 } as const;
  const mostRestrictive = (list: typeof rules) =>
    list.reduce<(typeof rules)[number] | null>(
      (best, r) => (!best || rank[r.decision] > rank[best.decision] ? r : best),
      null,
    );
  const enforcing = mostRestrictive(rules.filter((r) => r.mode === 'enforce'));
  const shadowTop = mostRestrictive(rules.filter((r) => r.mode === 'shadow'));
  const tenantShadow = spec.mode === 'shadow';
  const verdict = enforcing?.decision ?? 'allow';
  // As the engine does: a shadow pack that would decide more makes the would-be verdict.
  const wouldBe = shadowTop && rank[shadowTop.decision] > rank[verdict] ? shadowTop.decision : verdict;
  const decision = spec.decision ?? (tenantShadow ? 'allow' : verdict);
  counter += 1;
  const full: Decision = {
    decision_id: `dec_test_${counter}`,
    tenant: 'acme',
    action_type: spec.actionType ?? 'execute_command',
    target: spec.target ?? 'target',
    rules,
    decision,
    would_be: spec.wouldBe ?? wouldBe,
    mode: spec.mode ?? 'enforce',
    ...(spec.approval ? { approval: spec.approval } : {}),
    evidence_ref: null,
    timestamp: new Date(T0).toISOString(),
    correlation_id: spec.correlationId ?? `cor_test_${counter}`,
    explanation: {
      summary: `${decision} (test)`,
      winner: enforcing ? `${enforcing.pack_id}/${enforcing.rule_id}` : null,
      basis: spec.basis ?? (enforcing ? 'rule' : 'default'),
    },
  };
  return decisionRecord(full, {
    adapter: 'claude-code',
    agent: { id: spec.agent ?? 'claude-code', session: 's-1' },
    repository: spec.repository ?? 'payments-api',
  });
}

/** A tenant ledger whose record times the test sets. */
export function constructedLedger(start = T0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-aispm-'));
  const db = openDatabase(path.join(dir, 'tenant.sqlite'));
  migrate(db, tenantMigrations);
  let clock = start;
  const ledger = new Ledger({
    db,
    tenant: 'acme',
    keys: throwawayKeys(),
    now: () => new Date(clock),
    // Checkpoints only when the test asks: the unsigned tail is then the test's to shape.
    checkpoints: { records: 1_000_000, seconds: 1_000_000 },
  });
  const repositories: StoreAispmRepository[] = [];
  return {
    dir,
    ledger,
    at(ms: number) {
      clock = ms;
      return this;
    },
    advance(ms: number) {
      clock += ms;
      return this;
    },
    now: () => clock,
    async append(type: AppendableRecordType, payload: unknown): Promise<number> {
      return (await ledger.append({ type, payload })).seq;
    },
    decide(spec: DecisionSpec): Promise<number> {
      return this.append('decision', decisionPayload(spec));
    },
    checkpoint(): number {
      ledger.checkpoint();
      return ledger.size() - 1;
    },
    /** A consumer on its own AISPM file (`name` lets a test keep two apart). */
    consumer(name = 'aispm', chunk?: number) {
      const repository = StoreAispmRepository.openFile(path.join(dir, `${name}.sqlite`), 'acme');
      repositories.push(repository);
      return { consumer: new LedgerConsumer(ledgerSource(ledger), repository, { chunk }), repository };
    },
    /** Reads the whole ledger and scores it at `nowMs`. */
    async project(
      nowMs: number,
      name = 'aispm',
    ): Promise<{ projection: Projection; posture: ReturnType<typeof scorePosture> }> {
      const { consumer } = this.consumer(name);
      const projection = await consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: nowMs });
      return {
        projection,
        posture: scorePosture(projection.allFindings(), projection.allCells(), projection.facts, nowMs),
      };
    },
    async close() {
      for (const repository of repositories) await repository.close();
      ledger.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ConstructedLedger = ReturnType<typeof constructedLedger>;

export const rules = {
  envRead: { pack: 'cavra-secrets', rule: 'secrets.env-read', severity: 'high', decision: 'deny' },
  templateRead: { pack: 'cavra-secrets', rule: 'secrets.template-read', severity: 'low', decision: 'allow' },
  iacApply: { pack: 'cavra-infrastructure', rule: 'iac.apply', severity: 'critical', decision: 'require_approval' },
  forcePush: { pack: 'cavra-source-control', rule: 'git.force-push-protected', severity: 'critical', decision: 'deny' },
  workflows: { pack: 'cavra-cicd', rule: 'cicd.github-actions', severity: 'high', decision: 'deny' },
  npmTest: { pack: 'cavra-baseline', rule: 'js.package-scripts', severity: 'low', decision: 'allow' },
  mcpUntrusted: { pack: 'cavra-mcp-trust', rule: 'mcp.untrusted-server', severity: 'high', decision: 'deny' },
} as const satisfies Record<string, RuleSpec>;
