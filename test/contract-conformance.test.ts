import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContractError, operationNames, operations, eventNames, events } from '../core/contract';
import type { EventEnvelope } from '../core/contract';
import { bridgeHarness, electronIpcHarness, inMemoryHarness } from './support/transports';
import type { TransportHarness } from './support/transports';

// One suite, every transport (HOUSE rule 2): whatever carries the contract, it behaves the same.
const cavraBin = path.resolve(import.meta.dirname, '..', 'bin', 'cavra.cjs');

const transports: [string, () => Promise<TransportHarness>][] = [
  ['in-memory', inMemoryHarness],
  ['bridge (HTTP + WebSocket, core worker)', bridgeHarness],
  ['electron IPC (electron mocked, core worker)', electronIpcHarness],
];

async function rejection(promise: Promise<unknown>): Promise<ContractError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ContractError);
  return error as ContractError;
}

describe('contract tables', () => {
  it('names.ts lists exactly the operations and events that have schemas', () => {
    expect([...operationNames].sort()).toEqual(Object.keys(operations).sort());
    expect([...eventNames].sort()).toEqual(Object.keys(events).sort());
  });
});

describe.each(transports)('contract over %s', (_name, open) => {
  let harness: TransportHarness;
  beforeEach(async () => {
    harness = await open();
  });
  afterEach(async () => {
    await harness.close();
  });

  const tenantIds = async () => (await harness.client.call('tenants.list', {})).tenants.map((t) => t.id);
  const tenantDirs = () => fs.readdirSync(path.join(harness.home, 'tenants')).sort();

  it('system.info reports version, data directory and the default evaluation tenant', async () => {
    const info = await harness.client.call('system.info', {});
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.dataDir).toBe(harness.home);
    expect(info.defaultTenant).toBe('evaluation');
    expect(info.tenants.map((t) => t.id)).toEqual(['evaluation']);
    expect(info.principal.kind).toBe('local_evaluation');
  });

  it('tenants.create makes a tenant with its own store and pushes tenants.changed', async () => {
    const received: EventEnvelope[] = [];
    const unsubscribe = harness.client.subscribe((event) => received.push(event));
    // Give event channels that connect asynchronously (the WebSocket) a moment to open.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const tenant = await harness.client.call('tenants.create', { id: 'acme-eval', displayName: '  Acme Evaluation ' });
    expect(tenant).toMatchObject({ id: 'acme-eval', displayName: 'Acme Evaluation', kind: 'evaluation' });
    expect(tenant.roles).toContain('tenant_admin');
    expect(await tenantIds()).toEqual(['evaluation', 'acme-eval']);
    expect(fs.existsSync(path.join(harness.home, 'tenants', 'acme-eval', 'tenant.sqlite'))).toBe(true);
    await expect.poll(() => received.length).toBeGreaterThan(0);
    expect(received[0]).toEqual({
      event: 'tenants.changed',
      tenant: 'acme-eval',
      payload: { tenantId: 'acme-eval', change: 'created' },
    });
    unsubscribe();
  });

  it('keeps delivering events to a listener that unsubscribed and resubscribed at once (React StrictMode)', async () => {
    const received: EventEnvelope[] = [];
    harness.client.subscribe(() => undefined)();
    const unsubscribe = harness.client.subscribe((event) => received.push(event));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await harness.client.call('tenants.create', { id: 'strict-mode', displayName: 'Strict' });
    await expect.poll(() => received.map((e) => e.tenant)).toEqual(['strict-mode']);
    unsubscribe();
  });

  it('announces a tenant another process created (the CLI) within a second', async () => {
    const received: { event: EventEnvelope; at: number }[] = [];
    const unsubscribe = harness.client.subscribe((event) => received.push({ event, at: Date.now() }));
    // Creating a tenant changes state: the CLI signs in first, as the labelled local evaluator.
    const login = spawnSync(process.execPath, [cavraBin, 'login', '--local-evaluation'], {
      env: { ...process.env, CAVRA_HOME: harness.home },
      encoding: 'utf8',
    });
    expect(login.status, login.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const cli = spawn(process.execPath, [cavraBin, 'tenants', 'create', 'from-cli', '--name', 'From the CLI'], {
      env: { ...process.env, CAVRA_HOME: harness.home },
      stdio: 'ignore',
    });
    const exitedAt = await new Promise<number>((resolve) => cli.once('exit', () => resolve(Date.now())));
    expect(cli.exitCode).toBe(0);
    // The CLI's sign-in and the creation are ledger records too (evidence.appended); the
    // registry change is the event this is about.
    const tenantEvents = () => received.filter(({ event }) => event.event === 'tenants.changed');
    await expect.poll(() => tenantEvents().length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(tenantEvents()[0]?.event).toEqual({
      event: 'tenants.changed',
      tenant: 'from-cli',
      payload: { tenantId: 'from-cli', change: 'created' },
    });
    expect((tenantEvents()[0]?.at ?? Infinity) - exitedAt).toBeLessThan(1000);
    expect(await tenantIds()).toContain('from-cli');
    unsubscribe();
  });

  it.each([
    ['empty', '', 'id: is required'],
    ['over-long', 'a'.repeat(64), 'id: must be at most 63 characters'],
    ['path-like', '../escape', 'id: must not contain path characters'],
    ['absolute path', '/etc/passwd', 'id: must not contain path characters'],
    ['backslash path', '..\\escape', 'id: must not contain path characters'],
    ['upper case', 'Acme', 'id: may contain only lowercase letters'],
    ['non-string', 42, 'id: is required and must be a string'],
  ])('tenants.create refuses an %s id, naming the field, and writes nothing', async (_case, id, message) => {
    const before = tenantDirs();
    const error = await rejection(harness.client.call('tenants.create', { id: id as string, displayName: 'X' }));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('id');
    expect(error.message).toContain(message);
    expect(await tenantIds()).toEqual(['evaluation']);
    expect(tenantDirs()).toEqual(before);
  });

  it('tenants.create refuses a duplicate id as a conflict on the id field', async () => {
    const error = await rejection(harness.client.call('tenants.create', { id: 'evaluation', displayName: 'Again' }));
    expect(error).toMatchObject({ code: 'conflict', field: 'id' });
    expect(error.message).toContain('already taken');
    expect(await tenantIds()).toEqual(['evaluation']);
  });

  it('tenants.create names a missing or bad display name and unknown fields', async () => {
    const missing = await rejection(harness.client.call('tenants.create', { id: 'ok-id' } as never));
    expect(missing).toMatchObject({ code: 'invalid_input', field: 'displayName' });
    const blank = await rejection(harness.client.call('tenants.create', { id: 'ok-id', displayName: '   ' }));
    expect(blank).toMatchObject({ code: 'invalid_input', field: 'displayName' });
    const extra = await rejection(
      harness.client.call('tenants.create', { id: 'ok-id', displayName: 'Ok', admin: true } as never),
    );
    expect(extra).toMatchObject({ code: 'invalid_input', field: 'admin' });
    expect(await tenantIds()).toEqual(['evaluation']);
  });

  it('names every faulty field at once, in words, without echoing the input', async () => {
    const empty = await rejection(harness.client.call('tenants.create', {} as never));
    expect(empty).toMatchObject({ code: 'invalid_input', field: 'id', message: 'id: is required' });
    expect(empty.issues).toEqual([
      { field: 'id', message: 'is required' },
      { field: 'displayName', message: 'is required' },
    ]);
    const secret = 'hunter2-SECRET';
    const several = await rejection(
      harness.client.call('tenants.create', { id: `${secret}/x`, displayName: 7, token: secret } as never),
    );
    expect(several.issues.map((issue) => issue.field)).toEqual(['id', 'displayName', 'token']);
    expect(several.issues[2]?.message).toBe('is not a known field');
    expect(JSON.stringify({ message: several.message, issues: several.issues })).not.toContain('hunter2');
    // zod's own wording becomes words too ("must be at most 1000", not "Too big: expected …").
    const tooMany = await rejection(harness.client.call('approvals.list', { limit: 5000 }, { tenant: 'evaluation' }));
    expect(tooMany.issues).toEqual([{ field: 'limit', message: 'must be at most 1000' }]);
  });

  it('refuses unknown operations before they reach the core', async () => {
    const error = await rejection(harness.client.call('tenants.delete' as never, {} as never));
    expect(error).toMatchObject({ code: 'invalid_input', field: 'op' });
  });
});
