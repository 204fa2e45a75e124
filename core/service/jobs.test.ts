import { describe, expect, it } from 'vitest';
import type { EventEnvelope, Job, Principal } from '../contract';
import { ContractError } from '../contract';
import { EventBus } from './events';
import { JobRunner } from './jobs';

const alice: Principal = { id: 'human:alice', displayName: 'Alice', kind: 'human' };
const bob: Principal = { id: 'human:bob', displayName: 'Bob', kind: 'human' };

function runner() {
  const bus = new EventBus((_principal, tenant) => (tenant === 'acme' ? ['evaluator'] : []));
  const seen: Job[] = [];
  bus.subscribe(alice, (event: EventEnvelope) => seen.push(event.payload as Job));
  const logs: string[] = [];
  return { jobs: new JobRunner(bus, (m) => logs.push(m)), seen, logs };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('JobRunner', () => {
  it('reports progress and the result through jobs.changed events', async () => {
    const { jobs, seen } = runner();
    const id = jobs.start(
      { kind: 'test.count', tenant: 'acme', principal: alice, phase: 'Counting' },
      async ({ progress }) => {
        for (let i = 1; i <= 3; i++) {
          progress({ done: i, total: 3 });
          await new Promise((r) => setTimeout(r, 120));
        }
        return { counted: 3 };
      },
    );
    await until(() => jobs.get(id, alice, 'acme').state === 'succeeded');
    const final = jobs.get(id, alice, 'acme');
    expect(final).toMatchObject({ kind: 'test.count', result: { counted: 3 }, progress: { done: 3, total: 3 } });
    expect(final.finishedAt).not.toBeNull();
    expect(seen[0]?.state).toBe('running');
    expect(seen.some((job) => job.state === 'running' && job.progress.done > 0)).toBe(true);
    expect(seen.at(-1)?.state).toBe('succeeded');
  });

  it('cancels through the abort signal and ends in the cancelled state', async () => {
    const { jobs } = runner();
    let steps = 0;
    const id = jobs.start(
      { kind: 'test.long', tenant: 'acme', principal: alice, phase: 'Working' },
      async ({ signal }) => {
        while (!signal.aborted) {
          steps++;
          await new Promise((r) => setTimeout(r, 5));
        }
        return 'stopped';
      },
    );
    await until(() => steps > 2);
    jobs.cancel(id, alice, 'acme');
    await until(() => jobs.get(id, alice, 'acme').state === 'cancelled');
    expect(jobs.get(id, alice, 'acme').result).toBeUndefined();
  });

  it('reports contract errors as they are and hides internal ones', async () => {
    const { jobs, logs } = runner();
    const contract = jobs.start({ kind: 'k', tenant: 'acme', principal: alice, phase: 'p' }, async () => {
      throw new ContractError('not_found', 'bundle: no such directory', 'bundle');
    });
    const internal = jobs.start({ kind: 'k', tenant: 'acme', principal: alice, phase: 'p' }, async () => {
      throw new Error('disk I/O error at /secret/path');
    });
    await until(
      () =>
        jobs.get(internal, alice, 'acme').state === 'failed' && jobs.get(contract, alice, 'acme').state === 'failed',
    );
    expect(jobs.get(contract, alice, 'acme').error).toEqual({
      code: 'not_found',
      message: 'bundle: no such directory',
      field: 'bundle',
    });
    expect(jobs.get(internal, alice, 'acme').error?.message).not.toContain('/secret/path');
    expect(logs.join('\n')).toContain('disk I/O error');
  });

  it('never shows or cancels a job for another principal or tenant', async () => {
    const { jobs } = runner();
    const id = jobs.start(
      { kind: 'k', tenant: 'acme', principal: alice, phase: 'p' },
      () => new Promise(() => undefined),
    );
    expect(() => jobs.get(id, bob, 'acme')).toThrow(ContractError);
    expect(() => jobs.cancel(id, bob, 'acme')).toThrow(/no job/);
    expect(() => jobs.get(id, alice, 'other')).toThrow(/no job/);
    expect(jobs.get(id, alice, 'acme').state).toBe('running');
  });
});
