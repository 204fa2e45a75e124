import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterpriseFeatureLabels, operationNames, operations } from '../contract';
import type { EnterpriseFeature, OperationName } from '../contract';
import type { EvidenceLedgers } from '../evidence';
import { askGate } from '../gate/client';
import { gateFixture } from '../gate/testing';
import type { GateFixture } from '../gate/testing';
import { localEvaluationPrincipal } from '../identity';
import { demoLicense, demoRevocationList } from '../../test/support/demo-license';

// SPEC §10, issue 16 item 3: every Enterprise workflow is refused at the one guard (the
// dispatcher) unless the tenant's entitlement enables its feature, with an error naming the
// feature, for each way of having no valid license; the gate's decisions never depend on it.

const DAY = 86_400_000;
let clock = Date.now();
let fx: GateFixture;

/** A valid input for every licensed operation: the refusal must come from the license, not the input. */
const inputs: Partial<Record<OperationName, unknown>> = {
  'connectors.list': {},
  'connectors.save': {
    id: 'mail',
    name: 'Mail',
    kind: 'smtp',
    settings: { host: '127.0.0.1', port: 25, security: 'starttls', from: 'a@b.example' },
  },
  'connectors.remove': { id: 'mail' },
  'connectors.secret.set': { id: 'mail', value: 'not-a-secret' },
  'connectors.secret.clear': { id: 'mail' },
  'connectors.test': { id: 'mail' },
  'deliveries.list': {},
  'deliveries.retry': { id: 'dlv_00000000-0000-4000-8000-000000000000' },
  'reports.render': { kind: 'executive' },
  'reports.deliver': { kind: 'executive', recipients: ['ciso@acme.example'] },
  'reports.settings.get': {},
  'reports.settings.set': {
    redaction: { commandArguments: true, pathPrefixes: [], actorEmails: false },
    allowedDomains: ['acme.example'],
    recipients: [],
    reportConnector: null,
    escalation: null,
  },
  'reports.schedules.list': {},
  'reports.schedules.save': { kind: 'executive', cadence: 'weekly', recipients: ['ciso@acme.example'] },
  'reports.schedules.remove': { id: 'sch_00000000-0000-4000-8000-000000000000' },
  'readiness.run': { gate: 'production' },
  'readiness.packet.export': {},
  'aispm.status': {},
  'aispm.findings.list': {},
  'aispm.finding.get': { id: 'fnd_0123456789abcdef' },
  'aispm.finding.evidence': { id: 'fnd_0123456789abcdef' },
  'aispm.records': { seqs: [1] },
  'aispm.finding.update': { id: 'fnd_0123456789abcdef', status: 'acknowledged' },
  'aispm.finding.accept_risk': {
    id: 'fnd_0123456789abcdef',
    until: new Date(Date.now() + DAY).toISOString(),
    note: 'accepted for test',
  },
  'aispm.coverage': {},
  'aispm.trend': {},
  'aispm.reviews.list': {},
  'aispm.review.packet': { kind: 'weekly_posture' },
  'aispm.review.complete': { kind: 'weekly_posture', packetSha256: 'a'.repeat(64), notes: 'checked' },
};

const licensed = operationNames.filter((op) => (operations[op] as { feature?: EnterpriseFeature }).feature);

const ledgers = () => fx.core.gateHost.ledgers as unknown as EvidenceLedgers;

async function invoke(tenant: string, op: string, input: unknown) {
  return fx.core.invoke(localEvaluationPrincipal, { op, tenant, input });
}

async function ok(tenant: string, op: string, input: unknown) {
  const response = await invoke(tenant, op, input);
  if (!response.ok) throw new Error(`${op} in ${tenant}: ${response.error.code}: ${response.error.message}`);
  return response.value;
}

beforeAll(async () => {
  fx = await gateFixture({ now: () => new Date(clock), approvalWaitMs: 1_000 });
  for (const id of ['t-expired', 't-revoked', 't-future', 't-valid']) {
    await ok('evaluation', 'tenants.create', { id, displayName: id }).catch(async () => {
      const created = await fx.core.invoke(localEvaluationPrincipal, {
        op: 'tenants.create',
        tenant: null,
        input: { id, displayName: id },
      });
      if (!created.ok) throw new Error(created.error.message);
    });
  }
  await ok('t-valid', 'license.import', {
    document: demoLicense({ tenant: 't-valid', expiresAt: new Date(clock + 400 * DAY) }),
  });
  await ok('t-expired', 'license.import', {
    document: demoLicense({ tenant: 't-expired', expiresAt: new Date(clock + 2 * DAY) }),
  });
  await ok('t-revoked', 'license.import', {
    document: demoLicense({
      tenant: 't-revoked',
      licenseId: 'lic-revoked-for-test',
      expiresAt: new Date(clock + 400 * DAY),
    }),
  });
  await ok('t-revoked', 'license.revocations.import', {
    document: demoRevocationList([{ licenseId: 'lic-revoked-for-test', reason: 'contract ended' }]),
  });
  await ok('t-future', 'license.import', {
    document: demoLicense({
      tenant: 't-future',
      notBefore: new Date(clock + 30 * DAY),
      expiresAt: new Date(clock + 400 * DAY),
    }),
  });
  // Three days on: the two-day license has expired.
  clock += 3 * DAY;
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

describe('license gating (SPEC §10)', () => {
  it('names a feature for AISPM, operating reviews, connectors, reports and readiness, and has an input for each', () => {
    const features = new Set(licensed.map((op) => (operations[op] as { feature: EnterpriseFeature }).feature));
    expect([...features].sort()).toEqual(['aispm', 'connectors', 'operating_reviews', 'readiness', 'reports']);
    for (const op of [
      'aispm.status',
      'connectors.save',
      'reports.deliver',
      'readiness.packet.export',
      'aispm.review.complete',
    ])
      expect(licensed, op).toContain(op);
    // Enforcement and the trial's own bookkeeping name none: a lapsed license never stops them.
    for (const op of [
      'policy.evaluate',
      'approvals.decide',
      'approvals.list',
      'evidence.verify',
      'evidence.export',
      'mcp.trust.set',
      'policy.pack.import',
      'license.import',
      'license.status',
      'trial.status',
      'trial.closeout',
      'trial.workflow.run',
      'offline.verify',
    ] as const)
      expect((operations[op] as { feature?: string }).feature, op).toBeUndefined();
    for (const op of licensed) {
      const parsed = operations[op].input.safeParse(inputs[op]);
      expect(parsed.success, `a valid test input for ${op}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it.each([
    ['evaluation', 'missing', /no license has been imported|No license/i],
    ['t-expired', 'expired', /expired/i],
    ['t-revoked', 'suspended', /revoked|contract ended/i],
    ['t-future', 'suspended', /not valid (yet|before)|becomes valid|not before/i],
  ])(
    'tenant %s (entitlement %s): every licensed operation is refused with license_required naming the feature',
    async (tenant, status, reason) => {
      const entitlement = (await ok(tenant, 'license.status', {})) as { status: string; reason: string };
      expect(entitlement.status).toBe(status);
      expect(entitlement.reason).toMatch(reason);
      for (const op of licensed) {
        const feature = (operations[op] as { feature: EnterpriseFeature }).feature;
        const response = await invoke(tenant, op, inputs[op]);
        expect(response, op).toMatchObject({ ok: false, error: { code: 'license_required' } });
        if (response.ok) continue;
        expect(response.error.message, op).toContain(`("${feature}")`);
        expect(response.error.message, op).toContain(enterpriseFeatureLabels[feature]);
        expect(response.error.message, op).toContain(`(${status})`);
      }
    },
  );

  it('a valid license lets the same calls through the guard (the control case)', async () => {
    for (const op of licensed) {
      const response = await invoke('t-valid', op, inputs[op]);
      if (!response.ok) expect(response.error.code, `${op}: ${response.error.message}`).not.toBe('license_required');
    }
  });

  it('refusals are evidence in the tenant they concern', async () => {
    const ledger = ledgers().ledger('t-expired');
    const { records } = (await ok('t-expired', 'evidence.query', { types: ['access_refused'], limit: 500 })) as {
      records: { seq: number }[];
    };
    const refused = records
      .map((r) => ledger.record(r.seq)?.payload as { op: string; code: string })
      .filter((p) => p.code === 'license_required')
      .map((p) => p.op);
    expect(refused).toEqual(expect.arrayContaining(['aispm.status', 'connectors.save', 'reports.deliver']));
  });

  it('enforcement continues without a valid license: the gate still allows, denies and routes approvals', async () => {
    // The default tenant has no license at all, and now also an expired then revoked one.
    await ok('evaluation', 'license.import', {
      document: demoLicense({ tenant: 'evaluation', licenseId: 'lic-eval-lapsing', expiresAt: new Date(clock + DAY) }),
    });
    clock += 2 * DAY;
    expect(((await ok('evaluation', 'license.status', {})) as { status: string }).status).toBe('expired');
    const ask = (command: string) =>
      askGate(
        {
          op: 'decide',
          adapter: 'exec',
          action: { type: 'execute_command', command, cwd: fx.home, agent: { id: 'runner', session: 's-lapsed' } },
        },
        { home: fx.home },
      );
    expect((await ask('git status')).outcome).toBe('allow');
    const denied = await ask('rm -rf /');
    expect(denied.outcome).toBe('deny');
    // An approval is still opened and routed; the adapter stops waiting and the action stays refused.
    const gated = await ask('node -e "console.log(1)"');
    expect(gated.outcome).not.toBe('allow');
    const requests = (await ok('evaluation', 'approvals.list', {})) as {
      requests: { ruleId: string | null }[];
    };
    expect(gated.reason).toMatch(/no approver decided/);
    expect(requests.requests.some((r) => r.ruleId?.endsWith('rce.inline-interpreter'))).toBe(true);
    // policy.evaluate (cavra evaluate) is enforcement too.
    const decision = (await ok('evaluation', 'policy.evaluate', {
      action: { type: 'read_file', path: '/srv/app/.env', cwd: '/srv/app' },
    })) as { decision: string };
    expect(decision.decision).toBe('deny');
    // Every decision was recorded in the ledger, which still verifies.
    const ledger = ledgers().ledger('evaluation');
    const decisions = (await ok('evaluation', 'evidence.query', { types: ['decision'], limit: 500 })) as {
      records: { decision: string | null }[];
    };
    expect(decisions.records.map((r) => r.decision)).toEqual(
      expect.arrayContaining(['allow', 'deny', 'require_approval']),
    );
    expect((await ledger.verify()).ok).toBe(true);
  }, 60_000);
});
