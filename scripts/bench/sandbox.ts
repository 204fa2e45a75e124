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

/** This process's CPU time and that of every child it has reaped (bubblewrap and all it ran), in ms. */
function cpuWithChildren(): number {
  const own = process.cpuUsage();
  // /proc/self/stat fields 16 and 17: children's user and system time, in clock ticks (100 Hz);
  // summed over a whole series, so the tick's coarseness averages out.
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childTicks = Number(fields[13]) + Number(fields[14]);
  return (own.user + own.system) / 1000 + childTicks * 10;
}

/** Wall-clock samples (sorted), and the CPU time per run of the whole series. */
async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number }> {
  const samples: number[] = [];
  const cpuBefore = cpuWithChildren();
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { wall: samples.sort((a, b) => a - b), cpu: (cpuWithChildren() - cpuBefore) / runs };
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
      const p50 = percentile(plain.wall, 50);
      const overhead = (series: { wall: number[] }) => percentile(series.wall, 50) - p50;
      const verdict = (value: number) => `target ≤ 15 ms: ${value <= 15 ? 'met' : 'NOT MET'}`;
      const line = (label: string, series: { wall: number[]; cpu: number }, judged: boolean) =>
        `${label} p50 ${ms(percentile(series.wall, 50))}  p95 ${ms(percentile(series.wall, 95))}  CPU ${ms(series.cpu)}/run` +
        (series === plain
          ? ''
          : `  → overhead p50 ${ms(overhead(series))}${judged ? ` (${verdict(overhead(series))})` : ''}, CPU ${ms(series.cpu - plain.cpu)}/run`);
      print(line('plain spawn of /bin/true                ', plain, false));
      print(line('contained, no network                   ', sandboxed, true));
      print(line('contained, registries through the proxy ', withProxy, true));
      print(`set-up in Node per run (CPU)             ${ms((used.user + used.system) / 1000 / RUNS)}`);
      print(
        `(${probe.version}; workspace of 200 files scanned on every run; ${RUNS} runs, ${RUNS / 2} with the proxy; CPU = this process and the children it reaped; load average ${(os.loadavg()[0] ?? 0).toFixed(1)}: wall-clock figures hold only on a quiet machine)`,
      );
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  },
};
