import { afterEach, describe, expect, it } from 'vitest';
import { ledgerSource } from './consumer';
import { findingKinds } from './kinds';
import { buildPacket } from './packets';
import { Projection } from './projection';
import type { FindingState } from './projection';
import { scorePosture, trendPoint } from './score';
import type { ConstructedLedger } from './testing';
import { DAY, HOUR, MINUTE, T0, constructedLedger, decisionPayload, rules } from './testing';

let fx: ConstructedLedger;
afterEach(async () => {
  await fx?.close();
});

const only = (findings: FindingState[], kind: string) => findings.filter((f) => f.kind === kind);

describe('configuration findings the ledger carries today', () => {
  it('raises an unassigned repository from a no-pack decision, and clears it when a pack is assigned', async () => {
    fx = constructedLedger();
    const seen = await fx.decide({ repository: 'legacy', basis: 'no_pack', decision: 'require_approval' });
    fx.checkpoint();
    let findings = (await fx.project(T0 + MINUTE, 'before')).projection.allFindings();
    expect(findings.map((f) => f.kind)).toEqual(['config.repository_unassigned']);
    expect(findings[0]).toMatchObject({
      subject: { repository: 'legacy' },
      status: 'open',
      severity: 'high',
      recent: [seen],
    });

    const assigned = await fx.append('config_change', {
      change: 'policy.assign',
      packs: ['cavra-baseline'],
      repository: 'legacy',
      by: 'admin@acme.example',
    });
    fx.checkpoint();
    findings = (await fx.project(T0 + MINUTE, 'after')).projection.allFindings();
    expect(findings[0]).toMatchObject({ status: 'resolved', statusBy: 'cavra', active: false });
    expect(findings[0]?.recent).toContain(assigned);
  });

  it('turns a changed MCP tool definition into one finding per server, linked to the change record', async () => {
    fx = constructedLedger();
    const fingerprint = 'a'.repeat(64);
    const change = await fx.append('mcp_tools', { server: 'filesystem', change: 'changed', fingerprint });
    const recorded = await fx.append('finding', {
      kind: 'mcp.tool_definitions_changed',
      severity: 'high',
      summary: 'MCP server filesystem changed its tool definitions (added: none; removed: none; redefined: write_file)',
      subject: { mcp_server: 'filesystem' },
      evidence: [change],
    });
    fx.checkpoint();
    const findings = (await fx.project(T0 + MINUTE)).projection.allFindings();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'config.mcp_tools_changed',
      severity: 'high',
      title: 'MCP server filesystem changed its tool definitions',
    });
    expect(findings[0]?.recent.sort()).toEqual([change, recorded].sort());
  });

  it('follows the tenant and packs into and out of shadow mode', async () => {
    fx = constructedLedger();
    await fx.append('config_change', { change: 'policy.settings', after: { mode: 'shadow' }, by: 'a' });
    await fx.decide({ rules: [{ ...rules.workflows, mode: 'shadow' }, rules.npmTest] });
    fx.checkpoint();
    let findings = (await fx.project(T0 + MINUTE, 'one')).projection.allFindings();
    expect(only(findings, 'config.tenant_shadow')[0]?.active).toBe(true);
    expect(only(findings, 'config.pack_shadow')[0]).toMatchObject({ subject: { pack: 'cavra-cicd' }, active: true });

    const enforce = await fx.append('config_change', {
      change: 'policy.settings',
      after: { mode: 'enforce' },
      by: 'a',
    });
    const enforced = await fx.decide({ rules: [rules.workflows] });
    fx.checkpoint();
    findings = (await fx.project(T0 + MINUTE, 'two')).projection.allFindings();
    expect(only(findings, 'config.tenant_shadow')[0]).toMatchObject({ active: false, status: 'resolved' });
    expect(only(findings, 'config.tenant_shadow')[0]?.recent).toContain(enforce);
    expect(only(findings, 'config.pack_shadow')[0]).toMatchObject({ active: false, status: 'resolved' });
    expect(only(findings, 'config.pack_shadow')[0]?.recent).toContain(enforced);
  });

  it('raises a denied approval as a near miss with the severity of its rule', async () => {
    fx = constructedLedger();
    await fx.decide({
      rules: [rules.iacApply],
      approval: { route: 'cavra-infrastructure/platform', state: 'pending', request_id: 'apr_1' },
    });
    const denied = await fx.append('approval', {
      request_id: 'apr_1',
      event: 'denied',
      by: 'reviewer@acme.example',
      reason: 'not during the freeze',
      action_sha256: 'b'.repeat(64),
      route: 'cavra-infrastructure/platform',
      rule_id: 'cavra-infrastructure/iac.apply',
    });
    fx.checkpoint();
    const findings = (await fx.project(T0 + MINUTE)).projection.allFindings();
    const nearMiss = only(findings, 'near_miss.approval_denied')[0];
    expect(nearMiss).toMatchObject({ severity: 'critical', subject: { rule: 'cavra-infrastructure/iac.apply' } });
    expect(nearMiss?.detail).toContain('not during the freeze');
    expect(nearMiss?.recent).toEqual([denied]);
  });

  it('raises evidence gaps and an unsigned tail, and clears the tail at the next checkpoint', async () => {
    fx = constructedLedger();
    const gap = await fx.append('gap', {
      source: 'gate/claude-code',
      reason: 'evidence for tenant acme cannot be signed',
    });
    const first = await fx.advance(MINUTE).decide({ rules: [rules.npmTest] });
    let findings = (await fx.project(T0 + 4 * MINUTE, 'early')).projection.allFindings();
    expect(only(findings, 'evidence.unsigned_tail')).toHaveLength(0);
    findings = (await fx.project(T0 + 10 * MINUTE, 'late')).projection.allFindings();
    expect(only(findings, 'evidence.gap')[0]).toMatchObject({
      severity: 'high',
      subject: { source: 'gate/claude-code' },
      recent: [gap],
    });
    expect(only(findings, 'evidence.unsigned_tail')[0]).toMatchObject({ active: true, status: 'open', recent: [gap] });
    expect(first).toBeGreaterThan(gap);

    const checkpoint = fx.at(T0 + 11 * MINUTE).checkpoint();
    findings = (await fx.project(T0 + 12 * MINUTE, 'late')).projection.allFindings();
    expect(only(findings, 'evidence.unsigned_tail')[0]).toMatchObject({ active: false, status: 'resolved' });
    expect(only(findings, 'evidence.unsigned_tail')[0]?.recent).toContain(checkpoint);
  });
});

describe('connector health from the outbox delivery records', () => {
  it('opens a failing connector at a failed attempt or an escalation, and clears it at the next accepted one', async () => {
    fx = constructedLedger();
    const delivery = (id: string, extra: Record<string, unknown>) =>
      fx.append('delivery', {
        delivery_id: id,
        connector: 'smtp-reports',
        connector_kind: 'smtp',
        purpose: 'report',
        idempotency_key: `<${id}@cavra>`,
        ...extra,
      });
    await delivery('d1', { event: 'queued' });
    const failed = await delivery('d1', {
      event: 'attempt',
      attempt: 1,
      outcome: 'failed',
      code: '421',
      text: 'try later',
    });
    await delivery('d2', { event: 'attempt', attempt: 1, outcome: 'interrupted' });
    fx.checkpoint();
    let findings = (await fx.project(T0 + MINUTE, 'one')).projection.allFindings();
    const failing = only(findings, 'connector.delivery_failing')[0];
    expect(failing).toMatchObject({
      active: true,
      status: 'open',
      subject: { connector: 'smtp-reports' },
      recent: [failed],
    });
    expect(failing?.detail).toContain('421 try later');

    const accepted = await delivery('d1', { event: 'attempt', attempt: 2, outcome: 'accepted', code: '250' });
    fx.checkpoint();
    findings = (await fx.project(T0 + MINUTE, 'one')).projection.allFindings();
    expect(only(findings, 'connector.delivery_failing')[0]).toMatchObject({ active: false, status: 'resolved' });
    expect(only(findings, 'connector.delivery_failing')[0]?.recent).toContain(accepted);

    await delivery('d3', { event: 'escalated', attempt: 5, text: 'No escalation route is configured for this tenant' });
    fx.checkpoint();
    findings = (await fx.project(T0 + MINUTE, 'one')).projection.allFindings();
    expect(only(findings, 'connector.delivery_failing')[0]).toMatchObject({
      active: true,
      status: 'open',
      occurrences: 2,
    });
  });
});

describe('findings that light up when other capabilities write their records', () => {
  it('hooks only in agent-writable settings, and judgement-only mode, open and close with their records', async () => {
    fx = constructedLedger();
    const weak = await fx.append('config_change', {
      change: 'hook.placement',
      adapter: 'claude-code',
      agent_writable: true,
      managed: false,
      path: '/work/repo/.claude/settings.json',
      by: 'cavra doctor',
    });
    const judgement = await fx.append('config_change', {
      change: 'containment.enforcement',
      before: 'sandbox',
      after: 'judgement_only',
      reason: 'bubblewrap unavailable on the build hosts',
      posture: 'weaker',
      by: 'admin@acme.example',
    });
    fx.checkpoint();
    let findings = (await fx.project(T0 + MINUTE, 'one')).projection.allFindings();
    expect(only(findings, 'config.hook_agent_writable')[0]).toMatchObject({
      active: true,
      severity: 'high',
      recent: [weak],
    });
    expect(only(findings, 'config.judgement_only')[0]).toMatchObject({ active: true, recent: [judgement] });

    await fx.append('config_change', {
      change: 'hook.placement',
      adapter: 'claude-code',
      agent_writable: false,
      managed: true,
      by: 'x',
    });
    await fx.append('config_change', {
      change: 'containment.enforcement',
      before: 'judgement_only',
      after: 'sandbox',
      by: 'x',
    });
    fx.checkpoint();
    findings = (await fx.project(T0 + MINUTE, 'two')).projection.allFindings();
    expect(only(findings, 'config.hook_agent_writable')[0]?.status).toBe('resolved');
    expect(only(findings, 'config.judgement_only')[0]?.status).toBe('resolved');
  });

  it('break-glass and self-approved decisions are findings, and break-glass makes the risk critical', async () => {
    fx = constructedLedger();
    const approval = {
      request_id: 'apr_bg',
      event: 'approved',
      by: 'oncall@acme.example',
      action_sha256: 'c'.repeat(64),
      route: 'cavra-infrastructure/platform',
      rule_id: 'cavra-infrastructure/iac.apply',
    };
    const glass = await fx.append('approval', { ...approval, break_glass: true, reason: 'production down' });
    const self = await fx.append('approval', { ...approval, request_id: 'apr_self', self_approved: true });
    // A finding record for the same break-glass (as the approvals capability may also write) is the same finding.
    await fx.append('finding', {
      kind: 'approval.break_glass',
      severity: 'critical',
      summary: 'break-glass',
      subject: { request_id: 'apr_bg' },
    });
    await fx.decide({ rules: [rules.npmTest] });
    fx.checkpoint();
    const { projection, posture } = await fx.project(T0 + MINUTE);
    const findings = projection.allFindings();
    expect(only(findings, 'approval.break_glass')).toHaveLength(1);
    expect(only(findings, 'approval.break_glass')[0]).toMatchObject({ severity: 'critical', occurrences: 2 });
    expect(only(findings, 'approval.break_glass')[0]?.recent[0]).toBe(glass);
    expect(only(findings, 'approval.self_approved')[0]).toMatchObject({ severity: 'high', recent: [self] });
    expect(posture.riskLevel).toBe('critical');
    expect(posture.riskReasons.join(' ')).toContain('Break-glass');
  });

  it('connector expiring credentials (a field connectors do not write yet), read from any record naming them', () => {
    const projection = new Projection(null, (p, bucket, now) =>
      trendPoint(p.allFindings(), p.allCells(), p.facts, bucket, now),
    );
    projection.apply({
      seq: 0,
      timeMs: T0,
      type: 'connector_health',
      payload: JSON.stringify({
        connector: 'smtp-reports',
        credentials_expire_at: new Date(T0 + 30 * DAY).toISOString(),
      }),
    });
    projection.advanceClock(T0 + 10 * DAY);
    expect(only(projection.allFindings(), 'connector.credentials_expiring')).toHaveLength(0);
    projection.advanceClock(T0 + 20 * DAY);
    expect(only(projection.allFindings(), 'connector.credentials_expiring')[0]).toMatchObject({
      subject: { connector: 'smtp-reports' },
      active: true,
      recent: [0],
    });
    expect(projection.facts.counts.unknownTypes).toBe(1);
  });

  it('names which kinds are wired today and what each reads', () => {
    const notWired = Object.entries(findingKinds)
      .filter(([, spec]) => !spec.wired)
      .map(([kind]) => kind)
      .sort();
    expect(notWired).toEqual([
      'approval.break_glass',
      'approval.self_approved',
      'config.hook_agent_writable',
      'config.judgement_only',
      'connector.credentials_expiring',
    ]);
    for (const spec of Object.values(findingKinds)) expect(spec.reads.length).toBeGreaterThan(20);
  });
});

describe('records AISPM cannot read', () => {
  it('are a finding of their own and count for nothing else (an old decision shape)', () => {
    const projection = new Projection(null, (p, bucket, now) =>
      trendPoint(p.allFindings(), p.allCells(), p.facts, bucket, now),
    );
    const current = decisionPayload({ rules: [rules.envRead] });
    const { adapter: _adapter, ...old } = { ...current, correlation_id: current.decision.correlation_id };
    projection.apply({ seq: 0, timeMs: T0, type: 'decision', payload: JSON.stringify(old) });
    projection.apply({ seq: 1, timeMs: T0, type: 'decision', payload: '{not json' });
    projection.apply({ seq: 2, timeMs: T0, type: 'decision', payload: null });
    const findings = projection.allFindings();
    expect(findings.map((f) => [f.kind, f.subject.type, f.occurrences])).toEqual([
      ['evidence.unreadable', 'decision', 2],
    ]);
    expect(projection.allCells()).toHaveLength(0);
    expect(projection.facts.counts).toMatchObject({ ingested: 3, unreadable: 2, pruned: 1 });
    expect(scorePosture(findings, [], projection.facts, T0).risk.findings).toHaveLength(1);
  });
});

describe('operating reviews on the ledger', () => {
  it('are overdue one cadence after the ledger began; completing one clears only its finding, until it is due again', async () => {
    fx = constructedLedger();
    await fx.decide({ rules: [rules.npmTest] });
    fx.checkpoint();
    let findings = (await fx.project(T0 + 6 * DAY, 'day6')).projection.allFindings();
    expect(only(findings, 'review.overdue')).toHaveLength(0);
    findings = (await fx.project(T0 + 8 * DAY, 'day8')).projection.allFindings();
    const overdue = only(findings, 'review.overdue')
      .filter((f) => f.active)
      .map((f) => f.subject.review)
      .sort();
    expect(overdue).toEqual(['approvals_exceptions', 'connector_health', 'open_findings', 'weekly_posture']);

    const completed = await fx.at(T0 + 8 * DAY + HOUR).append('operating_review', {
      review: 'weekly_posture',
      by: 'ciso@acme.example',
      notes: 'Score steady; two near misses assigned.',
      packet_sha256: 'd'.repeat(64),
      period: { from_seq: 0, to_seq: 1 },
      summary: { Score: 1 },
    });
    fx.checkpoint();
    const { projection } = await fx.project(T0 + 8 * DAY + 2 * HOUR, 'day8');
    const weekly = projection
      .allFindings()
      .find((f) => f.kind === 'review.overdue' && f.subject.review === 'weekly_posture');
    expect(weekly).toMatchObject({ status: 'resolved', active: false });
    expect(weekly?.recent).toContain(completed);
    expect(projection.facts.reviews.weekly_posture).toMatchObject({ by: 'ciso@acme.example', seq: completed });
    expect(
      projection
        .allFindings()
        .filter((f) => f.kind === 'review.overdue' && f.active)
        .map((f) => f.subject.review)
        .sort(),
    ).toEqual(['approvals_exceptions', 'connector_health', 'open_findings']);

    const again = (await fx.project(T0 + 15 * DAY + 2 * HOUR, 'day8')).projection.allFindings();
    expect(again.find((f) => f.id === weekly?.id)).toMatchObject({ status: 'open', active: true });
  });

  it('build packets from the records of their period: report deliveries with their acceptance, connector health', async () => {
    fx = constructedLedger();
    const delivery = (id: string, purpose: string, extra: Record<string, unknown>) =>
      fx.append('delivery', {
        delivery_id: id,
        connector: purpose === 'report' ? 'smtp-reports' : 'siem',
        connector_kind: purpose === 'report' ? 'smtp' : 'syslog',
        purpose,
        idempotency_key: id,
        ...extra,
      });
    await delivery('r1', 'report', { event: 'queued' });
    const acceptedReport = await delivery('r1', 'report', {
      event: 'attempt',
      attempt: 1,
      outcome: 'accepted',
      code: '250',
    });
    await delivery('n1', 'notification', { event: 'attempt', attempt: 1, outcome: 'failed', code: null });
    fx.checkpoint();
    const { projection } = await fx.project(T0 + MINUTE);
    const packetOf = (kind: 'report_delivery_audit' | 'connector_health') =>
      buildPacket({ kind, tenant: 'acme', projection, ledger: ledgerSource(fx.ledger), trend: [], nowMs: T0 + MINUTE });
    const audit = packetOf('report_delivery_audit');
    expect(audit.sections[0]?.summary).toBe('1 report delivery attempts in this period. 1 accepted by the server.');
    expect(audit.sections[0]?.items.map((i) => i.seqs)).toEqual([[acceptedReport]]);
    const health = packetOf('connector_health');
    expect(health.sections.map((section) => section.title)).toEqual([
      'Connector findings',
      'Deliveries per connector',
      'Delivery attempts',
    ]);
    expect(health.sections[1]?.items.map((i) => i.text)).toEqual([
      'siem: 0 accepted, 1 failed, 0 escalated',
      'smtp-reports: 1 accepted, 0 failed, 0 escalated',
    ]);
    expect(health.sections[0]?.items[0]?.text).toContain('Deliveries through connector siem are failing');
    // The digest covers the content: the same packet made twice differs only by its time.
    expect(audit.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
