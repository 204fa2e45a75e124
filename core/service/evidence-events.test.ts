import { afterEach, expect, it } from 'vitest';
import { createContractClient } from '../contract';
import type { EventEnvelope } from '../contract';
import { approvalBinding } from '../approvals';
import { localEvaluationPrincipal } from '../identity';
import { tempHome } from '../../test/support/temp-home';
import { createCore } from './core';
import { createInMemoryTransport } from './in-memory';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

it('a console that only subscribed hears of records another process appends to its tenants', async () => {
  const { home, cleanup } = tempHome();
  const consoleCore = createCore({ home, shell: 'test', log: () => undefined });
  const otherProcess = createCore({ home, shell: 'test', log: () => undefined });
  cleanups.push(
    cleanup,
    () => consoleCore.close(),
    () => otherProcess.close(),
  );
  const console = createContractClient(createInMemoryTransport(consoleCore, localEvaluationPrincipal));
  const other = createContractClient(createInMemoryTransport(otherProcess, localEvaluationPrincipal));

  const heard: EventEnvelope[] = [];
  // No evidence.status or evidence.query first: subscribing is what a console does on open.
  console.subscribe((event) => heard.push(event));
  await other.call('policy.assign', { packId: 'cavra-secrets', repository: 'web' }, { tenant: 'evaluation' });
  const size = (await other.call('evidence.status', {}, { tenant: 'evaluation' })).size;
  expect(size).toBeGreaterThan(0);

  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && !heard.some((e) => e.event === 'evidence.appended')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(heard.filter((e) => e.event === 'evidence.appended').at(-1)).toEqual({
    event: 'evidence.appended',
    tenant: 'evaluation',
    // A pack assignment is no approval event: the consoles' approval queues need not refetch.
    payload: { tenantId: 'evaluation', size, approvalRecords: false },
  });

  // An approval request opened in the other process (its `requested` record): queues refetch.
  heard.length = 0;
  const version = (
    otherProcess.gateHost.policy as unknown as { activeVersion(t: string, p: string): string | null }
  ).activeVersion('evaluation', 'cavra-secrets');
  const action = { type: 'execute_command', command: 'cat .env' } as const;
  await otherProcess.gateHost.approvals.open({
    binding: approvalBinding(action, 'evaluation', { id: 'cavra-secrets', version: version ?? '1.0.0' }),
    route: 'cavra-secrets/security',
    ruleId: 'cavra-secrets/env.read',
    reason: 'Reading secrets needs a reviewer',
    requester: 'os:dev',
    requesterUid: 7000,
    agent: { id: 'claude-code', session: 's-1' },
    adapter: 'exec',
    correlationId: 'c-1',
    decisionId: 'dec-1',
    actionType: 'execute_command',
    target: 'cat .env',
    action,
    expiresInMs: 60_000,
    terms: { approverGroups: ['security'] },
  });
  const after = (await other.call('evidence.status', {}, { tenant: 'evaluation' })).size;
  const until = Date.now() + 5_000;
  while (Date.now() < until && !heard.some((e) => e.event === 'evidence.appended')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(heard.filter((e) => e.event === 'evidence.appended').at(-1)).toEqual({
    event: 'evidence.appended',
    tenant: 'evaluation',
    payload: { tenantId: 'evaluation', size: after, approvalRecords: true },
  });

  // A reviewer opening the request is evidence (`viewed`), but it changes no queue.
  heard.length = 0;
  const opened = (await otherProcess.gateHost.approvals.list('evaluation', { states: ['pending'] }))[0];
  await other.call('approvals.get', { id: opened?.id ?? '' }, { tenant: 'evaluation' });
  const viewed = (await other.call('evidence.status', {}, { tenant: 'evaluation' })).size;
  expect(viewed).toBe(after + 1);
  const until2 = Date.now() + 5_000;
  while (Date.now() < until2 && !heard.some((e) => e.event === 'evidence.appended')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(heard.filter((e) => e.event === 'evidence.appended').at(-1)).toEqual({
    event: 'evidence.appended',
    tenant: 'evaluation',
    payload: { tenantId: 'evaluation', size: viewed, approvalRecords: false },
  });
});
