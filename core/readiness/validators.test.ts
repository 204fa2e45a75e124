import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContractClient } from '../contract';
import type { ContractClient, GateKind, ValidatorId } from '../contract';
import { AispmService, ledgerSource } from '../aispm';
import type { EvidenceLedgers, Ledger } from '../evidence';
import { askGate } from '../gate/client';
import { gateFixture } from '../gate/testing';
import type { GateFixture } from '../gate/testing';
import { humanPrincipalId, localEvaluationPrincipal } from '../identity';
import { createInMemoryTransport } from '../service';
import type { TenantObservers } from './validators';
import { validatorContext, validators } from './validators';
import { licenseTenant } from '../../test/support/demo-license';

// The validators wired to containment, AISPM ingestion and identity, on ledgers built by the
// real capabilities (a gate on loopback, the core's contract operations, a real AISPM consumer)
// and on constructed records; and the attacks: writing a same-looking record through an
// operation a caller can reach never turns an observation into a pass.

let fx: GateFixture;
let client: ContractClient;
let ledger: Ledger;
let workspace: string;
let aispm: AispmService;
/** The core's ledgers (the gate host exposes them narrowed to what the gate writes). */
const ledgers = () => (fx.core.gateHost as unknown as { ledgers: EvidenceLedgers }).ledgers;
const issuer = 'https://idp.acme.example';

const observers = (overrides: Partial<TenantObservers> = {}): TenantObservers => ({
  entitlement: (tenant) => client.call('license.status', {}, { tenant }),
  containment: (tenant) => client.call('containment.settings.get', {}, { tenant }),
  // A second consumer over the same files: it sees what the core's AISPM committed, nothing more.
  ingestion: (tenant) => aispm.ingestion(tenant),
  sso: async () => null,
  ...overrides,
});

async function check(id: ValidatorId, options: { gate?: GateKind; observe?: Partial<TenantObservers> } = {}) {
  const validator = validators.find((v) => v.id === id);
  if (!validator) throw new Error(id);
  return validator.run(
    validatorContext(observers(options.observe), {
      tenant: fx.tenant,
      gate: options.gate ?? 'production',
      scope: null,
      ledger,
      now: new Date(),
      signal: new AbortController().signal,
      windowDays: 14,
      probeIsolation: () => Promise.reject(new Error('no probe here')),
    }),
  );
}

/** A command put through the gate by `cavra exec`'s protocol; `contain` asks for the sandbox profile. */
const viaGate = (command: string, contain: boolean) =>
  askGate(
    {
      op: 'decide',
      adapter: 'exec',
      contain,
      action: { type: 'execute_command', command, cwd: workspace, agent: { id: 'runner', session: 's-1' } },
    },
    { home: fx.home },
  );

beforeAll(async () => {
  fx = await gateFixture();
  client = createContractClient(createInMemoryTransport(fx.core, localEvaluationPrincipal));
  await licenseTenant(client, fx.tenant);
  ledger = ledgers().ledger(fx.tenant);
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-validators-ws-'));
  aispm = new AispmService({
    home: fx.home,
    ledgers: { ledger: (tenant) => ledgerSource(ledgers().ledger(tenant)) },
    readBudgetMs: Number.POSITIVE_INFINITY,
    background: false,
    log: () => undefined,
  });
}, 30_000);

afterAll(async () => {
  aispm?.close();
  await fx?.close();
  fs.rmSync(workspace, { recursive: true, force: true });
});

describe('containment validator', () => {
  it('blocks while no command ran inside the sandbox; reports, uncontained runs and evaluate records do not count', async () => {
    expect((await check('containment')).status).toBe('blocker');
    // An agent can report anything through the gate's `containment` op: a fake "contained" report.
    const report = await askGate(
      {
        op: 'containment',
        adapter: 'exec',
        report: {
          event: 'mcp_server_contained',
          reason: 'MCP server fs started inside its sandbox profile',
          server: 'fs',
          profile_sha256: 'a'.repeat(64),
        },
      },
      { home: fx.home },
    );
    expect(report.outcome).toBe('allow');
    // The same command through the gate without asking for containment, and through policy.evaluate.
    expect((await viaGate('ls -la', false)).outcome).toBe('allow');
    await client.call(
      'policy.evaluate',
      { action: { type: 'execute_command', command: 'ls -la', cwd: workspace } },
      { tenant: fx.tenant },
    );
    const outcome = await check('containment');
    expect(outcome.status).toBe('blocker');
    expect(outcome.message).toMatch(/no command was run inside it through cavra exec/);
  });

  it('passes once the gate granted a sandbox profile to a command run through cavra exec', async () => {
    const answer = await viaGate('ls -la', true);
    expect(answer.outcome).toBe('allow');
    const outcome = await check('containment');
    expect(outcome.status, outcome.message).toBe('pass');
    expect(outcome.message).toMatch(/ran inside the sandbox through cavra exec; the latest in profile [0-9a-f]{12}/);
    const cited = ledger.record(outcome.evidence[0] as number)?.payload as Record<string, unknown>;
    expect(cited).toMatchObject({ adapter: 'exec', containment: { enforcement: 'sandbox' } });
    expect(cited.actor_verified_by).toBeDefined();
  });

  it('judgement-only is a production blocker (citing the recorded choice) and a pilot warning', async () => {
    await client.call(
      'containment.settings.set',
      { enforcement: 'judgement_only', reason: 'sandbox breaks the legacy build' },
      { tenant: fx.tenant },
    );
    const production = await check('containment');
    expect(production.status).toBe('blocker');
    expect(production.message).toMatch(/runs commands on judgement alone.*sandbox breaks the legacy build/);
    const change = ledger.record(production.evidence[0] as number)?.payload;
    expect(change).toMatchObject({ change: 'containment.enforcement', after: 'judgement_only' });
    expect((await check('containment', { gate: 'pilot' })).status).toBe('warn');
    // A command run on judgement alone while it was set is remembered after the sandbox is restored.
    expect((await viaGate('ls', true)).outcome).toBe('allow');
    await client.call('containment.settings.set', { enforcement: 'sandbox' }, { tenant: fx.tenant });
    const restored = await check('containment');
    expect(restored.status).toBe('warn');
    expect(restored.message).toMatch(/1 earlier commands ran on judgement alone/);
  });
});

describe('live ingestion and streaming lag validators', () => {
  it('block before AISPM has read anything; observing never ingests', async () => {
    const live = await check('live_ingestion');
    expect(live.status).toBe('blocker');
    expect(live.message).toMatch(/AISPM has not ingested the latest agent activity \(decision record \d+\)/);
    const lag = await check('streaming_lag');
    expect(lag.status).toBe('blocker');
    expect(lag.message).toMatch(/never ingested/);
    // Running the validators moved nothing: AISPM's cursor is still at the start.
    expect((await aispm.ingestion(fx.tenant)).cursor).toBe(0);
  });

  it('pass once the core’s AISPM consumer read the ledger to the agent activity', async () => {
    await client.call('aispm.status', {}, { tenant: fx.tenant });
    const live = await check('live_ingestion');
    expect(live.status, live.message).toBe('pass');
    expect(live.message).toMatch(/AISPM ingested the agent activity up to record \d+/);
    const lag = await check('streaming_lag');
    expect(lag.status, lag.message).toBe('pass');
    expect(lag.message).toMatch(/within 60 s of the ledger/);
  });

  it('new agent activity not yet read blocks live ingestion; an hour of lag blocks streaming', async () => {
    expect((await viaGate('git status', true)).outcome).toBe('allow');
    const live = await check('live_ingestion');
    expect(live.status).toBe('blocker');
    expect(live.message).toMatch(/\d+ behind/);
    const late = new AispmService({
      home: fx.home,
      ledgers: { ledger: (tenant) => ledgerSource(ledgers().ledger(tenant)) },
      readBudgetMs: Number.POSITIVE_INFINITY,
      background: false,
      now: () => new Date(Date.now() + 3_600_000),
      log: () => undefined,
    });
    try {
      const lag = await check('streaming_lag', { observe: { ingestion: (tenant) => late.ingestion(tenant) } });
      expect(lag.status).toBe('blocker');
      expect(lag.message).toMatch(/trails the ledger by more than 900 s/);
    } finally {
      late.close();
    }
  });
});

describe('identity validator', () => {
  const sso = { sso: async () => ({ issuer }) };
  const login = (sub: string, roles: string[], from = issuer) =>
    ledger.append({
      type: 'login',
      payload: {
        by: humanPrincipalId(from, sub),
        kind: 'human',
        outcome: 'signed_in',
        issuer: from,
        groups: [],
        roles,
        session: `ses_${crypto.randomBytes(6).toString('hex')}`,
      },
    });

  it('blocks without an IdP configured: the local evaluation identity never passes', async () => {
    const outcome = await check('identity');
    expect(outcome.status).toBe('blocker');
    expect(outcome.message).toMatch(/No SSO identity provider is configured for tenant "evaluation"/);
  });

  it('local evaluation sign-ins and sign-ins through another IdP do not count for a role', async () => {
    const local = await fx.core.invoke(null, { op: 'session.local', tenant: null, input: { tenant: fx.tenant } });
    expect(local.ok).toBe(true);
    await login('mallory', ['report_recipient'], 'https://old-idp.example');
    await login('alice', ['evaluator', 'security_reviewer']);
    await login('bob', ['operator']);
    const outcome = await check('identity', { observe: sso });
    expect(outcome.status).toBe('blocker');
    expect(outcome.message).toMatch(/Nobody holding the report recipient role has signed in through https:\/\/idp/);
    expect(outcome.message).toMatch(/local evaluation sign-ins do not count/);
    expect(outcome.message).not.toMatch(/evaluator,|operator/);
  });

  it('passes when each role signed in through the IdP; a self-approved approval blocks', async () => {
    const carol = await login('carol', ['report_recipient']);
    const outcome = await check('identity', { observe: sso });
    expect(outcome.status, outcome.message).toBe('pass');
    expect(outcome.evidence).toContain(carol.seq);
    expect(outcome.message).toContain(`report recipient ${humanPrincipalId(issuer, 'carol')}`);
    const approved = await ledger.append({
      type: 'approval',
      payload: {
        request_id: 'apr_self_1',
        event: 'approved',
        by: 'local:evaluator',
        action_sha256: 'b'.repeat(64),
        route: 'default',
        self_approved: true,
      },
    });
    const blocked = await check('identity', { observe: sso });
    expect(blocked.status).toBe('blocker');
    expect(blocked.message).toMatch(/1 approvals were given by the principal who requested them/);
    expect(blocked.evidence).toContain(approved.seq);
  });
});
