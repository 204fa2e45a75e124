import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloseoutInput, CloseoutResult, ContractClient, Job } from '../contract';
import { ContractError } from '../contract';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from '../evidence';
import type { EvidenceSigner } from '../evidence';
import type { CoreService } from '../service';
import { coreClient } from '../../test/support/contract-client';
import { tempHome } from '../../test/support/temp-home';
import { demoLicense, demoRevocationList } from '../../test/support/demo-license';
import { PACKET_FILES, verifyPacket } from '.';

// The trial closeout (SPEC §11 step 9) through the contract on a real core: a signed packet in
// the tenant archive whose decisions are the closeout record inside its evidence bundle.

const tenant = 'evaluation';
const on = { tenant };

async function finished(client: ContractClient, jobId: string, scope = on): Promise<Job> {
  for (let i = 0; i < 3000; i++) {
    const job = await client.call('jobs.get', { jobId }, scope);
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('job did not finish');
}

async function closeout(client: ContractClient, input: CloseoutInput, scope = on): Promise<CloseoutResult> {
  const job = await finished(client, (await client.call('trial.closeout', input, scope)).jobId, scope);
  expect(job.error, JSON.stringify(job.error)).toBeUndefined();
  return job.result as CloseoutResult;
}

const input: CloseoutInput = {
  pilotDecision: 'extend',
  feedback: 'Approvals were quick to route; we need the SIEM connector before production.',
  packageAccess: { removed: true, detail: 'npm registry token for evaluator@acme.example revoked' },
  license: 'surrender',
};

describe('trial closeout: a signed packet of the decisions, the license and the remaining blockers', () => {
  let home: { home: string; cleanup: () => void };
  let core: CoreService;
  let client: ContractClient;
  let signer: EvidenceSigner;
  let result: CloseoutResult;

  beforeAll(async () => {
    home = tempHome();
    ({ core, client } = coreClient(home.home));
    const host = (core as unknown as { gateHost: { tenants: { evidenceSigner(id: string): EvidenceSigner } } })
      .gateHost;
    signer = host.tenants.evidenceSigner(tenant);
    await client.call('license.import', { document: demoLicense({ tenant, licenseId: 'lic-closeout-1' }) }, on);
  });
  afterAll(async () => {
    await core.close();
    home.cleanup();
  });

  it('refuses an incomplete closeout, naming every missing field', async () => {
    const refused = await client
      .call('trial.closeout', { pilotDecision: 'maybe', feedback: ' ', packageAccess: { removed: true } } as never, on)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(ContractError);
    expect(refused).toMatchObject({ code: 'invalid_input' });
    // Every mistake at once, each naming its field.
    const fields = (refused as ContractError).issues.map((issue) => issue.field);
    expect(fields).toEqual(expect.arrayContaining(['pilotDecision', 'feedback', 'packageAccess.detail', 'license']));
  });

  it('surrenders the license, records the decisions first, and exports a packet that verifies offline', async () => {
    expect((await client.call('trial.status', {}, on)).steps[8]?.state).toBe('incomplete');
    result = await closeout(client, input);
    expect(result).toMatchObject({ pilotDecision: 'extend', license: { outcome: 'surrendered', status: 'suspended' } });
    expect(result.dir.startsWith(path.join(home.home, 'archive', tenant, 'closeout-'))).toBe(true);
    expect(result.readyForAispmProduction).toBe(false);
    expect(result.blockers.map((b) => b.validator)).toContain('identity');
    // Surrendered: the Enterprise workflows are locked from now on.
    expect((await client.call('license.status', {}, on)).status).toBe('suspended');

    const verified = await verifyPacket(result.dir);
    expect(verified.failure).toBeNull();
    expect(verified).toMatchObject({ ok: true, kind: 'closeout', tenant, readyForAispmProduction: false });
    expect(verified.closeout).toMatchObject({
      pilotDecision: 'extend',
      feedback: input.feedback,
      packageAccess: input.packageAccess,
      license: { licenseId: 'lic-closeout-1', outcome: 'surrendered', status: 'suspended' },
    });
    expect(verified.checked.join('\n')).toMatch(/closeout decisions against the closeout record \d+/);
    // The remaining blockers are the validator results recorded before the surrender: the license still passed.
    expect(verified.validators.find((v) => v.id === 'license')?.status).toBe('pass');

    const steps = (await client.call('trial.status', {}, on)).steps;
    const step = steps[8];
    expect(step).toMatchObject({ id: 'closeout', state: 'complete' });
    expect(step?.detail).toMatch(/pilot decision "extend", license surrendered, \d+ blockers remaining/);
    expect(step?.evidence).toHaveLength(2);
    // Step 1 says what happened to the license and what to do, not "no valid license yet".
    expect(steps[0]?.detail).toMatch(
      /was surrendered at the trial closeout on \S+ \(.*\), so Enterprise workflows are locked and the trial is over; to continue, import a new license/,
    );
    expect(steps[0]?.detail).not.toMatch(/yet/);
  });

  const copy = (name: string) => {
    const dir = path.join(home.home, name);
    fs.cpSync(result.dir, dir, { recursive: true });
    return dir;
  };
  const resign = (dir: string, edit: (predicate: Record<string, unknown>) => void) => {
    const file = path.join(dir, PACKET_FILES.envelope);
    const envelope = JSON.parse(fs.readFileSync(file, 'utf8')) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicate: Record<string, unknown>;
    };
    edit(statement.predicate);
    fs.writeFileSync(
      file,
      JSON.stringify(signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), signer)),
    );
    fs.writeFileSync(path.join(dir, PACKET_FILES.readable), JSON.stringify(statement.predicate, null, 2));
  };

  it('hand-editing the readable closeout fails', async () => {
    const dir = copy('edited-readable');
    const file = path.join(dir, PACKET_FILES.readable);
    const packet = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...packet, pilot_decision: 'proceed' }, null, 2));
    expect((await verifyPacket(dir)).failure).toMatch(/packet.json was edited/);
  });

  it('even re-signed with the tenant key, a closeout whose decisions differ from its record fails', async () => {
    const decision = copy('resigned-decision');
    resign(decision, (p) => {
      p.pilot_decision = 'proceed';
    });
    expect((await verifyPacket(decision)).failure).toMatch(/does not match its closeout record/);
    const license = copy('resigned-license');
    resign(license, (p) => {
      p.license = { ...(p.license as object), outcome: 'expires' };
    });
    expect((await verifyPacket(license)).failure).toMatch(/does not match its closeout record/);
    const ready = copy('resigned-ready');
    resign(ready, (p) => {
      p.ready_for_aispm_production = true;
      p.blockers = [];
    });
    expect((await verifyPacket(ready)).failure).toMatch(/ready_for_aispm_production says true/);
  });

  it('a license revoked by the vendor is recorded as revoked; a tenant without a license can still close out', async () => {
    const other = 'second';
    await client.call('tenants.create', { id: other, displayName: 'Second' }, { tenant: null } as never);
    const none = await closeout(client, { ...input, license: 'let_expire', pilotDecision: 'stop' }, { tenant: other });
    expect(none.license).toMatchObject({ outcome: 'none', status: 'missing' });
    expect((await verifyPacket(none.dir)).ok).toBe(true);
    await client.call(
      'license.import',
      { document: demoLicense({ tenant: other, licenseId: 'lic-revoked-1' }) },
      {
        tenant: other,
      },
    );
    await client.call(
      'license.revocations.import',
      { document: demoRevocationList([{ licenseId: 'lic-revoked-1', reason: 'evaluation ended by vendor' }]) },
      { tenant: other },
    );
    const revoked = await closeout(client, { ...input, license: 'let_expire' }, { tenant: other });
    expect(revoked.license.outcome).toBe('revoked');
    expect((await verifyPacket(revoked.dir)).closeout?.license.outcome).toBe('revoked');
  });
});
