// Test support for the evidence tests: realistic decision payloads and a tenant whose
// ledger uses the real keychain-backed signing key. Not part of the public surface.
import crypto from 'node:crypto';
import type { Decision, DecisionKind } from '../contract';
import { localEvaluationPrincipal } from '../identity';
import { KeychainSecretStore, probeKeychain } from '../secrets';
import type { SqliteDatabase } from '../store';
import { TenantDirectory } from '../tenants';
import { tempHome } from '../../test/support/temp-home';
import type { EvidenceLedgersOptions } from './ledgers';
import { EvidenceLedgers } from './ledgers';
import { decisionRecord } from './decision-record';
import type { DecisionPayload } from '../contract';

const kinds: DecisionKind[] = ['allow', 'warn', 'require_approval', 'deny'];

export function sampleDecision(i: number, overrides: Partial<Decision> = {}): DecisionPayload {
  const decision = kinds[i % kinds.length] as DecisionKind;
  const rule = `rule.${i % 7}`;
  return decisionRecord(
    {
      decision_id: `d-${i}-${crypto.randomBytes(4).toString('hex')}`,
      tenant: 'acme',
      action_type: 'execute_command',
      target: `terraform apply -target=module.m${i}`,
      rules: [
        {
          pack_id: 'cavra-agent-baseline',
          pack_version: '1.0.0',
          rule_id: rule,
          severity: 'high',
          decision,
          reason: 'Infrastructure changes need a reviewer.',
          mode: 'enforce',
        },
      ],
      decision,
      would_be: decision,
      mode: 'enforce',
      evidence_ref: null,
      timestamp: new Date(1_700_000_000_000 + i).toISOString(),
      correlation_id: `c-${i}`,
      explanation: { summary: `${decision} by ${rule}`, winner: rule, basis: 'rule' },
      ...overrides,
    },
    {
      adapter: 'claude-code',
      agent: { id: `agent-${i % 3}`, session: `s-${i % 50}` },
      actor: 'dev@acme.example',
      repository: 'payments-api',
    },
  );
}

/** Fails the calling test with instructions when no real keychain is reachable. */
export function requireKeychain(): void {
  const probe = probeKeychain(new KeychainSecretStore('probe'));
  if (!probe.available) {
    throw new Error(`No usable OS keychain; run the tests under scripts/with-keyring.sh.\n${probe.reason}`);
  }
}

/** A temp CAVRA home with tenant "acme" (keychain-backed key) and its ledgers. */
export function ledgerFixture(options: EvidenceLedgersOptions = {}) {
  const { home, cleanup } = tempHome('cavra-evidence-');
  const tenants = new TenantDirectory(home);
  tenants.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
  const ledgers = new EvidenceLedgers(tenants, options);
  return {
    home,
    tenants,
    ledgers,
    ledger: ledgers.ledger('acme'),
    close: () => {
      ledgers.close();
      tenants.close();
      cleanup();
    },
  };
}

/**
 * The attack of issue 8 item 5, as whoever can write the database file would run it: drop the
 * append-only triggers, then delete every record after `keep` records together with the
 * checkpoints and Merkle nodes that covered them, leaving a shorter ledger that looks whole.
 */
export function truncateLedger(db: SqliteDatabase, keep: number): void {
  db.exec(`
    DROP TRIGGER IF EXISTS ledger_records_no_delete;
    DROP TRIGGER IF EXISTS ledger_tree_no_delete;
    DROP TRIGGER IF EXISTS ledger_checkpoints_no_delete;
  `);
  const stride = 2 ** 40;
  db.transaction(() => {
    db.prepare('DELETE FROM ledger_records WHERE seq >= ?').run(keep);
    db.prepare('DELETE FROM ledger_record_rules WHERE seq >= ?').run(keep);
    db.prepare('DELETE FROM ledger_checkpoints WHERE size > ?').run(keep);
    // A node at level L, index i covers leaves [i·2^L, (i+1)·2^L).
    db.prepare(`DELETE FROM ledger_tree WHERE ((node % ${stride}) + 1) * (1 << (node / ${stride})) > ?`).run(keep);
  })();
}
