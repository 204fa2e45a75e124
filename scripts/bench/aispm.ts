// AISPM figures for `npm run bench aispm`: how fast the durable consumer ingests a ledger, and
// how long the posture query (`aispm.status`: catch up, score, lag) takes on the
// 1,000,000-record benchmark ledger the evidence suite builds and caches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AispmService, StoreAispmRepository, ledgerSource } from '../../core/aispm';
import { Ledger } from '../../core/evidence';
import type { LedgerKeys } from '../../core/evidence';
import { bigLedger, openLedgerDb } from './evidence';
import type { BenchSuite } from './harness';
import { latencySummary } from './harness';

const readOnly: LedgerKeys = {
  publicKey: () => null,
  signer: () => {
    throw new Error('the cached benchmark ledger is read-only');
  },
};

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export const aispmBench: BenchSuite = {
  name: 'aispm',
  async run(print) {
    const { file } = await bigLedger(print);
    const db = openLedgerDb(file);
    const ledger = new Ledger({ db, tenant: 'bench', keys: readOnly });
    const source = ledgerSource(ledger);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-bench-aispm-'));
    const store = path.join(dir, 'aispm.sqlite');
    // The wall clock of the benchmark ledger's last record, so time-based findings are as of then.
    const lastTime = Date.parse(ledger.record(ledger.size() - 1)?.header.time ?? new Date().toISOString());
    const service = (now: number) =>
      new AispmService({
        home: dir,
        ledgers: { ledger: () => source },
        repository: () => StoreAispmRepository.openFile(store, 'bench'),
        now: () => new Date(now),
        readBudgetMs: Number.POSITIVE_INFINITY,
        background: false,
        chunk: 5_000,
      });
    try {
      const ingesting = service(lastTime);
      const cpu = process.cpuUsage();
      const started = performance.now();
      const { cursor } = await ingesting.ingest('bench');
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      print(
        `ingestion, ${fmt(cursor)} records from an empty store: ${fmt(cursor / seconds)} records/s (${seconds.toFixed(1)} s)   target ≥ 20,000/s`,
      );
      print(`  per CPU-second             ${fmt(cursor / ((used.user + used.system) / 1e6))} records`);

      const samples: number[] = [];
      let posture = await ingesting.status('bench');
      for (let i = 0; i < 200; i++) {
        const t = process.hrtime.bigint();
        posture = await ingesting.status('bench');
        samples.push(Number(process.hrtime.bigint() - t));
      }
      print(`posture query at ${fmt(cursor)} records (aispm.status):`);
      print(`  warm (consumer in memory)  ${latencySummary(samples, 'ms')}   target ≤ 200 ms`);
      ingesting.close();

      const cold: number[] = [];
      for (let i = 0; i < 10; i++) {
        const fresh = service(lastTime);
        const t = process.hrtime.bigint();
        await fresh.status('bench');
        cold.push(Number(process.hrtime.bigint() - t));
        fresh.close();
      }
      print(`  cold (a new process's first query: load the projection, then score) ${latencySummary(cold, 'ms')}`);
      const reader = service(lastTime);
      const findings = await reader.findings('bench', { limit: 1000 });
      reader.close();
      print(
        `  score ${posture.score}, ${posture.riskLevel} risk; ${findings.total} findings; lag ${posture.ingestion.behindRecords} records`,
      );
    } finally {
      ledger.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
