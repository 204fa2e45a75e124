import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractClient, Job, TrialStatus } from '../contract';
import type { CoreService } from '../service';
import { coreClient } from '../../test/support/contract-client';
import { tempHome } from '../../test/support/temp-home';
import { demoLicense } from '../../test/support/demo-license';

const tenant = 'evaluation';
const on = { tenant };

const states = (status: TrialStatus) => Object.fromEntries(status.steps.map((s) => [s.id, s.state]));

async function finished(client: ContractClient, jobId: string): Promise<Job> {
  for (let i = 0; i < 2000; i++) {
    const job = await client.call('jobs.get', { jobId }, on);
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('job did not finish');
}

describe('the guided trial home: nine steps derived from evidence', () => {
  let home: { home: string; cleanup: () => void };
  let core: CoreService;
  let client: ContractClient;
  const open = () => ({ core, client } = coreClient(home.home));
  beforeAll(() => {
    home = tempHome();
    open();
  });
  afterAll(async () => {
    await core.close();
    home.cleanup();
  });

  it('on a fresh install only the tenant step is complete; each step says what is missing', async () => {
    const status = await client.call('trial.status', {}, on);
    expect(status.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(states(status)).toEqual({
      tenant: 'complete',
      roles: 'incomplete',
      policy: 'incomplete',
      workflow: 'incomplete',
      approval: 'incomplete',
      aispm: 'incomplete',
      report: 'incomplete',
      packet: 'incomplete',
      closeout: 'incomplete',
    });
    expect(status.complete).toBe(1);
    const byId = Object.fromEntries(status.steps.map((s) => [s.id, s]));
    expect(byId.tenant?.detail).toMatch(/No license is imported for tenant "evaluation": import the license file/);
    expect(byId.tenant?.screen).toBe('license');
    expect(byId.policy?.detail).toMatch(/No pack is assigned to a repository/);
    expect(byId.packet?.screen).toBe('readiness');
    expect(byId.roles?.detail).toMatch(/No SSO identity provider is configured/);
    expect(byId.aispm?.detail).toMatch(/No adapter traffic .* for AISPM to ingest/);
    expect(byId.aispm?.screen).toBe('aispm');
  });

  it('steps complete from evidence, and the progress survives a restart', async () => {
    await client.call('policy.assign', { packId: 'cavra-secrets', repository: 'acme/app' }, on);
    await client.call('license.import', { document: demoLicense({ tenant }) }, on);
    const { jobId } = await client.call('readiness.packet.export', {}, on);
    expect((await finished(client, jobId)).state).toBe('succeeded');
    await core.close();
    open();
    const status = await client.call('trial.status', {}, on);
    const byId = Object.fromEntries(status.steps.map((s) => [s.id, s]));
    expect(byId.policy).toMatchObject({ state: 'complete' });
    expect(byId.policy?.detail).toMatch(/cavra-secrets assigned to repository acme\/app/);
    expect(byId.policy?.evidence).toHaveLength(1);
    expect(byId.packet?.state).toBe('incomplete');
    expect(byId.packet?.detail).toMatch(/exported with \d+ blockers/);
    expect(byId.tenant?.detail).toMatch(/License: trial/);
    // Undoing the assignment undoes the step.
    await client.call('policy.unassign', { packId: 'cavra-secrets', repository: 'acme/app' }, on);
    expect(states(await client.call('trial.status', {}, on)).policy).toBe('incomplete');
  });
});
