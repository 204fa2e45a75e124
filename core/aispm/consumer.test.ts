import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScript } from '../../test/support/bundled-script';
import { findingId, findingKey } from './projection';
import { StoreAispmRepository } from './store-repository';
import type { ConstructedLedger } from './testing';
import { HOUR, MINUTE, T0, constructedLedger, rules } from './testing';

const RECORDS = 24_000;
const NOW = T0 + 20 * HOUR;
const KILLS = 8;

let fx: ConstructedLedger;
let scratch: string;
let runner: string;

/** A varied ledger over twenty hours: every surface, shadow and enforce, approvals, gaps, triage, a review. */
async function buildLedger(ledger: ConstructedLedger): Promise<void> {
  const kinds = [
    { rules: [rules.envRead], actionType: 'read_file' as const },
    { rules: [rules.npmTest] },
    { rules: [rules.npmTest] },
    { rules: [rules.iacApply] },
    { rules: [rules.forcePush], actionType: 'git_operation' as const },
    { rules: [{ ...rules.workflows, mode: 'shadow' as const }, rules.npmTest] },
    { rules: [rules.mcpUntrusted], actionType: 'mcp_tool_call' as const },
    { rules: [rules.templateRead], actionType: 'read_file' as const },
  ];
  const batch: Promise<number>[] = [];
  for (let i = 0; i < RECORDS; i++) {
    ledger.at(T0 + Math.floor((i * 20 * HOUR) / RECORDS));
    const kind = kinds[i % kinds.length] as (typeof kinds)[number];
    if (i % 997 === 0) {
      batch.push(ledger.append('gap', { source: `gate/adapter-${i % 3}`, reason: `missed ${i}` }));
    } else if (i % 1499 === 0) {
      batch.push(
        ledger.append('approval', {
          request_id: `apr_${i}`,
          event: 'denied',
          by: 'reviewer@acme.example',
          action_sha256: 'e'.repeat(64),
          route: 'cavra-infrastructure/platform',
          rule_id: 'cavra-infrastructure/iac.apply',
        }),
      );
    } else if (i === 12_345) {
      batch.push(
        ledger.append('finding_triage', {
          finding_id: findingId(findingKey('activity.denied', { rule: 'cavra-secrets/secrets.env-read' })),
          finding_kind: 'activity.denied',
          by: 'ciso@acme.example',
          owner: 'secops@acme.example',
          status: 'acknowledged',
        }),
      );
    } else {
      batch.push(ledger.decide({ ...kind, repository: `repo-${i % 5}`, agent: `agent-${i % 3}` }));
    }
    if (batch.length === 2_000) await Promise.all(batch.splice(0));
    if (i % 300 === 299) {
      await Promise.all(batch.splice(0));
      ledger.checkpoint();
    }
  }
  await Promise.all(batch);
  ledger.checkpoint();
}

/** Everything AISPM stored, in a form two stores can be compared by (versions differ by design). */
function snapshot(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const state = Object.fromEntries(
      (db.prepare('SELECT key, value FROM aispm_state').all() as { key: string; value: string }[]).map((r) => [
        r.key,
        r.value,
      ]),
    );
    return {
      cursor: state.cursor,
      facts: JSON.parse(state.facts ?? 'null') as unknown,
      findings: db.prepare('SELECT id, body FROM aispm_findings ORDER BY id').all(),
      links: db.prepare('SELECT finding_id, seq FROM aispm_finding_links ORDER BY finding_id, seq').all(),
      coverage: db.prepare('SELECT cell, body FROM aispm_coverage ORDER BY cell').all(),
      trend: db.prepare('SELECT at_ms, body FROM aispm_trend ORDER BY at_ms').all(),
    };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-aispm-crash-'));
  runner = await bundledScript(path.join(import.meta.dirname, 'crash-consumer.ts'), scratch);
  fx = constructedLedger();
  await buildLedger(fx);
}, 120_000);

afterAll(async () => {
  await fx?.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Runs the consumer process and SIGKILLs it `afterMs` after its first commit; returns the cursors it committed. */
function crashRun(afterMs: number): Promise<{ commits: number[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, fx.dir, String(NOW), '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const commits: number[] = [];
    let finished = false;
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^commit (\d+)$/.exec(line);
        if (match) commits.push(Number(match[1]));
        if (line === 'done') finished = true;
        if (match && !timer) timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`consumer failed (code ${code}): ${stderr}`));
      else resolve({ commits, finished });
    });
  });
}

describe('the ledger consumer', () => {
  it(`loses and duplicates nothing when killed mid-ingestion ${KILLS} times and restarted`, async () => {
    let lastCursor = 0;
    let kills = 0;
    for (let run = 0; run < KILLS * 3 && kills < KILLS; run++) {
      const { commits, finished } = await crashRun(40 + Math.floor(Math.random() * 200));
      if (finished) break;
      kills += 1;
      // Committed cursors only move forward, across restarts too.
      expect(commits[0]).toBeGreaterThan(lastCursor);
      lastCursor = commits[commits.length - 1] ?? lastCursor;
      const stored = snapshot(path.join(fx.dir, 'crashed.sqlite'));
      expect(Number(stored.cursor)).toBeGreaterThanOrEqual(lastCursor);
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    // The restart that finishes the job.
    const resumed = fx.consumer('crashed', 150).consumer;
    await resumed.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: NOW });
    // The same ledger read in one go.
    const reference = fx.consumer('reference', 5_000).consumer;
    await reference.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: NOW });

    const crashed = snapshot(path.join(fx.dir, 'crashed.sqlite'));
    const expected = snapshot(path.join(fx.dir, 'reference.sqlite'));
    expect(Number(crashed.cursor)).toBe(fx.ledger.size());
    expect(crashed.findings).toEqual(expected.findings);
    expect(crashed.links).toEqual(expected.links);
    expect(crashed.coverage).toEqual(expected.coverage);
    expect(crashed.trend).toEqual(expected.trend);
    expect(crashed.facts).toEqual(expected.facts);
    // Every link is counted once, and what the findings say matches the links stored.
    const linkCount = crashed.findings
      .map((row) => (JSON.parse((row as { body: string }).body) as { evidenceCount: number }).evidenceCount)
      .reduce((a, b) => a + b, 0);
    expect(linkCount).toBe(crashed.links.length);
    const triaged = crashed.findings
      .map(
        (row) => JSON.parse((row as { body: string }).body) as { kind: string; owner: string | null; status: string },
      )
      .find((f) => f.kind === 'activity.denied' && f.owner !== null);
    expect(triaged).toMatchObject({ owner: 'secops@acme.example', status: 'acknowledged' });
  }, 180_000);

  it('lets two consumers share one store without applying a record twice', async () => {
    const a = fx.consumer('shared', 97).consumer;
    const b = fx.consumer('shared', 131).consumer;
    for (let step = 0; fx.ledger.size() > 0 && step < 1_000; step++) {
      const pa = await a.catchUp({ budgetMs: 0, now: NOW });
      const pb = await b.catchUp({ budgetMs: 0, now: NOW });
      if (pa.cursor >= fx.ledger.size() && pb.cursor >= fx.ledger.size()) break;
    }
    const shared = snapshot(path.join(fx.dir, 'shared.sqlite'));
    const expected = snapshot(path.join(fx.dir, 'reference.sqlite'));
    expect(shared.findings).toEqual(expected.findings);
    expect(shared.links).toEqual(expected.links);
    expect(shared.coverage).toEqual(expected.coverage);
  }, 60_000);

  it('measures its lag in records and seconds, and stops within its budget', async () => {
    const { consumer } = fx.consumer('lagging', 500);
    expect(consumer.lag(NOW)).toMatchObject({ cursor: 0, behindRecords: fx.ledger.size() });
    const partial = await consumer.catchUp({ budgetMs: 0, now: NOW });
    const lag = consumer.lag(NOW);
    expect(partial.cursor).toBe(500);
    expect(lag.behindRecords).toBe(fx.ledger.size() - 500);
    // The oldest record not read yet was written ~19.5 hours before NOW.
    expect(lag.behindSeconds).toBeGreaterThan(19 * 3600);
    expect(lag.lastIngestedAt).toBe(new Date(NOW).toISOString());
    await consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: NOW + MINUTE });
    expect(consumer.lag(NOW + MINUTE)).toMatchObject({ behindRecords: 0, behindSeconds: 0 });
  }, 60_000);

  it('opens its store with a numbered migration and refuses a newer one', async () => {
    const file = path.join(fx.dir, 'future.sqlite');
    const repository = StoreAispmRepository.openFile(file, 'acme');
    await repository.close();
    const db = new Database(file);
    db.prepare(`UPDATE schema_migrations SET version = 99 WHERE component = 'aispm'`).run();
    db.close();
    expect(() => StoreAispmRepository.openFile(file, 'acme')).toThrow(/newer than this build/);
  });
});
