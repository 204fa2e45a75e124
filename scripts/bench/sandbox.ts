// Containment figures for `npm run bench sandbox`: what running a command inside its sandbox
// costs over a plain spawn of the same command (issue 10, target p50 ≤ 15 ms).
//
// Real: the profile is compiled from the built-in packs' containment sections for a small git
// workspace, and the runner is the one `cavra exec` uses (workspace scan, masks, bubblewrap
// with every namespace). Two profiles: no network (the default without grants), and the
// built-in registries granted (the filtering proxy and the socat relay start too).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProfile } from '../../core/containment';
import { prepareSandbox, probeSandbox, runContained } from '../../core/containment/runner';
import type { ContainmentProfile } from '../../core/containment/runner';
import { loadPack } from '../../core/policy';
import type { BenchSuite } from './harness';
import { percentile } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = 60;

function plainRun(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

export const sandboxBench: BenchSuite = {
  name: 'sandbox',
  async run(print) {
    const probe = probeSandbox();
    if (!probe.available) {
      print(`sandbox unavailable here: ${probe.reason}`);
      return;
    }
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-bench-sandbox-'));
    try {
      const workspace = path.join(base, 'app');
      const cavraHome = path.join(base, 'cavra');
      fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
      fs.mkdirSync(cavraHome);
      for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(workspace, 'src', `module-${i}.ts`), 'export {};\n');
      fs.writeFileSync(path.join(workspace, '.env'), 'TOKEN=x\n');
      execFileSync('git', ['init', '-q', workspace]);
      const packsDir = path.join(root, 'policy-packs');
      const packs = fs
        .readdirSync(packsDir)
        .filter((name) => name.endsWith('.yaml'))
        .map((name) => loadPack(fs.readFileSync(path.join(packsDir, name), 'utf8'), name, os.homedir()).document)
        .map((document) => ({ id: document.id, version: document.version, section: document.containment ?? null }));
      const profile = compileProfile({
        assigned: { packs, broken: [] },
        cwd: workspace,
        cavraHome,
        userHome: os.homedir(),
      });
      const offline: ContainmentProfile = { ...profile, network: { hosts: [] } };
      const contained = (p: ContainmentProfile) => () =>
        runContained({ profile: p, argv: ['/bin/true'], cwd: workspace, env: process.env, cavraHome });

      // Warm up the page cache and the binaries once.
      await plainRun();
      await contained(offline)();
      const plain = await timed(RUNS, plainRun);
      const sandboxed = await timed(RUNS, contained(offline));
      const withProxy = await timed(RUNS / 2, contained(profile));
      // The set-up in Node alone (scan, masks, placeholders, lease; no bubblewrap), by CPU time:
      // wall-clock figures mean little on a loaded machine.
      const before = process.cpuUsage();
      for (let i = 0; i < RUNS; i++) {
        const prepared = await prepareSandbox({
          profile: offline,
          argv: ['/bin/true'],
          cwd: workspace,
          env: process.env,
          cavraHome,
        });
        await prepared.release();
      }
      const used = process.cpuUsage(before);
      const p50 = percentile(plain, 50);
      const overhead = (samples: number[]) => percentile(samples, 50) - p50;
      print(`plain spawn of /bin/true                 p50 ${ms(p50)}  p95 ${ms(percentile(plain, 95))}`);
      print(
        `contained, no network                    p50 ${ms(percentile(sandboxed, 50))}  p95 ${ms(percentile(sandboxed, 95))}  → overhead p50 ${ms(overhead(sandboxed))} (target ≤ 15 ms: ${overhead(sandboxed) <= 15 ? 'met' : 'NOT MET'})`,
      );
      print(
        `contained, registries through the proxy  p50 ${ms(percentile(withProxy, 50))}  p95 ${ms(percentile(withProxy, 95))}  → overhead p50 ${ms(overhead(withProxy))}`,
      );
      print(`set-up in Node per run (CPU)             ${ms((used.user + used.system) / 1000 / RUNS)}`);
      print(
        `(${probe.version}; workspace of 200 files scanned on every run; ${RUNS} runs, ${RUNS / 2} with the proxy; load average ${(os.loadavg()[0] ?? 0).toFixed(1)})`,
      );
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  },
};
