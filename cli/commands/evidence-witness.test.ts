import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceLedgers, HIGH_WATER_FILE, readWitness } from '../../core/evidence';
import { requireKeychain, truncateLedger } from '../../core/evidence/testing';
import { TenantDirectory } from '../../core/tenants';
import { coreClient, waitFor } from '../../test/support/contract-client';
import { tempHome } from '../../test/support/temp-home';
import type { CliIO } from '../io';
import { runCli } from '../main';
import { licenseTenant } from '../../test/support/demo-license';

// Issue 14 acceptance 5 (and issue 8 item 5 for whoever holds the key): a ledger truncated and
// re-signed with the tenant key verifies on its own, and so does its bundle; `cavra evidence
// verify --witness` against the checkpoints an anchor received catches both.

async function cavra(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    readStdin: async () => '',
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    cwd: process.cwd(),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('evidence verify --witness: anchored checkpoints against a ledger truncated and re-signed', () => {
  let home: string;
  let cleanup: () => void;
  let anchorFile: string;
  let env: NodeJS.ProcessEnv;
  let anchoredSize: number;

  beforeAll(async () => {
    requireKeychain();
    ({ home, cleanup } = tempHome('cavra-witness-'));
    env = { ...process.env, CAVRA_HOME: home };
    anchorFile = path.join(home, 'anchors', 'evaluation.jsonl');
    const { core, client } = coreClient(home, { deliveries: { run: true, tickMs: 50 } });
    const tenant = { tenant: 'evaluation' };
    try {
      await licenseTenant(client, 'evaluation');
      await client.call(
        'connectors.save',
        { id: 'witness', name: 'Witness file', kind: 'witness_file', anchor: true, settings: { path: anchorFile } },
        tenant,
      );
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 3; i++) {
          await client.call(
            'policy.evaluate',
            { action: { type: 'execute_command', command: `npm test ${i}` } },
            tenant,
          );
        }
        const exported = await client.call('evidence.export', {}, tenant); // signs a checkpoint first
        const job = await waitFor(async () => {
          const state = await client.call('jobs.get', { jobId: exported.jobId }, tenant);
          return state.state === 'running' ? null : state;
        });
        expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded' });
        const size = (await client.call('evidence.status', {}, tenant)).lastCheckpoint?.size ?? 0;
        anchoredSize = await waitFor(async () => {
          const sizes = fs.existsSync(anchorFile) ? readWitness(anchorFile).map((line) => line.size) : [];
          const max = Math.max(0, ...sizes);
          // The checkpoint timer may anchor one more in between; wait for this export's.
          return sizes.length > round && max >= size ? max : null;
        });
      }
    } finally {
      await core.close();
    }
    // A whole core, two exports and two anchor deliveries: seconds alone, more on a loaded machine.
  }, 120_000);
  afterAll(() => cleanup?.());

  /** Opens the tenant's ledger as whoever holds its key (the keychain item) and its files. */
  function asKeyHolder<T>(work: (ledgers: EvidenceLedgers, tenants: TenantDirectory) => Promise<T>): Promise<T> {
    const tenants = new TenantDirectory(home);
    const ledgers = new EvidenceLedgers(tenants, { checkpoints: { records: 4, seconds: 3600 } });
    return work(ledgers, tenants).finally(() => {
      ledgers.close();
      tenants.close();
    });
  }

  it('an honest ledger and bundle are consistent with every anchored checkpoint', async () => {
    const ledger = await cavra(['evidence', 'verify', '--ledger', '--witness', anchorFile], env);
    expect(ledger.stdout).toMatch(/Verified the evidence ledger of tenant evaluation/);
    expect(ledger.code).toBe(0);
    const out = path.join(home, 'honest');
    expect((await cavra(['evidence', 'export', '--out', out], env)).code).toBe(0);
    const bundle = await cavra(['evidence', 'verify', out, '--witness', anchorFile], env);
    expect(bundle.stdout).toMatch(/witnessed +consistent with \d+ witnessed checkpoints/);
    expect(bundle.code).toBe(0);
  });

  it('catches the ledger cut back and re-signed, and its bundle, only with the witness', async () => {
    await asKeyHolder(async (ledgers, tenants) => {
      const ledger = ledgers.ledger('evaluation');
      const db = tenants.store('evaluation');
      // Keep the records before the first anchored checkpoint's end; the later one is gone.
      const first = ledger.checkpointsBetween(1, anchoredSize)[0] as { size: number };
      truncateLedger(db, first.size + 1);
      // The key holder also removes the high-water file: only the anchor remains.
      fs.rmSync(path.join(path.dirname(db.name), HIGH_WATER_FILE));
      expect(await ledger.verify()).toMatchObject({ ok: true });
    });

    const cut = await cavra(['evidence', 'verify', '--ledger', '--witness', anchorFile], env);
    expect(cut.code).toBe(2);
    expect(cut.stdout).toMatch(
      /VERIFICATION FAILED[\s\S]*a checkpoint of size \d+ was signed[\s\S]*history was cut off/,
    );
    const cutBundle = path.join(home, 'cut');
    expect((await cavra(['evidence', 'export', '--out', cutBundle], env)).code).toBe(0);
    expect((await cavra(['evidence', 'verify', cutBundle], env)).code).toBe(0); // undetectable alone
    const cutVerdict = await cavra(['evidence', 'verify', cutBundle, '--witness', anchorFile], env);
    expect(cutVerdict.code, cutVerdict.stdout).toBe(2);
    expect(cutVerdict.stdout).toMatch(
      /witness[\s\S]*signed no later than the bundle was made[\s\S]*history was cut off/,
    );

    // Re-signing past the anchored size: the tree at the anchored size differs.
    await asKeyHolder(async (ledgers) => {
      const ledger = ledgers.ledger('evaluation');
      for (let i = 0; i < 3 * anchoredSize; i++) {
        await ledger.append({ type: 'gap', payload: { source: 'rewrite', reason: `filler ${i}` } });
      }
      ledger.checkpoint();
      expect(ledger.size()).toBeGreaterThan(anchoredSize);
      expect(await ledger.verify()).toMatchObject({ ok: true });
    });
    const rewritten = await cavra(['evidence', 'verify', '--ledger', '--witness', anchorFile, '--json'], env);
    expect(rewritten.code).toBe(2);
    expect(JSON.parse(rewritten.stdout)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/history was rewritten/),
    });
    const bundle = path.join(home, 'rewritten');
    expect((await cavra(['evidence', 'export', '--out', bundle], env)).code).toBe(0);
    expect((await cavra(['evidence', 'verify', bundle], env)).code).toBe(0);
    const verdict = await cavra(['evidence', 'verify', bundle, '--witness', anchorFile, '--json'], env);
    expect(verdict.code).toBe(2);
    expect(JSON.parse(verdict.stdout)).toMatchObject({
      ok: false,
      failure: { file: 'witness', reason: expect.stringMatching(/history was rewritten/) },
    });
  });

  it('a witness that is not one is refused as input, naming the line', async () => {
    const bad = path.join(home, 'bad.jsonl');
    fs.writeFileSync(bad, '{"type":"cavra.checkpoint"}\n');
    const result = await cavra(['evidence', 'verify', '--ledger', '--witness', bad], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/--witness: line 1 is not a witnessed checkpoint/);
  });
});
