import { afterEach, describe, expect, it } from 'vitest';
import type { ConstructedLedger } from './testing';
import { DAY, HOUR, MINUTE, T0, constructedLedger, rules } from './testing';

// Score, coverage and findings on constructed ledgers whose answers are worked out by hand
// from the formula in README.md: coverage = Σ (40/6) × factor, risk = 60 × e^(−W/60).
const SURFACE = 40 / 6;
const risk = (weight: number) => 60 * Math.exp(-weight / 60);
const round1 = (value: number) => Math.round(value * 10) / 10;

let fx: ConstructedLedger;
afterEach(async () => {
  await fx?.close();
});

describe('a ledger with only shadow-mode decisions', () => {
  it('shows shadow coverage, near misses instead of blocked actions, and the score the formula gives', async () => {
    fx = constructedLedger();
    const settings = await fx.append('config_change', {
      change: 'policy.settings',
      before: { mode: 'enforce' },
      after: { mode: 'shadow' },
      by: 'admin@acme.example',
    });
    const first = await fx.advance(MINUTE).decide({ rules: [rules.envRead], mode: 'shadow', target: 'config/.env' });
    const second = await fx.advance(MINUTE).decide({ rules: [rules.envRead], mode: 'shadow', target: '.env.prod' });
    await fx.advance(MINUTE).decide({ rules: [rules.npmTest], mode: 'shadow', target: 'npm test' });
    fx.checkpoint();
    const { projection, posture } = await fx.project(T0 + HOUR);

    const states = Object.fromEntries(posture.coverage.surfaces.map((s) => [s.surface, s.state]));
    expect(states).toEqual({
      secrets: 'shadow',
      infrastructure: 'not_observed',
      source_control: 'not_observed',
      cicd: 'not_observed',
      mcp_tools: 'not_observed',
      runtime_commands: 'shadow',
    });
    const open = projection.allFindings().filter((f) => f.status === 'open');
    expect(open.map((f) => f.kind).sort()).toEqual(['config.tenant_shadow', 'near_miss.shadow']);
    const nearMiss = open.find((f) => f.kind === 'near_miss.shadow');
    expect(nearMiss).toMatchObject({
      severity: 'high',
      occurrences: 2,
      subject: { rule: 'cavra-secrets/secrets.env-read' },
    });
    expect(nearMiss?.recent).toEqual([first, second]);
    expect(open.find((f) => f.kind === 'config.tenant_shadow')?.recent).toEqual([settings]);
    // Nothing was enforced, so nothing counts as blocked.
    expect(projection.allFindings().some((f) => f.kind.startsWith('activity.'))).toBe(false);

    // Coverage: two surfaces in shadow (factor 0.25 each). Risk: one open high near miss (6 × 1);
    // the shadow-mode configuration weighs 0 because coverage already counts it.
    const expectedCoverage = SURFACE * 0.25 * 2;
    const expectedRisk = risk(6);
    expect(posture.coverage.points).toBeCloseTo(expectedCoverage, 2);
    expect(posture.risk.points).toBeCloseTo(expectedRisk, 2);
    expect(posture.score).toBe(round1(expectedCoverage + expectedRisk));
    expect(posture.score).toBe(57.6);
    expect(posture.riskLevel).toBe('high');
  });
});

describe('a ledger with no MCP traffic', () => {
  it('says MCP tools are not observed and scores them 0, whatever else is enforced', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.envRead], target: 'config/.env' });
    await fx
      .advance(MINUTE)
      .decide({ rules: [rules.iacApply], target: 'terraform apply', actionType: 'execute_command' });
    await fx
      .advance(MINUTE)
      .decide({ rules: [rules.forcePush], actionType: 'git_operation', target: 'push --force origin main' });
    await fx
      .advance(MINUTE)
      .decide({ rules: [rules.workflows], actionType: 'write_file', target: '.github/workflows/ci.yml' });
    await fx.advance(MINUTE).decide({ rules: [rules.npmTest], target: 'npm test' });
    fx.checkpoint();
    const { projection, posture } = await fx.project(T0 + HOUR);

    const bySurface = Object.fromEntries(posture.coverage.surfaces.map((s) => [s.surface, s]));
    expect(bySurface.mcp_tools).toMatchObject({ state: 'not_observed', points: 0, repositories: [] });
    expect(bySurface.infrastructure?.state).toBe('approval_gated');
    for (const surface of ['secrets', 'source_control', 'cicd', 'runtime_commands'] as const) {
      expect(bySurface[surface]?.state).toBe('enforced');
    }
    const kinds = projection
      .allFindings()
      .map((f) => `${f.kind} ${f.subject.rule}`)
      .sort();
    expect(kinds).toEqual([
      'activity.approval_required cavra-infrastructure/iac.apply',
      'activity.denied cavra-cicd/cicd.github-actions',
      'activity.denied cavra-secrets/secrets.env-read',
      'activity.denied cavra-source-control/git.force-push-protected',
    ]);
    // Coverage 1 + 0.75 + 1 + 1 + 1 + 0; blocked activity weighs a quarter:
    // W = 0.25 × (6 + 10 + 6) for the denials + 0.25 × 10 for the approval = 8.
    const expectedCoverage = SURFACE * 4.75;
    expect(posture.coverage.points).toBeCloseTo(expectedCoverage, 2);
    expect(posture.risk.weight).toBe(8);
    expect(posture.score).toBe(round1(expectedCoverage + risk(8)));
    expect(posture.score).toBe(84.2);
    expect(posture.riskLevel).toBe('low');
  });
});

describe('a ledger with a stale surface', () => {
  it('raises stale evidence for the quiet surface only, and clears it when evidence returns', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.templateRead], actionType: 'read_file', target: '.env.example' });
    const lastRuntime = await fx.advance(MINUTE).decide({ rules: [rules.npmTest], target: 'npm test' });
    fx.checkpoint();
    // Two days later: runtime commands (window 1 day) are stale; secrets (7 days) are not.
    const { projection, posture } = await fx.project(T0 + 2 * DAY);
    const stale = projection.allFindings().filter((f) => f.kind === 'evidence.stale_surface');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ subject: { surface: 'runtime_commands' }, status: 'open', active: true });
    expect(stale[0]?.recent).toEqual([lastRuntime]);
    const bySurface = Object.fromEntries(posture.coverage.surfaces.map((s) => [s.surface, s]));
    expect(bySurface.runtime_commands?.stale).toBe(true);
    expect(bySurface.secrets?.stale).toBe(false);
    // Coverage 2 × 40/6; W = medium (3) × 0.5 for stale evidence.
    expect(posture.score).toBe(round1(SURFACE * 2 + risk(1.5)));
    expect(posture.score).toBe(71.9);
    expect(posture.riskLevel).toBe('medium');

    const fresh = await fx.at(T0 + 2 * DAY + MINUTE).decide({ rules: [rules.npmTest], target: 'npm test' });
    const { projection: after } = await fx.project(T0 + 2 * DAY + 2 * MINUTE);
    const cleared = after.allFindings().find((f) => f.kind === 'evidence.stale_surface');
    expect(cleared).toMatchObject({ status: 'resolved', statusBy: 'cavra', active: false });
    expect(cleared?.recent).toContain(fresh);
  });
});

describe('the score', () => {
  it('counts findings, not events: a thousand denials by one rule weigh what one does', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.envRead] });
    fx.checkpoint();
    const once = (await fx.project(T0 + HOUR, 'once')).posture;
    await Promise.all(Array.from({ length: 999 }, () => fx.decide({ rules: [rules.envRead] })));
    fx.checkpoint();
    const { projection, posture } = await fx.project(T0 + HOUR, 'many');
    const denied = projection.allFindings().filter((f) => f.kind === 'activity.denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ occurrences: 1000, evidenceCount: 1000 });
    expect(posture.score).toBe(once.score);
    expect(posture.coverage.surfaces.find((s) => s.surface === 'secrets')?.repositories).toHaveLength(1);
  });

  it('counts an approval-gated action once, with the record of its outcome joining it', async () => {
    fx = constructedLedger();
    const asked = await fx.decide({
      rules: [rules.iacApply],
      approval: { route: 'cavra-infrastructure/platform', state: 'pending', request_id: 'apr_1' },
      correlationId: 'cor-apply',
    });
    await fx.advance(MINUTE).decide({
      rules: [rules.iacApply],
      decision: 'allow',
      wouldBe: 'require_approval',
      approval: { route: 'cavra-infrastructure/platform', state: 'approved', request_id: 'apr_1' },
      correlationId: 'cor-apply',
    });
    fx.checkpoint();
    const { projection } = await fx.project(T0 + HOUR);
    const findings = projection.allFindings();
    expect(findings.map((f) => f.kind)).toEqual(['activity.approval_required']);
    expect(findings[0]).toMatchObject({ occurrences: 1, recent: [asked] });
    const cells = projection.allCells();
    expect(cells).toHaveLength(1);
    expect(cells[0]).toMatchObject({ decisions: 1, approvalGated: 1, allowed: 0 });
  });

  it('does not saturate: every further distinct high finding still lowers it, up to thirty', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.npmTest] });
    fx.checkpoint();
    const scores = [(await fx.project(T0 + HOUR, 'k0')).posture.score];
    for (let k = 1; k <= 30; k++) {
      await fx.append('finding', { kind: `test.weakness-${k}`, severity: 'high', summary: `weakness ${k}` });
      fx.checkpoint();
      scores.push((await fx.project(T0 + HOUR, `k${k}`)).posture.score);
    }
    for (let k = 1; k <= 30; k++) expect(scores[k], `finding ${k}`).toBeLessThan(scores[k - 1] as number);
    // A handful of high findings leaves most of the risk points standing.
    expect((scores[0] as number) - (scores[5] as number)).toBeCloseTo(60 - risk(30), 0);
    expect(scores[5]).toBeGreaterThan(40);
  });

  it('is explainable: the parts add up to the score and every deduction leads to its records', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.envRead], repository: 'payments-api' });
    await fx.decide({ rules: [{ ...rules.envRead, mode: 'shadow' }, rules.templateRead], repository: 'web' });
    await fx.decide({ rules: [rules.iacApply], repository: 'infra' });
    await fx.append('gap', { source: 'gate/claude-code', reason: 'could not sign' });
    fx.checkpoint();
    const { projection, posture } = await fx.project(T0 + HOUR);
    const surfaceSum = posture.coverage.surfaces.reduce((sum, s) => sum + s.points, 0);
    expect(surfaceSum).toBeCloseTo(posture.coverage.points, 1);
    for (const surface of posture.coverage.surfaces) {
      const repoSum = surface.repositories.reduce((sum, r) => sum + r.points, 0);
      expect(repoSum).toBeCloseTo(surface.points, 1);
      for (const repository of surface.repositories) expect(repository.examples.length).toBeGreaterThan(0);
    }
    // Secrets: enforced in payments-api (1), shadow in web (0.25): the mean.
    const secrets = posture.coverage.surfaces.find((s) => s.surface === 'secrets');
    expect(secrets?.factor).toBeCloseTo(0.625, 4);
    expect(secrets?.state).toBe('shadow');
    const deductions = posture.risk.findings.reduce((sum, f) => sum + f.deduction, 0);
    expect(deductions).toBeCloseTo(posture.risk.max - posture.risk.points, 1);
    expect(posture.coverage.points + posture.risk.points).toBeCloseTo(posture.score, 0);
    const size = fx.ledger.size();
    for (const contributor of posture.risk.findings) {
      const finding = projection.finding(contributor.id);
      expect(finding?.evidenceCount).toBeGreaterThan(0);
      for (const seq of finding?.recent ?? []) expect(seq).toBeLessThan(size);
    }
    expect(posture.risk.findings.map((f) => f.kind).sort()).toEqual([
      'activity.approval_required',
      'activity.denied',
      'evidence.gap',
      'near_miss.shadow',
    ]);
  });

  it('keeps an hourly trend that follows the evidence', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.npmTest] });
    await fx.at(T0 + HOUR + MINUTE).decide({ rules: [{ ...rules.workflows, mode: 'shadow' }, rules.npmTest] });
    await fx.at(T0 + 2 * HOUR + MINUTE).append('gap', { source: 'gate/exec', reason: 'ledger busy' });
    await fx.at(T0 + 3 * HOUR + MINUTE).decide({ rules: [rules.npmTest] });
    fx.checkpoint();
    const { consumer, repository } = fx.consumer();
    await consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: T0 + 3 * HOUR + 2 * MINUTE });
    const points = await repository.trend(0);
    expect(points.map((p) => p.atMs)).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]);
    const scores = points.map((p) => p.score);
    expect(scores[1]).toBeLessThan(scores[0] as number);
    expect(scores[2]).toBeLessThan(scores[1] as number);
    expect(points[2]?.open.high).toBeGreaterThanOrEqual(1);
  });
});
