import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationInput, OperationName, OperationOutput } from '../contract';
import { localEvaluationPrincipal } from '../identity';
import { KeychainSecretStore, probeKeychain } from '../secrets';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { tempHome } from '../../test/support/temp-home';
import { demoLicense } from '../../test/support/demo-license';

// AISPM through the contract, on a real core: real tenant, built-in packs, keychain-backed
// ledger, decisions made by the policy engine; the clock is the test's.
const DAY = 86_400_000;
let clock = Date.parse('2026-05-04T08:00:00.000Z');
let core: LocalCoreService;
let cleanup: () => void;
const tenant = 'evaluation';

async function call<K extends OperationName>(op: K, input: OperationInput<K>): Promise<OperationOutput<K>> {
  const response = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
  if (!response.ok) throw Object.assign(new Error(response.error.message), response.error);
  return response.value as OperationOutput<K>;
}

async function failure(op: OperationName, input: unknown) {
  const response = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
  if (response.ok) throw new Error(`${op} succeeded`);
  return response.error;
}

beforeAll(async () => {
  const probe = probeKeychain(new KeychainSecretStore('probe'));
  if (!probe.available) throw new Error(`No usable OS keychain; run under scripts/with-keyring.sh.\n${probe.reason}`);
  const temp = tempHome('cavra-aispm-service-');
  cleanup = temp.cleanup;
  core = createCore({ home: temp.home, shell: 'test', now: () => new Date(clock), log: () => undefined });
  // Licensed for the test's clock (AISPM is an Enterprise feature).
  await call('license.import', {
    document: demoLicense({
      tenant,
      notBefore: new Date(clock - 86_400_000),
      expiresAt: new Date(clock + 365 * 86_400_000),
    }),
  });
  const workspace = '/srv/work/payments-api';
  const actions: OperationInput<'policy.evaluate'>['action'][] = [
    { type: 'read_file', path: 'config/.env', cwd: workspace, repository: 'payments-api' },
    { type: 'execute_command', command: 'npm test', cwd: workspace, repository: 'payments-api' },
    { type: 'execute_command', command: 'terraform apply -auto-approve', cwd: workspace, repository: 'payments-api' },
    {
      type: 'git_operation',
      git: { args: ['push', '--force', 'origin', 'main'] },
      cwd: workspace,
      repository: 'payments-api',
    },
  ];
  for (const action of actions) {
    await call('policy.evaluate', { action: { ...action, agent: { id: 'claude-code', session: 's-1' } } });
  }
}, 60_000);

afterAll(async () => {
  await core?.close();
  cleanup?.();
});

describe('AISPM through the contract', () => {
  it('reads real gate decisions into findings, coverage and a score', async () => {
    const posture = await call('aispm.status', {});
    expect(posture.ingestion).toMatchObject({ behindRecords: 0 });
    const bySurface = Object.fromEntries(posture.coverage.surfaces.map((s) => [s.surface, s.state]));
    expect(bySurface).toMatchObject({
      secrets: 'enforced',
      infrastructure: 'approval_gated',
      source_control: 'enforced',
      runtime_commands: 'enforced',
      mcp_tools: 'not_observed',
      cicd: 'not_observed',
    });
    const { findings } = await call('aispm.findings.list', {});
    const titles = findings.map((f) => f.title);
    expect(titles.some((t) => t.startsWith('Denied by cavra-secrets/'))).toBe(true);
    expect(titles.some((t) => t.startsWith('Approval required by cavra-infrastructure/'))).toBe(true);
    const denied = findings.find((f) => f.title.startsWith('Denied by cavra-secrets/'));
    const evidence = await call('aispm.finding.evidence', { id: denied?.id as string });
    expect(evidence.total).toBe(1);
    expect(evidence.records[0]).toMatchObject({ type: 'decision', decision: 'deny', agent: 'claude-code' });
    const coverage = await call('aispm.coverage', {});
    expect(coverage.rows.map((r) => [r.repository, r.agent])).toEqual([['payments-api', 'claude-code']]);
  });

  it('assigns an owner and changes a status only by recording it first, and refuses a blank owner', async () => {
    const { findings } = await call('aispm.findings.list', { categories: ['activity'] });
    const target = findings[0];
    if (!target) throw new Error('no finding');
    const blank = await failure('aispm.finding.update', { id: target.id, owner: '   ' });
    expect(blank).toMatchObject({ code: 'invalid_input', field: 'owner' });
    expect(blank.message).toContain('principal id');
    const before = (await call('evidence.status', {})).size;
    const owned = await call('aispm.finding.update', {
      id: target.id,
      owner: ' secops@acme.example ',
      status: 'acknowledged',
    });
    expect(owned).toMatchObject({
      owner: 'secops@acme.example',
      status: 'acknowledged',
      statusBy: localEvaluationPrincipal.id,
    });
    const records = await call('evidence.query', { types: ['finding_triage'] });
    expect(records.records).toHaveLength(1);
    expect(records.records[0]?.seq).toBeGreaterThanOrEqual(before);
    const detail = await call('evidence.record', { seq: records.records[0]?.seq as number });
    expect(detail.payload).toMatchObject({
      finding_id: target.id,
      owner: 'secops@acme.example',
      status: 'acknowledged',
      by: localEvaluationPrincipal.id,
    });
    const mine = await call('aispm.findings.list', { owner: 'secops@acme.example' });
    expect(mine.findings.map((f) => f.id)).toEqual([target.id]);
    const unknown = await failure('aispm.finding.update', { id: 'fnd_0000000000000000', status: 'resolved' });
    expect(unknown).toMatchObject({ code: 'not_found', field: 'id' });
  });

  it('changes nothing when the ledger cannot record the change', async () => {
    const { findings } = await call('aispm.findings.list', { categories: ['activity'] });
    const target = findings.find((f) => f.owner === null);
    if (!target) throw new Error('no unowned finding');
    const db = core.gateHost.tenants as unknown as { store(t: string): { exec(sql: string): void } };
    db.store(tenant).exec(
      `CREATE TEMP TRIGGER aispm_fail BEFORE INSERT ON ledger_records BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    try {
      const refused = await core.invoke(localEvaluationPrincipal, {
        op: 'aispm.finding.update',
        tenant,
        input: { id: target.id, owner: 'someone@acme.example' },
      });
      expect(refused.ok).toBe(false);
    } finally {
      db.store(tenant).exec('DROP TRIGGER aispm_fail');
    }
    expect((await call('aispm.finding.get', { id: target.id })).owner).toBeNull();
  });

  it('accepts a risk until a date, and counts it open again once that date passes', async () => {
    const { findings } = await call('aispm.findings.list', { categories: ['activity'] });
    const target = findings.find((f) => f.status === 'open');
    if (!target) throw new Error('no open finding');
    const past = await failure('aispm.finding.accept_risk', {
      id: target.id,
      until: new Date(clock - DAY).toISOString(),
      note: 'x',
    });
    expect(past).toMatchObject({ code: 'invalid_input', field: 'until' });
    const noReason = await failure('aispm.finding.accept_risk', {
      id: target.id,
      until: new Date(clock + DAY).toISOString(),
      note: ' ',
    });
    expect(noReason).toMatchObject({ code: 'invalid_input', field: 'note' });
    const accepted = await call('aispm.finding.accept_risk', {
      id: target.id,
      until: new Date(clock + 3 * DAY).toISOString(),
      note: 'Pipeline migration in progress; revisit after the freeze.',
    });
    expect(accepted).toMatchObject({ status: 'accepted_risk', riskAcceptanceExpired: false });
    clock += 4 * DAY;
    const expired = await call('aispm.finding.get', { id: target.id });
    expect(expired).toMatchObject({ status: 'open', riskAcceptanceExpired: true });
  });

  it('makes an overdue review a finding; completing it records the reviewer and clears it', async () => {
    clock += 4 * DAY; // eight days after the ledger began: the weekly reviews are overdue
    const { reviews } = await call('aispm.reviews.list', {});
    const weekly = reviews.find((r) => r.kind === 'weekly_posture');
    expect(weekly).toMatchObject({ state: 'overdue', lastCompleted: null });
    expect(reviews.find((r) => r.kind === 'security_advisory_drill')?.state).toBe('scheduled');
    const finding = await call('aispm.finding.get', { id: weekly?.findingId as string });
    expect(finding).toMatchObject({ kind: 'review.overdue', status: 'open', category: 'review' });

    const packet = await call('aispm.review.packet', { kind: 'weekly_posture' });
    expect(packet.sections.map((s) => s.title)).toEqual([
      'Score',
      'Coverage by control surface',
      'New findings',
      'Resolved since the last review',
    ]);
    expect(packet.period.fromSeq).toBe(0);
    const wrong = await failure('aispm.review.complete', {
      kind: 'weekly_posture',
      packetSha256: 'f'.repeat(64),
      notes: 'ok',
    });
    expect(wrong).toMatchObject({ code: 'not_found', field: 'packetSha256' });
    const noNotes = await failure('aispm.review.complete', {
      kind: 'weekly_posture',
      packetSha256: packet.sha256,
      notes: '',
    });
    expect(noNotes).toMatchObject({ code: 'invalid_input', field: 'notes' });

    const done = await call('aispm.review.complete', {
      kind: 'weekly_posture',
      packetSha256: packet.sha256,
      notes: 'Score steady; secrets denial owned by secops.',
    });
    expect(done).toMatchObject({ state: 'scheduled', findingId: null });
    expect(done.lastCompleted).toMatchObject({ by: localEvaluationPrincipal.id, packetSha256: packet.sha256 });
    const cleared = await call('aispm.finding.get', { id: finding.id });
    expect(cleared).toMatchObject({ status: 'resolved', active: false });
    const record = await call('evidence.record', { seq: done.lastCompleted?.seq as number });
    expect(record.header.type).toBe('operating_review');
    expect(record.payload).toMatchObject({
      review: 'weekly_posture',
      by: localEvaluationPrincipal.id,
      notes: 'Score steady; secrets denial owned by secops.',
      packet_sha256: packet.sha256,
    });
    const evidence = await call('aispm.finding.evidence', { id: finding.id });
    expect(evidence.records.map((r) => r.seq)).toContain(done.lastCompleted?.seq);
    // The same packet cannot complete the review twice.
    const again = await failure('aispm.review.complete', {
      kind: 'weekly_posture',
      packetSha256: packet.sha256,
      notes: 'again',
    });
    expect(again).toMatchObject({ code: 'conflict' });
  });

  it('keeps a trend of the score', async () => {
    const { points } = await call('aispm.trend', { days: 30 });
    expect(points.length).toBeGreaterThanOrEqual(2);
    for (const point of points) expect(point.score).toBeGreaterThan(0);
  });
});
