import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, createContractClient } from '../contract';
import type { ContractClient, Job } from '../contract';
import { localEvaluationPrincipal } from '../identity';
import { requireKeychain } from '../evidence/testing';
import { tempHome } from '../../test/support/temp-home';
import { createCore, createInMemoryTransport } from './index';
import type { CoreService } from './index';

beforeAll(requireKeychain);

const DAY = 86_400_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
});

/** A core on a clock the test moves, with the contract client the console uses. */
function setup(): { client: ContractClient; clock: { now: number }; core: CoreService } {
  const { home, cleanup } = tempHome();
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const core = createCore({ home, shell: 'test', now: () => new Date(clock.now), log: () => undefined });
  cleanups.push(async () => {
    await core.close();
    cleanup();
  });
  return { client: createContractClient(createInMemoryTransport(core, localEvaluationPrincipal)), clock, core };
}

async function finished(client: ContractClient, jobId: string, tenant = 'evaluation'): Promise<Job> {
  for (let i = 0; i < 400; i++) {
    const job = await client.call('jobs.get', { jobId }, { tenant });
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('job did not finish');
}

const tenant = { tenant: 'evaluation' };

describe('evidence operations', () => {
  it('retention: prunes only past the period, never under legal hold, and the ledger still verifies', async () => {
    const { client, clock } = setup();
    for (const command of ['ls', 'npm test', 'cat .env']) {
      await client.call('policy.evaluate', { action: { type: 'execute_command', command } }, tenant);
    }
    const before = await client.call('evidence.query', { types: ['decision'] }, tenant);
    expect(before.records).toHaveLength(3);

    await client.call('evidence.retention.set', { days: 30, legalHold: true }, tenant);
    clock.now += 31 * DAY;
    expect(await client.call('evidence.prune', {}, tenant)).toMatchObject({ pruned: 0, reason: 'legal hold' });

    await client.call('evidence.retention.set', { days: 30, legalHold: false }, tenant);
    const pruned = await client.call('evidence.prune', {}, tenant);
    expect(pruned.pruned).toBeGreaterThanOrEqual(3);
    expect(pruned.tombstone).not.toBeNull();

    const after = await client.call('evidence.query', { types: ['decision'] }, tenant);
    expect(after.records.every((record) => record.pruned)).toBe(true);
    const record = await client.call('evidence.record', { seq: after.records[0]?.seq ?? 0 }, tenant);
    expect(record.payload).toBeNull();
    expect(record.prunedBy).toBe(pruned.tombstone);

    const { jobId } = await client.call('evidence.verify', {}, tenant);
    const job = await finished(client, jobId);
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ ok: true });
    // The retention changes themselves are evidence.
    const changes = await client.call('evidence.query', { types: ['config_change'] }, tenant);
    expect(changes.records.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses bad retention values naming the field', async () => {
    const { client } = setup();
    for (const days of [0, -1, 1.5, 40_000]) {
      const error = await client
        .call('evidence.retention.set', { days, legalHold: false }, tenant)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContractError);
      expect(error).toMatchObject({ code: 'invalid_input', field: 'days' });
    }
  });

  it('exports into the tenant archive as a job, and refuses unknown record types by name', async () => {
    const { client, core } = setup();
    await client.call('policy.evaluate', { action: { type: 'read_file', path: '.env' } }, tenant);
    const { jobId } = await client.call('evidence.export', {}, tenant);
    const job = await finished(client, jobId);
    expect(job.state).toBe('succeeded');
    expect((job.result as { dir: string }).dir.startsWith(`${core.home}/archive/evaluation/evidence-`)).toBe(true);
    const error = await client.call('evidence.query', { types: ['decisions'] }, tenant).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input', field: 'types' });
  });

  it("bundle verify reads the caller's own archive or a bundle outside the data directory, never another tenant's", async () => {
    const { client, core } = setup();
    await client.call('tenants.create', { id: 'other-co', displayName: 'Other Co' });
    const exported: Record<string, string> = {};
    for (const id of ['evaluation', 'other-co']) {
      await client.call('policy.evaluate', { action: { type: 'read_file', path: '.env' } }, { tenant: id });
      const { jobId } = await client.call('evidence.export', {}, { tenant: id });
      const job = await finished(client, jobId, id);
      expect(job.state).toBe('succeeded');
      exported[id] = (job.result as { dir: string }).dir;
    }
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-picked-'));
    cleanups.push(() => fs.rmSync(outside, { recursive: true, force: true }));
    fs.symlinkSync(exported['other-co'] as string, path.join(outside, 'link-into-home'));
    fs.cpSync(exported['other-co'] as string, path.join(outside, 'copied'), { recursive: true });

    const verify = async (p: string) => {
      const started = await client.call('evidence.bundle.verify', { path: p }, tenant).catch((e: unknown) => e);
      if (started instanceof ContractError) return started;
      return finished(client, (started as { jobId: string }).jobId);
    };
    // Into another tenant's data, by any spelling, whether it exists or not: refused, the same way.
    const attempts = [
      exported['other-co'] as string,
      path.join(core.home, 'archive', 'other-co', 'evidence-20990101T000000Z'),
      path.join(core.home, 'archive', 'evaluation', '..', 'other-co'),
      path.join(core.home, 'tenants', 'other-co'),
      path.join(outside, 'link-into-home'),
    ];
    const messages = new Set<string>();
    for (const attempt of attempts) {
      const refused = await verify(attempt);
      expect(refused, attempt).toMatchObject({ code: 'forbidden', field: 'path' });
      messages.add((refused as ContractError).message);
    }
    expect(messages.size).toBe(1);
    expect([...messages][0]).not.toContain('other-co');

    // The caller's own export, and a bundle the person picked outside the data directory, are read.
    for (const allowed of [exported.evaluation as string, path.join(outside, 'copied')]) {
      const job = (await verify(allowed)) as Job;
      expect(job.state, allowed).toBe('succeeded');
      expect(job.result, allowed).toMatchObject({ ok: true });
    }
  });
});
