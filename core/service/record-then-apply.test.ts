import fs from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContractClient, operationNames, operations } from '../contract';
import type { ContractClient, OperationName } from '../contract';
import { localEvaluationPrincipal } from '../identity';
import type { SqliteDatabase } from '../store';
import { tempHome } from '../../test/support/temp-home';
import { createCore } from './core';
import type { LocalCoreService } from './core';
import { createInMemoryTransport } from './in-memory';
import { demoLicense, demoRevocationList, licenseTenant } from '../../test/support/demo-license';

/*
 * HOUSE rule 14, issue 8 item 8: a configuration change commits its evidence record first and
 * changes state only afterwards. Every operation the contract marks `configuration` runs here
 * with the ledger failing (a real SQLite error on the ledger's insert, the tables beside it
 * untouched): the call must fail and leave every configuration table exactly as it was. Each
 * case also runs without the fault, to prove it changes something.
 */

const repoPacks = path.resolve(__dirname, '../../policy-packs');
const tenant = { tenant: 'evaluation' };

interface FaultCase {
  /** Brings the tenant to a state where the operation has something to change. */
  prepare?: (client: ContractClient, packs: string, home: string) => Promise<void>;
  input: unknown;
  /** The input, when it names something `prepare` created. */
  inputFrom?: (client: ContractClient) => Promise<unknown>;
  /** State outside the tenant's configuration tables that the operation changes. */
  state?: (home: string, core: LocalCoreService) => unknown;
}

/** The evaluation tenant's key columns in the install registry (a second connection, read or cleared). */
function registryKey(home: string, clear = false): unknown {
  const db = new Database(path.join(home, 'registry.sqlite'));
  try {
    if (clear)
      db.prepare(`UPDATE tenants SET signing_public_key = NULL, signing_key_id = NULL WHERE id = 'evaluation'`).run();
    return db.prepare(`SELECT signing_public_key, signing_key_id FROM tenants WHERE id = 'evaluation'`).get();
  } finally {
    db.close();
  }
}

const NEW_PACK = `id: acme-extra
version: 1.0.0
description: An extra pack
rules:
  - { id: extra.rule, commands: [make deploy], decision: require_approval, reason: Deploys are reviewed }
`;

const WEBHOOK = {
  id: 'hook',
  name: 'Webhook',
  kind: 'webhook',
  settings: { url: 'https://hooks.acme.example/cavra' },
} as const;
const saveWebhook = async (client: ContractClient) => void (await client.call('connectors.save', WEBHOOK, tenant));
/** The connector's secret as the keychain holds it (the only place it lives). */
const webhookSecret = (_home: string, core: LocalCoreService) => {
  const tenants = core.gateHost.tenants as unknown as {
    secretsFor(id: string): { get(service: string, account: string): string | null };
  };
  return tenants.secretsFor('evaluation').get('connector/hook', 'credential');
};
const HOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const REPORT_SETTINGS = {
  redaction: { commandArguments: true, pathPrefixes: [], actorEmails: false },
  allowedDomains: ['acme.example'],
  recipients: ['ciso@acme.example'],
  reportConnector: null,
  escalation: null,
};

const cases: Record<string, FaultCase> = {
  'connectors.save': { input: WEBHOOK },
  'connectors.remove': { prepare: saveWebhook, input: { id: 'hook' } },
  'connectors.secret.set': {
    prepare: saveWebhook,
    input: { id: 'hook', value: HOOK_SECRET },
    state: webhookSecret,
  },
  'connectors.secret.clear': {
    prepare: async (client) => {
      await saveWebhook(client);
      await client.call('connectors.secret.set', { id: 'hook', value: HOOK_SECRET }, tenant);
    },
    input: { id: 'hook' },
    state: webhookSecret,
  },
  'reports.settings.set': { input: REPORT_SETTINGS },
  'reports.schedules.save': {
    prepare: async (client) => {
      await client.call(
        'connectors.save',
        {
          id: 'mail',
          name: 'Mail',
          kind: 'smtp',
          settings: { host: 'smtp.acme.example', port: 587, security: 'starttls', from: 'cavra@acme.example' },
        },
        tenant,
      );
      await client.call('reports.settings.set', { ...REPORT_SETTINGS, reportConnector: 'mail' }, tenant);
    },
    input: { kind: 'security', cadence: 'weekly', recipients: ['ciso@acme.example'] },
  },
  'reports.schedules.remove': {
    prepare: async (client) => {
      await cases['reports.schedules.save']?.prepare?.(client, '', '');
      await client.call(
        'reports.schedules.save',
        { kind: 'security', cadence: 'weekly', recipients: ['ciso@acme.example'] },
        tenant,
      );
    },
    input: undefined,
    inputFrom: async (client) => {
      const { schedules } = await client.call('reports.schedules.list', {}, tenant);
      return { id: schedules[0]?.id };
    },
  },
  'evidence.retention.set': { input: { days: 30, legalHold: true } },
  'mcp.trust.set': { input: { server: 'filesystem', tools: ['read_text_file'] } },
  'mcp.trust.remove': {
    prepare: async (client) => void (await client.call('mcp.trust.set', { server: 'scratch' }, tenant)),
    input: { server: 'scratch' },
  },
  'agents.enroll': { input: { label: 'ci runner' }, state: (home) => agentCredentials(home) },
  'agents.revoke': {
    prepare: async (client) => void (await client.call('agents.enroll', { label: 'to revoke' }, tenant)),
    input: null,
    inputFrom: async (client) => {
      const { agents } = await client.call('agents.list', {}, tenant);
      return { credentialId: agents.find((agent) => agent.label === 'to revoke')?.id };
    },
    state: (home) => agentCredentials(home),
  },
  'policy.assign': {
    prepare: async (client) => void (await client.call('policy.pack.import', { yaml: NEW_PACK }, tenant)),
    input: { packId: 'acme-extra', repository: 'payments-api' },
  },
  'policy.unassign': { input: { packId: 'cavra-cicd', repository: null } },
  'policy.pack.import': { input: { yaml: NEW_PACK.replace('acme-extra', 'acme-other') } },
  'policy.reload': {
    // A built-in pack file changed on disk: reloading activates its new version.
    prepare: async (_client, packs) => {
      const file = path.join(packs, fs.readdirSync(packs).find((n) => n.includes('source-control')) as string);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^version: .*$/m, 'version: 9.9.9'));
    },
    input: {},
  },
  'policy.settings.update': { input: { mode: 'shadow', defaultDecision: 'deny' } },
  'license.import': { input: { document: demoLicense({ tenant: 'evaluation' }) } },
  'license.revocations.import': { input: { document: demoRevocationList([{ licenseId: 'lic-other' }]) } },
  'containment.settings.set': { input: { enforcement: 'judgement_only', reason: 'no user namespaces on this host' } },
  'tenants.keys.provision': {
    // As if the tenant had been created without a keychain.
    prepare: async (_client, _packs, home) => void registryKey(home, true),
    input: {},
    state: (home) => registryKey(home),
  },
  'tenants.profile.update': {
    input: { role_mappings: [{ group: 'secops', roles: ['security_reviewer'] }] },
    state: (home) => registryProfile(home),
  },
};

/** The agent credentials in the install registry (a second connection). */
function agentCredentials(home: string): unknown {
  const db = new Database(path.join(home, 'registry.sqlite'));
  try {
    return db.prepare(`SELECT id, tenant_id, label, revoked_at FROM agent_credentials ORDER BY id`).all();
  } finally {
    db.close();
  }
}

/** The tenant's record (SSO, role mappings, …) in the install registry. */
function registryProfile(home: string): unknown {
  const db = new Database(path.join(home, 'registry.sqlite'));
  try {
    return db.prepare(`SELECT profile FROM tenant_profiles WHERE tenant_id = 'evaluation'`).get() ?? null;
  } finally {
    db.close();
  }
}

/** Mutating operations that are not configuration, and why. A new mutating operation must be put in one list or the other. */
const notConfiguration: Partial<Record<OperationName, string>> = {
  'jobs.cancel': 'stops a job; no configuration changes',
  'evidence.export': 'writes a bundle outside the ledger; no configuration changes',
  'evidence.prune': 'the tombstone record and the pruning commit in one ledger transaction',
  'approvals.decide': 'an approval event, recorded by the approval desk before it takes effect (desk tests)',
  'approvals.attest': 'an attested approval event, recorded by the approval desk before it takes effect (desk tests)',
  'approvals.cancel': 'a cancelled approval event, recorded by the approval desk before it takes effect (desk tests)',
  'approvals.breakGlass':
    'a break-glass approval event, recorded by the approval desk before it takes effect (desk tests)',
  'connectors.test': 'sends a test delivery; no configuration changes',
  'deliveries.retry': 'requeues a delivery; no configuration changes',
  'reports.deliver': 'queues a report delivery; no configuration changes',
  'readiness.run': 'writes validator_result records (observations); no configuration changes',
  'readiness.packet.export': 'writes the packet and a bundle outside the ledger; no configuration changes',
  'trial.closeout':
    'a closeout record (and a license surrender, which core/license records before it applies — closeout tests), then a signed packet outside the ledger',
  'trial.workflow.run':
    "runs a scripted agent session through the adapters; its actions are the gate's decision records; no configuration changes",
  // AISPM applies a person's change only by ingesting its committed record (core/aispm service tests fail the ledger).
  'aispm.finding.update': 'a finding_triage record; AISPM state changes only by ingesting it once committed',
  'aispm.finding.accept_risk': 'a finding_triage record; AISPM state changes only by ingesting it once committed',
  'aispm.review.complete': 'an operating_review record; AISPM state changes only by ingesting it once committed',
  'tenants.create':
    'creates the tenant and its store; there is no tenant ledger before it exists (the install audit log keeps it)',
  'tenants.onboard':
    'creates the tenant like tenants.create, then records each part of its record in the new ledger before applying it',
};

const configurationOps = operationNames.filter((op) => operations[op].configuration === true);

/** Every configuration table of the tenant, as rows: what "the state" means here. */
function snapshot(db: SqliteDatabase): unknown {
  const tables = [
    'policy_packs',
    'policy_assignments',
    'policy_settings',
    'policy_signing_keys',
    'mcp_trusted_servers',
    'license_current',
    'license_revocation_list',
    'license_surrenders',
    'connectors',
    'report_settings',
    'report_schedules',
    'containment_settings',
  ];
  return {
    ...Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()])),
    ledger_meta: db.prepare(`SELECT * FROM ledger_meta WHERE key != 'origin' ORDER BY key`).all(),
  };
}

describe('record, then apply: every configuration operation against a failing ledger', () => {
  it('classifies every mutating operation, and has a fault case for every configuration operation', () => {
    expect(configurationOps.length).toBeGreaterThanOrEqual(8);
    for (const op of operationNames.filter((name) => operations[name].mutates)) {
      const isConfiguration = operations[op].configuration === true;
      expect(isConfiguration || notConfiguration[op] !== undefined, `${op} is neither configuration nor exempted`).toBe(
        true,
      );
      expect(isConfiguration && notConfiguration[op] !== undefined, `${op} is both`).toBe(false);
    }
    for (const op of configurationOps) expect(cases[op], `${op} needs a fault case`).toBeDefined();
  });

  let home: { home: string; cleanup: () => void };
  beforeAll(() => {
    home = tempHome();
  });
  afterAll(() => home?.cleanup());

  it.each(configurationOps)(
    '%s: no record, no change',
    async (op) => {
      const spec = cases[op] as FaultCase;
      for (const fault of [true, false]) {
        const dir = fs.mkdtempSync(path.join(home.home, `${op}-`));
        const packs = path.join(dir, 'packs');
        fs.cpSync(repoPacks, packs, { recursive: true });
        const core: LocalCoreService = createCore({
          home: dir,
          shell: 'test',
          policyPacksDir: packs,
          log: () => undefined,
        });
        try {
          const client = createContractClient(createInMemoryTransport(core, localEvaluationPrincipal));
          await client.call('policy.packs.list', {}, tenant);
          // A licensed workflow is refused before it records anything on an unlicensed tenant.
          if ((operations[op] as { feature?: string }).feature) await licenseTenant(client, 'evaluation');
          await spec.prepare?.(client, packs, dir);
          const db = (core.gateHost.tenants as unknown as { store(id: string): SqliteDatabase }).store('evaluation');
          const ledgerSize = () => (db.prepare('SELECT COUNT(*) AS n FROM ledger_records').get() as { n: number }).n;
          const state = () => ({ tables: snapshot(db), other: spec.state?.(dir, core) ?? null });
          const before = state();
          const recordsBefore = ledgerSize();
          if (fault) {
            db.exec(`CREATE TEMP TRIGGER ledger_fault BEFORE INSERT ON ledger_records
                   BEGIN SELECT RAISE(ABORT, 'injected ledger fault'); END`);
          }
          const input = spec.inputFrom ? await spec.inputFrom(client) : spec.input;
          const response = await core.invoke(localEvaluationPrincipal, { op, tenant: 'evaluation', input });
          if (fault) {
            db.exec('DROP TRIGGER temp.ledger_fault');
            expect(response.ok, `${op} succeeded although its record could not be written`).toBe(false);
            expect(state()).toEqual(before);
            expect(ledgerSize()).toBe(recordsBefore);
          } else {
            expect(response, JSON.stringify(response)).toMatchObject({ ok: true });
            expect(state(), `${op} changed nothing, so its fault case proves nothing`).not.toEqual(before);
            expect(ledgerSize()).toBeGreaterThan(recordsBefore);
          }
        } finally {
          await core.close();
        }
      }
    },
    60_000,
  );
});
