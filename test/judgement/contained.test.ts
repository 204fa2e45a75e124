import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionSchema } from '../../core/contract';
import type { Action, DecisionKind } from '../../core/contract';
import { SANDBOX_HOME } from '../../core/containment';
import { localEvaluationPrincipal } from '../../core/identity';
import { normalizeAction } from '../../core/normalize';
import { findBuiltinPackDir, PolicyService } from '../../core/policy';
import { TenantDirectory } from '../../core/tenants';
import { type CorpusRow, loadCorpus } from './corpus';
import { createJudgementWorkspace, type JudgementWorkspace } from './workspace';

/*
 * Issue 10, acceptance 3, the judgement side: everyday work run through `cavra exec` inside
 * the tenant's sandbox is refused at most 3% of the time, while what the sandbox does not make
 * harmless stays refused. The gate judges a contained command with the containment context
 * (HOME is the sandbox's home; rules the sandbox bounds decide as their `contained` says);
 * these rows run through the same policy service with that context, against a real workspace.
 */

const INLINE = 'inline-code.yaml';
const contained = loadCorpus(path.join(import.meta.dirname, 'contained'));
const corpus = loadCorpus();
const REFUSED: ReadonlySet<DecisionKind> = new Set(['deny', 'require_approval']);
const EVERYDAY_REFUSED_LIMIT = 0.03;

let workspace: JudgementWorkspace;
let cavraHome: string;
let tenants: TenantDirectory;
let service: PolicyService;
let tenant: string;

function actionOf(row: CorpusRow, index: number, step: number, prefix: string): Action {
  const action = row.actions[step] as CorpusRow['actions'][number];
  const cwd = (action as { cwd?: string }).cwd;
  return actionSchema.parse({
    agent: { id: 'sandbox-agent', session: `${prefix}-${index}` },
    ...action,
    cwd: cwd ? cwd.replace(/^\$WS(?=\/|$)/, workspace.workspace) : workspace.workspace,
  });
}

/** The row's last decision, its actions judged in order, inside the sandbox or not. */
function decide(row: CorpusRow, index: number, inside: boolean): DecisionKind {
  let decision: DecisionKind = 'deny';
  row.actions.forEach((_, step) => {
    const action = actionOf(row, index, step, inside ? 'in' : 'out');
    const options = inside ? { contained: { home: SANDBOX_HOME } } : {};
    decision = service.evaluate(tenant, action, options).decision.decision;
  });
  return decision;
}

const describeRow = (row: CorpusRow, decision: string) =>
  `${row.file} [${row.kind}] ${decision}: ${row.label.replace(/\n/g, '⏎')}`;

beforeAll(() => {
  workspace = createJudgementWorkspace();
  cavraHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-contained-home-'));
  tenants = new TenantDirectory(cavraHome);
  tenants.bootstrap(localEvaluationPrincipal);
  service = new PolicyService({
    tenants,
    builtinDir: findBuiltinPackDir(),
    normalize: (action, options) => normalizeAction(action, { ...options, home: workspace.home }),
    userHome: workspace.home,
    dataDirectories: [cavraHome],
  });
  tenant = tenants.defaultTenant() as string;
});

afterAll(() => {
  tenants?.close();
  workspace?.cleanup();
  fs.rmSync(cavraHome, { recursive: true, force: true });
});

describe('judgement inside the sandbox', () => {
  it('has at least 150 everyday rows of real developer commands', () => {
    const everyday = contained.filter((row) => row.kind === 'everyday');
    expect(everyday.length).toBeGreaterThanOrEqual(180);
  });

  it('refuses at most 3% of everyday work run inside the sandbox, inline interpreter code included', () => {
    const everyday = contained.map((row, index) => ({ row, index })).filter(({ row }) => row.kind === 'everyday');
    const refused = everyday
      .map(({ row, index }) => ({ row, decision: decide(row, index, true) }))
      .filter(({ decision }) => REFUSED.has(decision))
      .map(({ row, decision }) => describeRow(row, decision));
    expect(refused.length / everyday.length, refused.join('\n')).toBeLessThanOrEqual(EVERYDAY_REFUSED_LIMIT);
  });

  // rce.inline-interpreter says `contained: warn`: inside, each row runs with a warning (the
  // sandbox bounds it); outside, the very same row never runs unreviewed (a reviewer decides, or
  // it is denied: code naming a path outside the workspace may write there when nothing bounds it).
  it('warns inline interpreter code inside the sandbox, and holds it for a reviewer outside', () => {
    const inline = contained.map((row, index) => ({ row, index })).filter(({ row }) => row.file === INLINE);
    expect(inline.length).toBeGreaterThanOrEqual(30);
    const wrong = inline
      .map(({ row, index }) => ({ row, inside: decide(row, index, true), outside: decide(row, index, false) }))
      .filter(({ inside, outside }) => inside !== 'warn' || !REFUSED.has(outside))
      .map(({ row, inside, outside }) => describeRow(row, `${inside} inside, ${outside} outside`));
    expect(wrong).toEqual([]);
  });

  it('refuses some of the same everyday rows outside the sandbox (the context is what changes)', () => {
    const changed = contained
      .map((row, index) => ({ row, index }))
      .filter(({ row }) => row.kind === 'everyday' && row.file !== INLINE)
      .filter(({ row, index }) => REFUSED.has(decide(row, index, false)) && !REFUSED.has(decide(row, index, true)));
    expect(changed.length).toBeGreaterThanOrEqual(10);
  });

  it('still refuses secrets, exfiltration, CI, guard and persistence rows, and denies inside what it denies outside', () => {
    const risky = contained.map((row, index) => ({ row, index })).filter(({ row }) => row.kind !== 'everyday');
    expect(risky.length).toBeGreaterThanOrEqual(60);
    const failures: string[] = [];
    for (const { row, index } of risky) {
      const inside = decide(row, index, true);
      const outside = decide(row, index, false);
      if (!REFUSED.has(inside)) failures.push(describeRow(row, inside));
      else if (outside === 'deny' && inside !== 'deny') failures.push(describeRow(row, `${inside} (deny outside)`));
    }
    expect(failures).toEqual([]);
  });

  it('denies inside the sandbox every row of the judgement corpus it denies outside', () => {
    const failures: string[] = [];
    corpus.forEach((row, index) => {
      if (row.kind === 'everyday') return;
      const outside = decide(row, index, false);
      if (outside !== 'deny') return;
      const inside = decide(row, index, true);
      if (inside !== 'deny') failures.push(describeRow(row, inside));
    });
    expect(failures).toEqual([]);
  });

  // Classes 5 and 6 are covered by the row above (a deny stays a deny) and the sandbox corpus:
  // their other rows are inline code reading variables the sandbox removes, and installs from
  // hosts its proxy does not admit, which the sandbox bounds (warned, recorded).
  it('keeps the corpus secret-file and guard classes refused inside the sandbox', () => {
    const classes = ['2-argument-taint.yaml', '8-guard-protects-itself.yaml'];
    const allowed = corpus
      .map((row, index) => ({ row, index }))
      .filter(({ row }) => row.kind !== 'everyday' && classes.includes(row.file))
      .map(({ row, index }) => ({ row, decision: decide(row, index, true) }))
      .filter(({ decision }) => !REFUSED.has(decision))
      .map(({ row, decision }) => describeRow(row, decision));
    expect(allowed).toEqual([]);
  });

  it('judges ~ as the sandbox home, with the user home behind it for what a home protects', () => {
    const action = (command: string): Action => ({ type: 'execute_command', command, cwd: workspace.workspace });
    const inside = service.evaluate(tenant, action('touch ~/notes.txt'), { contained: { home: SANDBOX_HOME } });
    const written = inside.normalized.paths.map((p) => p.absolute);
    expect(written).toContain(`${SANDBOX_HOME}/notes.txt`);
    expect(written).toContain(`${workspace.home}/notes.txt`);
    const key = service.evaluate(tenant, action('cat ~/.ssh/id_rsa'), { contained: { home: SANDBOX_HOME } });
    expect(key.decision.decision).toBe('deny');
    // An action cannot claim to be contained: without the context from the gate, it is not.
    const piped = "echo 'print(1)' | python3";
    const claimed = service.evaluate(tenant, action(piped));
    expect(claimed.decision.decision).toBe('require_approval');
    expect(claimed.normalized.contained).toBeUndefined();
    expect(service.evaluate(tenant, action(piped), { contained: { home: SANDBOX_HOME } }).decision.decision).toBe(
      'warn',
    );
  });
});
