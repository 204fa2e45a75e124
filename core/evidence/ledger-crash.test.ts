import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScript } from '../../test/support/bundled-script';
import { localEvaluationPrincipal } from '../identity';
import { TenantDirectory } from '../tenants';
import { EvidenceLedgers } from './ledgers';
import { requireKeychain } from './testing';

const RUNS = 20;
let scratch: string;
let writer: string;

beforeAll(async () => {
  requireKeychain();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-crash-'));
  writer = await bundledScript(path.join(import.meta.dirname, 'crash-writer.ts'), scratch);
}, 60_000);

afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Starts the writer, kills it with SIGKILL `afterMs` after its first ack, returns every ack it printed. */
function crashRun(home: string, run: number, afterMs: number): Promise<{ acks: Map<number, string>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, home, 'acme', String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks = new Map<number, string>();
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^ack (\d+) ([0-9a-f]{64})$/.exec(line);
        if (match) acks.set(Number(match[1]), match[2] as string);
        if (match && !timer) timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      // A partial last line was never a complete ack; it does not count.
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
      else resolve({ acks, stderr });
    });
  });
}

describe('evidence ledger under SIGKILL', () => {
  it(`keeps every acknowledged append across ${RUNS} kills at random moments, verifies, and continues`, async () => {
    const home = path.join(scratch, 'home');
    const setup = new TenantDirectory(home);
    setup.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    setup.close();
    const acknowledged = new Map<number, string>();
    let sizeBefore = 0;
    for (let run = 0; run < RUNS; run++) {
      const { acks } = await crashRun(home, run, 5 + Math.floor(Math.random() * 250));
      for (const [seq, hash] of acks) acknowledged.set(seq, hash);
      const tenants = new TenantDirectory(home);
      const ledgers = new EvidenceLedgers(tenants);
      try {
        const ledger = ledgers.ledger('acme');
        const size = ledger.size();
        expect(size, `run ${run}: the ledger never shrinks`).toBeGreaterThanOrEqual(sizeBefore);
        for (const [seq, hash] of acks) {
          expect(ledger.record(seq)?.recordHash, `run ${run}: acknowledged record ${seq}`).toBe(hash);
        }
        const verification = await ledger.verify();
        expect(verification, `run ${run}`).toMatchObject({ ok: true, size });
        sizeBefore = size;
      } finally {
        ledgers.close();
        tenants.close();
      }
    }
    expect(acknowledged.size).toBeGreaterThan(RUNS * 5);
    const tenants = new TenantDirectory(home);
    const ledgers = new EvidenceLedgers(tenants);
    try {
      const ledger = ledgers.ledger('acme');
      for (const [seq, hash] of acknowledged) expect(ledger.record(seq)?.recordHash).toBe(hash);
      const next = await ledger.append({
        type: 'gap',
        payload: { source: 'after-crashes', reason: 'still appending' },
      });
      expect(next.seq).toBe(sizeBefore);
      ledger.checkpoint();
      expect(await ledger.verify()).toMatchObject({ ok: true, size: sizeBefore + 2 });
    } finally {
      ledgers.close();
      tenants.close();
    }
  }, 180_000);

  it('keeps one chain when three processes append to one tenant at the same time', async () => {
    const home = path.join(scratch, 'shared-home');
    const setup = new TenantDirectory(home);
    setup.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    setup.close();
    const runs = await Promise.all([0, 1, 2].map((i) => crashRun(home, 100 + i, 800)));
    const tenants = new TenantDirectory(home);
    const ledgers = new EvidenceLedgers(tenants);
    try {
      const ledger = ledgers.ledger('acme');
      const seen = new Map<number, string>();
      for (const { acks } of runs) {
        expect(acks.size).toBeGreaterThan(0);
        for (const [seq, hash] of acks) {
          // No two processes were ever acknowledged the same position.
          expect(seen.has(seq), `seq ${seq} acknowledged twice`).toBe(false);
          seen.set(seq, hash);
          expect(ledger.record(seq)?.recordHash).toBe(hash);
        }
      }
      expect(await ledger.verify()).toMatchObject({ ok: true });
    } finally {
      ledgers.close();
      tenants.close();
    }
  }, 60_000);
});
