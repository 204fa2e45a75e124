// Issue 12: the control plane judges a connected machine's approval request from the action's
// text. The action's `cwd` and paths are the machine's; the server must never list, walk or
// stat its own file system at a path an enrolled machine chose (probing the server's files, or
// making it walk a large tree per request).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../contract';
import { requireKeychain } from '../gate/testing';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { tempHome } from '../../test/support/temp-home';
import { termsForMachineRequest } from './route-terms';

describe("a machine's request is judged by its text, not the server's file system", () => {
  let home: { home: string; cleanup: () => void };
  let core: LocalCoreService;
  let tenant: string;
  let serverDirectory: string;

  beforeAll(() => {
    requireKeychain();
    home = tempHome('cavra-route-terms-');
    core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    tenant = core.gateHost.tenants.defaultTenant() as string;
    // A directory on the server whose contents a glob would reach: a private key.
    serverDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-server-side-'));
    fs.mkdirSync(path.join(serverDirectory, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(serverDirectory, 'notes', 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
  });

  afterAll(async () => {
    await core?.close();
    home?.cleanup();
    if (serverDirectory) fs.rmSync(serverDirectory, { recursive: true, force: true });
  });

  it("opens the request whatever the server's own directory at that path holds", () => {
    const action: Action = { type: 'execute_command', command: 'cat notes/*', cwd: serverDirectory };
    const policy = core.gateHost.policy;
    // Control: judged against this machine's file system, the glob reaches the key and is denied.
    expect(policy.evaluate(tenant, action, { dryRun: true }).decision.decision).toBe('deny');
    const terms = termsForMachineRequest(policy, tenant, action, { route: 'default', ruleId: null });
    expect(terms.expiresInMs).toBeGreaterThan(0);
  });

  it('still refuses a request for an action whose text the policy denies', () => {
    const action: Action = { type: 'execute_command', command: 'cat ~/.ssh/id_rsa', cwd: serverDirectory };
    expect(() =>
      termsForMachineRequest(core.gateHost.policy, tenant, action, { route: 'default', ruleId: null }),
    ).toThrow(/denies this action/);
  });
});
