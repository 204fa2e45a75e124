// Policy figures for `npm run bench policy`: evaluation of already-normalized actions against
// every built-in pack, full evaluate (normalize + evaluate + Decision) over the shared corpus,
// the service path with its tenant store, and 100 vs 10,000 synthetic rules for scaling.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Action } from '../../core/contract';
import { normalizeAction } from '../../core/normalize';
import type { NormalizedAction } from '../../core/normalize';
import { buildIndex, evaluate, findBuiltinPackDir, loadPack, PolicyService, toDecision } from '../../core/policy';
import type { DefaultOutcome, PolicyIndex } from '../../core/policy';
import { TenantDirectory } from '../../core/tenants';
import { localEvaluationPrincipal } from '../../core/identity';
import { benchCorpus } from './corpus';
import type { BenchSuite } from './harness';
import { latencySummary, percentile, timeEach } from './harness';

const ROUNDS = 20;
const TENANT_DEFAULT: DefaultOutcome = {
  decision: 'require_approval',
  severity: 'medium',
  reason: 'No rule matched',
  approvalRoute: null,
  packId: null,
};

function decide(index: PolicyIndex, action: NormalizedAction): unknown {
  return toDecision(evaluate(index, action), action, { tenant: 'bench', tenantMode: 'enforce', now: new Date() });
}

/** Like timeEach, but the process's CPU time (user + system) per call, in nanoseconds (µs resolution). */
function cpuEach<T>(inputs: readonly T[], fn: (input: T) => unknown, rounds: number): number[] {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const input of inputs) {
      const start = process.cpuUsage();
      fn(input);
      const used = process.cpuUsage(start);
      samples.push((used.user + used.system) * 1000);
    }
  }
  return samples;
}

/** `count` rules spread over commands, paths, git and MCP, each with its own literal to be filed by. */
function syntheticIndex(count: number): PolicyIndex {
  const rules = Array.from({ length: count }, (_, i) => {
    const base = {
      id: `synthetic.${i}`,
      decision: i % 3 === 0 ? 'deny' : 'require_approval',
      reason: `synthetic rule ${i}`,
    };
    switch (i % 5) {
      case 0:
        return { ...base, commands: [`tool${i} apply`, `tool${i} --force`] };
      case 1:
        return { ...base, paths: [`**/secret-${i}.txt`, `**/*.ext${i}`] };
      case 2:
        return { ...base, paths: [`config/set-${i}/**`], access: 'write' };
      case 3:
        return { ...base, git: { subcommand: ['push'], refs: [`team-${i}/*`] } };
      default:
        return { ...base, mcp: { servers: [`server-${i}`], tools: ['delete_*'] } };
    }
  });
  // JSON is YAML: the pack goes through the same loader as any other.
  const text = JSON.stringify({ id: `synthetic-${count}`, version: '1.0.0', description: 'synthetic', rules });
  return buildIndex([loadPack(text, `synthetic-${count}.yaml`, os.homedir()).compiled], TENANT_DEFAULT);
}

/** Actions that hit synthetic rules and actions that hit none, normalized once up front. */
function syntheticActions(count: number): NormalizedAction[] {
  const cwd = '/srv/bench/app';
  const actions: Action[] = [];
  for (let i = 0; i < 300; i++) {
    const n = (i * 7919) % count;
    actions.push(
      { type: 'execute_command', command: `tool${n} --verbose apply now && grep -n x src/a.ts`, cwd },
      { type: 'read_file', path: `deep/dir/secret-${n}.txt`, cwd },
      { type: 'write_file', path: `config/set-${n}/app.yaml`, cwd },
      { type: 'write_file', path: `src/module-${i}/index.ts`, cwd },
      { type: 'git_operation', git: { args: ['push', 'origin', `team-${n}/feature`] }, cwd },
      { type: 'mcp_tool_call', mcp: { server: `server-${n}`, tool: 'delete_row', arguments: {} }, cwd },
    );
  }
  return actions.map((action) => normalizeAction(action, { fs: null }));
}

export const policyBench: BenchSuite = {
  name: 'policy',
  async run(print) {
    const dir = findBuiltinPackDir();
    if (!dir) throw new Error('policy-packs/ not found');
    const packs = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => loadPack(fs.readFileSync(path.join(dir, name), 'utf8'), name, os.homedir()).compiled);
    const index = buildIndex(packs, TENANT_DEFAULT);
    const corpus = benchCorpus(process.cwd());
    print(`built-in packs: ${packs.length} packs, ${index.ruleCount} rules; corpus: ${corpus.length} actions`);

    const normalizedCorpus = corpus.map((action) => normalizeAction(action));
    timeEach(normalizedCorpus, (action) => decide(index, action), 3);
    print(
      `evaluate, normalized action (+ Decision): ${latencySummary(timeEach(normalizedCorpus, (action) => decide(index, action), ROUNDS))}`,
    );

    // With the file system: symlinks, globs, hard links and recursive walks judged on disk.
    const full = (action: Action) => decide(index, normalizeAction(action));
    timeEach(corpus, full, 2);
    print(`full evaluate (normalize + evaluate):    ${latencySummary(timeEach(corpus, full, 5))}`);
    // CPU time per action: on a loaded machine the wall-clock tail is mostly other processes
    // preempting this one; the CPU tail is the work itself (large recursive walks).
    print(`full evaluate, CPU time per action:      ${latencySummary(cpuEach(corpus, full, 3))}`);
    const lexical = (action: Action) => decide(index, normalizeAction(action, { fs: null }));
    timeEach(corpus, lexical, 2);
    print(`full evaluate, no file system (lexical): ${latencySummary(timeEach(corpus, lexical, 5))}`);
    print(`lexical, CPU time per action:            ${latencySummary(cpuEach(corpus, lexical, 3))}`);

    const counts = { allow: 0, warn: 0, require_approval: 0, deny: 0 };
    for (const action of normalizedCorpus) counts[evaluate(index, action).decision]++;
    print(
      `corpus decisions: ${Object.entries(counts)
        .map(([d, n]) => `${d} ${n}`)
        .join(', ')}`,
    );

    // The service path: tenant store lookup, cached index, generation check, Decision.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-bench-policy-'));
    const tenants = new TenantDirectory(home);
    try {
      tenants.bootstrap(localEvaluationPrincipal);
      const service = new PolicyService({
        tenants,
        builtinDir: dir,
        normalize: normalizeAction,
        userHome: os.homedir(),
      });
      const tenant = tenants.defaultTenant() as string;
      const viaService = (action: Action) => service.evaluate(tenant, action);
      timeEach(corpus, viaService, 2);
      print(`PolicyService.evaluate (store, cache):   ${latencySummary(timeEach(corpus, viaService, 3))}`);
    } finally {
      tenants.close();
      fs.rmSync(home, { recursive: true, force: true });
    }

    const p50 = (samples: number[]) =>
      percentile(
        [...samples].sort((a, b) => a - b),
        50,
      );
    const scaling: Record<number, number> = {};
    for (const count of [100, 1_000, 10_000]) {
      const started = process.hrtime.bigint();
      const synthetic = syntheticIndex(count);
      const compileMs = Number(process.hrtime.bigint() - started) / 1e6;
      const actions = syntheticActions(count);
      timeEach(actions, (action) => evaluate(synthetic, action), 3);
      const samples = timeEach(actions, (action) => evaluate(synthetic, action), 10);
      scaling[count] = p50(samples);
      print(
        `${String(count).padStart(6)} synthetic rules (compile ${compileMs.toFixed(0)} ms): ${latencySummary(samples)}`,
      );
    }
    const ratio = (scaling[10_000] as number) / (scaling[100] as number);
    print(`100 → 10,000 rules (100x): median evaluation ${ratio.toFixed(2)}x`);
  },
};
