import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionInput as Action, ContractClient, Job, PacketExportResult, ReadinessReport } from '../contract';
import { ContractError } from '../contract';
import { decisionRecord, signEnvelope, IN_TOTO_PAYLOAD_TYPE } from '../evidence';
import type { EvidenceLedgers } from '../evidence';
import type { CoreService } from '../service';
import type { SqliteDatabase } from '../store';
import { coreClient } from '../../test/support/contract-client';
import { tempHome } from '../../test/support/temp-home';
import { demoLicense, strangerSigner } from '../../test/support/demo-license';
import { localEvaluationPrincipal } from '../identity';
import { DEFAULT_CONTAINMENT_SETTINGS } from '../containment';
import { PACKET_FILES, ReadinessService, verifyPacket } from '.';

const tenant = 'evaluation';
const on = { tenant };

async function finished(client: ContractClient, jobId: string): Promise<Job> {
  for (let i = 0; i < 2000; i++) {
    const job = await client.call('jobs.get', { jobId }, on);
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('job did not finish');
}

async function result<T>(client: ContractClient, started: Promise<{ jobId: string }>): Promise<T> {
  const job = await finished(client, (await started).jobId);
  expect(job.error, JSON.stringify(job.error)).toBeUndefined();
  expect(job.state).toBe('succeeded');
  return job.result as T;
}

const byId = (report: ReadinessReport) => Object.fromEntries(report.validators.map((v) => [v.id, v]));

describe('readiness validators, gates and the signed packet', () => {
  let home: { home: string; cleanup: () => void };
  let core: CoreService;
  let client: ContractClient;
  let ledgers: EvidenceLedgers;
  let db: SqliteDatabase;

  beforeAll(async () => {
    home = tempHome();
    ({ core, client } = coreClient(home.home));
    const host = (
      core as unknown as { gateHost: { ledgers: EvidenceLedgers; tenants: { store(id: string): SqliteDatabase } } }
    ).gateHost;
    ledgers = host.ledgers;
    db = host.tenants.store(tenant);
  });
  afterAll(async () => {
    await core.close();
    home.cleanup();
  });

  it('is an Enterprise workflow: refused with license_required until a license enables readiness', async () => {
    const refused = await client.call('readiness.run', { gate: 'production' }, on).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ContractError);
    expect(refused).toMatchObject({ code: 'license_required' });
    expect((refused as Error).message).toMatch(/no valid license/);
    // A license without the readiness feature does not enable it either.
    await client.call('license.import', { document: demoLicense({ tenant, features: ['reports'] }) }, on);
    const locked = await client.call('readiness.run', { gate: 'production' }, on).then(
      () => null,
      (e: unknown) => e,
    );
    expect(locked).toMatchObject({ code: 'license_required' });
    expect((locked as Error).message).toMatch(/does not include the "readiness" feature/);
    await client.call('license.import', { document: demoLicense({ tenant, licenseId: 'lic-ready-1' }) }, on);
  });

  it('decisions made through policy.evaluate (cavra evaluate) never count as adapter traffic', async () => {
    const actions: Action[] = [
      { type: 'read_file', path: 'README.md' },
      { type: 'execute_command', command: 'npm test' },
      { type: 'git_operation', git: { args: ['push', 'origin', 'main'] } },
      { type: 'mcp_tool_call', mcp: { server: 'filesystem', tool: 'read_file', arguments: {} } },
    ];
    for (const action of actions) await client.call('policy.evaluate', { action }, on).catch(() => undefined);
    const report = await result<ReadinessReport>(client, client.call('readiness.run', { gate: 'production' }, on));
    const v = byId(report);
    expect(v.agent_workflows?.status).toBe('blocker');
    expect(v.agent_workflows?.message).toMatch(/No file, command, Git \(pre-push hook\), MCP/);
    expect(v.agent_workflows?.message).toMatch(/recorded by policy.evaluate were not intercepted/);
    expect(v.runtime_enforcement?.status).toBe('blocker');
  });

  it('the production gate runs every validator, records each, and is not ready while any blocks', async () => {
    const report = await result<ReadinessReport>(client, client.call('readiness.run', { gate: 'production' }, on));
    const v = byId(report);
    expect(report.validators).toHaveLength(12);
    expect(report.readyForAispmProduction).toBe(false);
    expect(report.rating).toBe('red');
    expect(v.license).toMatchObject({ status: 'pass' });
    expect(v.license?.evidence).toHaveLength(1);
    expect(v.evidence_integrity).toMatchObject({ status: 'pass' });
    expect(v.tenant_isolation?.status).toBe('pass');
    expect(v.tenant_isolation?.message).toMatch(/cross-tenant probes run now were all refused/);
    expect(v.report_delivery).toMatchObject({ status: 'blocker' });
    expect(v.report_delivery?.message).toMatch(/no report delivery was attempted/);
    expect(v.identity?.message).toMatch(/No SSO identity provider is configured/);
    expect(v.containment?.status).toBe('blocker');
    expect(report.blockers.map((b) => b.validator)).toEqual(
      expect.arrayContaining(['identity', 'containment', 'live_ingestion', 'report_delivery', 'agent_workflows']),
    );
    // Each result is a validator_result record carrying exactly what the report says.
    for (const result of report.validators) {
      const record = await client.call('evidence.record', { seq: result.record }, on);
      expect(record.header.type).toBe('validator_result');
      expect(record.payload).toMatchObject({
        run_id: report.runId,
        validator: result.id,
        status: result.status,
        message: result.message,
      });
    }
  });

  it('report delivery names the failed SMTP attempts; a delivery accepted by SMTP passes (pilot scoped to recipients)', async () => {
    const ledger = ledgers.ledger(tenant);
    const attempt = (outcome: 'accepted' | 'failed', id: string, extra: Record<string, unknown> = {}) => ({
      type: 'delivery' as const,
      payload: {
        delivery_id: id,
        event: 'attempt',
        connector: 'mail',
        connector_kind: 'smtp',
        purpose: 'report',
        idempotency_key: `<${id}@cavra>`,
        attempt: 1,
        outcome,
        recipients: ['ciso@acme.example'],
        ...extra,
      },
    });
    await ledger.append(attempt('failed', 'dlv-fail-1', { code: 'ECONNREFUSED', text: 'connect refused' }));
    let report = await result<ReadinessReport>(client, client.call('readiness.run', { gate: 'pilot' }, on));
    expect(byId(report).report_delivery?.message).toMatch(
      /dlv-fail-1 attempt 1 via mail failed \(ECONNREFUSED connect refused\)/,
    );
    expect(report.rating).toBe('red');
    expect(report.readyForAispmProduction).toBe(false);
    // The pilot gate does not run identity, containment or AISPM validators.
    expect(report.validators.map((v) => v.id)).not.toContain('identity');
    await ledger.append(
      attempt('accepted', 'dlv-ok-1', { code: '250', text: 'OK queued', accepted: ['ciso@acme.example'] }),
    );
    report = await result<ReadinessReport>(
      client,
      client.call('readiness.run', { gate: 'pilot', scope: { recipients: ['@acme.example'] } }, on),
    );
    expect(byId(report).report_delivery).toMatchObject({ status: 'pass' });
    expect(byId(report).report_delivery?.message).toMatch(/dlv-ok-1 .* \(250 OK queued\)/);
    report = await result<ReadinessReport>(
      client,
      client.call('readiness.run', { gate: 'pilot', scope: { recipients: ['@other.example'] } }, on),
    );
    expect(byId(report).report_delivery?.status).toBe('blocker');
  });

  it('workflow and enforcement validators pass on decision records from the gate adapters', async () => {
    const ledger = ledgers.ledger(tenant);
    const decide = (action: Action) => client.call('policy.evaluate', { action }, on);
    const records: [Action, string][] = [
      [{ type: 'write_file', path: 'src/a.ts', repository: 'acme/app' }, 'claude-code'],
      [{ type: 'execute_command', command: 'cat .env', repository: 'acme/app' }, 'claude-code'],
      [{ type: 'git_operation', git: { args: ['push', '--force', 'origin', 'main'] }, repository: 'acme/app' }, 'git'],
      [
        {
          type: 'mcp_tool_call',
          mcp: { server: 'filesystem', tool: 'read_file', arguments: {} },
          repository: 'acme/app',
        },
        'mcp-proxy',
      ],
    ];
    for (const [action, adapter] of records) {
      const decision = await decide(action);
      // As the gate records them: with the actor it verified from the transport.
      await ledger.append({
        type: 'decision',
        payload: decisionRecord(decision, {
          adapter,
          repository: action.repository,
          verifiedActor: { uid: 1000, name: 'dev', verifiedBy: 'peer_credentials' },
        }),
      });
    }
    let report = await result<ReadinessReport>(
      client,
      client.call('readiness.run', { gate: 'pilot', scope: { repository: 'acme/app' } }, on),
    );
    expect(byId(report).agent_workflows).toMatchObject({ status: 'pass' });
    expect(byId(report).agent_workflows?.evidence).toHaveLength(4);
    // The deny on `cat .env` was enforced at an adapter; no approval has been resolved there yet.
    expect(byId(report).runtime_enforcement?.status).toBe('blocker');
    expect(byId(report).runtime_enforcement?.message).not.toMatch(/[Nn]o deny was enforced/);
    expect(byId(report).runtime_enforcement?.message).toMatch(/No approval was resolved/);
    report = await result<ReadinessReport>(
      client,
      client.call('readiness.run', { gate: 'pilot', scope: { repository: 'acme/other' } }, on),
    );
    expect(byId(report).agent_workflows?.status).toBe('blocker');
  });

  it('tenant isolation blocks when the probe is answered across the boundary', async () => {
    const leaky = new ReadinessService({
      home: home.home,
      ledgers,
      entitlement: () => client.call('license.status', {}, on),
      containment: async () => DEFAULT_CONTAINMENT_SETTINGS,
      ingestion: async () => ({
        cursor: 0,
        ledgerSize: 0,
        behindRecords: 0,
        behindSeconds: 0,
        lastIngestedAt: null,
        unreadable: 0,
      }),
      sso: async () => null,
      surrenderLicense: () => Promise.reject(new Error('no closeout here')),
      // A guard that lets anyone read: what the probe exists to catch.
      invoke: async () => ({ ok: true, value: {} }),
      tenantIds: () => [tenant],
      signer: () => strangerSigner(),
      channel: 'demo',
    });
    const control = { signal: new AbortController().signal, progress: () => undefined };
    const report = await leaky.run(tenant, 'pilot', null, localEvaluationPrincipal, control);
    expect(byId(report).tenant_isolation?.status).toBe('blocker');
    expect(byId(report).tenant_isolation?.message).toMatch(/evidence.status by a principal with no role/);
    expect(byId(report).tenant_isolation?.message).toMatch(/was judged in "evaluation"/);
  });

  let exported: PacketExportResult;

  it('exports a signed packet with the evidence bundle beside it; it verifies offline and is not ready', async () => {
    exported = await result<PacketExportResult>(client, client.call('readiness.packet.export', {}, on));
    expect(exported.readyForAispmProduction).toBe(false);
    expect(exported.dir.startsWith(path.join(home.home, 'archive', tenant))).toBe(true);
    const verified = await verifyPacket(exported.dir);
    expect(verified.failure).toBeNull();
    expect(verified).toMatchObject({ ok: true, tenant, readyForAispmProduction: false });
    expect(verified.blockers.map((b) => b.validator)).toContain('identity');
    const viaContract = await result<{ ok: boolean }>(
      client,
      client.call('readiness.packet.verify', { path: exported.dir }, on),
    );
    expect(viaContract.ok).toBe(true);
  });

  const copy = (name: string) => {
    const dir = path.join(home.home, name);
    fs.cpSync(exported.dir, dir, { recursive: true });
    return dir;
  };

  it('hand-editing packet.json to say ready fails verification', async () => {
    const dir = copy('edited-readable');
    const file = path.join(dir, PACKET_FILES.readable);
    const packet = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    packet.ready_for_aispm_production = true;
    packet.blockers = [];
    fs.writeFileSync(file, JSON.stringify(packet, null, 2));
    const verified = await verifyPacket(dir);
    expect(verified.ok).toBe(false);
    expect(verified.failure).toMatch(/packet.json was edited/);
  });

  it('editing the signed payload, or re-signing it with another key, fails verification', async () => {
    const dir = copy('edited-envelope');
    const file = path.join(dir, PACKET_FILES.envelope);
    const envelope = JSON.parse(fs.readFileSync(file, 'utf8')) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicate: Record<string, unknown>;
    };
    statement.predicate.ready_for_aispm_production = true;
    statement.predicate.blockers = [];
    const body = Buffer.from(JSON.stringify(statement));
    fs.writeFileSync(file, JSON.stringify({ ...envelope, payload: body.toString('base64') }));
    expect((await verifyPacket(dir)).failure).toMatch(/does not verify|altered/);
    fs.writeFileSync(file, JSON.stringify(signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, strangerSigner())));
    expect((await verifyPacket(dir)).failure).toMatch(/altered or signed by another key/);
  });

  it('a packet beside another evidence bundle, or with an altered bundle, fails', async () => {
    const dir = copy('edited-bundle');
    const records = path.join(dir, 'evidence', 'records.jsonl');
    fs.appendFileSync(records, '\n');
    expect((await verifyPacket(dir)).failure).toMatch(/evidence bundle does not verify/);
  });

  it('evidence integrity blocks when a ledger row was edited in SQLite', async () => {
    db.prepare(`UPDATE ledger_records SET decision = 'allow' WHERE decision = 'deny'`).run();
    const report = await result<ReadinessReport>(client, client.call('readiness.run', { gate: 'pilot' }, on));
    expect(byId(report).evidence_integrity?.status).toBe('blocker');
    expect(byId(report).evidence_integrity?.message).toMatch(/does not verify/);
  });
});
