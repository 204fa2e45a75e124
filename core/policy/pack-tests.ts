import { actionSchema } from '../contract';
import type { Action, DecisionKind } from '../contract';
import { emptyFileSystem } from '../normalize';
import type { ContainmentContext, FileSystemProbe } from '../normalize';
import type { NormalizedAction } from '../normalize/types';
import type { CompiledPack, DefaultOutcome } from './compile';
import { evaluate } from './evaluate';
import type { Verdict } from './evaluate';
import { buildIndex } from './policy-index';

/** Where test actions run when they name no `cwd`: a fixed path that exists on no machine we know of. */
const PACK_TEST_WORKSPACE = '/srv/cavra-pack-tests/workspace';

/** Normalizes an action, asking `fs` about the file system when given (the real one otherwise). */
export type Normalizer = (
  action: Action,
  options?: { fs?: FileSystemProbe | null; dataDirectories?: readonly string[]; containment?: ContainmentContext },
) => NormalizedAction;

export interface PackTestResult {
  name: string;
  expect: DecisionKind | 'no_match';
  got: DecisionKind | 'no_match';
  /** The rule that decided (`rule_id`), or null for a default or normalization outcome. */
  decidedBy: string | null;
  ok: boolean;
  /** Why it failed, in words; empty when it passed. */
  message: string;
}

export interface PackTestReport {
  packId: string;
  version: string;
  passed: number;
  failed: number;
  results: PackTestResult[];
}

/** When a pack is tested on its own, what no rule matches needs review. */
const TEST_FALLBACK: DefaultOutcome = {
  decision: 'require_approval',
  severity: 'medium',
  reason: 'No rule of this pack matched',
  approvalRoute: null,
  packId: null,
};

/**
 * Runs a pack's `tests:` block through the real normalizer and this pack alone. A shadow
 * pack is tested on its would-be decisions. `no_match` expects that no rule of the pack
 * matches at all (for "this pack leaves everyday work alone" tests). The tests see an empty
 * file system, so they decide the same on every machine and their results can be reused for
 * the same pack text and judging code (pack-test-results.ts).
 */
export function runPackTests(pack: CompiledPack, normalize: Normalizer): PackTestReport {
  const index = buildIndex([pack], TEST_FALLBACK);
  const results = (pack.document.tests ?? []).map((test): PackTestResult => {
    let verdict: Verdict;
    try {
      const action = actionSchema.parse({ cwd: PACK_TEST_WORKSPACE, ...test.action });
      const trusted = new Set((test.trusted_mcp_servers ?? []).map((s) => s.toLowerCase()));
      verdict = evaluate(index, normalize(action, { fs: emptyFileSystem }), { trustedMcpServers: trusted });
    } catch (error) {
      return {
        name: test.name,
        expect: test.expect,
        got: 'deny',
        decidedBy: null,
        ok: false,
        message: `the action could not be evaluated: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const top = verdict.matches[0] ?? null;
    const decided = pack.meta.mode === 'shadow' ? verdict.wouldBe : verdict.decision;
    const got: PackTestResult['got'] =
      test.expect === 'no_match' && verdict.matches.length === 0 ? 'no_match' : decided;
    const decidedBy = pack.meta.mode === 'shadow' ? (top?.rule.id ?? null) : (verdict.winner?.rule.id ?? null);
    const problems: string[] = [];
    if (got !== test.expect) {
      problems.push(
        test.expect === 'no_match'
          ? `expected no rule to match, but ${verdict.matches.map((m) => m.rule.id).join(', ')} matched`
          : `expected ${test.expect}, got ${got}${decidedBy ? ` from rule ${decidedBy}` : ` (${verdict.basis}: ${verdict.reason})`}`,
      );
    }
    if (test.rule !== undefined && decidedBy !== test.rule) {
      problems.push(`expected rule ${test.rule} to decide, but ${decidedBy ?? `the ${verdict.basis}`} did`);
    }
    return {
      name: test.name,
      expect: test.expect,
      got,
      decidedBy,
      ok: problems.length === 0,
      message: problems.join('; '),
    };
  });
  const failed = results.filter((r) => !r.ok).length;
  return { packId: pack.meta.id, version: pack.meta.version, passed: results.length - failed, failed, results };
}
