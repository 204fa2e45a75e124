// Normalizer figures for `npm run bench normalize`: per-action latency over the shared corpus,
// with the real file system (symlink resolution, globs) and purely lexical, and the cost of the
// shell parser alone for reference. "Every call" includes garbage collection and scheduling;
// "best of N" keeps each action's fastest run, its cost without that noise.
import mvdanSh from 'mvdan-sh';
import type { Action } from '../../core/contract';
import { normalizeAction } from '../../core/normalize';
import { benchCorpus } from './corpus';
import type { BenchSuite } from './harness';
import { latencySummary, timeEach } from './harness';

const ROUNDS = 5;

/** Each input's fastest sample, from samples taken round after round over `count` inputs. */
function bestOf(samples: readonly number[], count: number): number[] {
  const best = samples.slice(0, count);
  for (let i = count; i < samples.length; i++)
    best[i % count] = Math.min(best[i % count] as number, samples[i] as number);
  return best;
}

export const normalizeBench: BenchSuite = {
  name: 'normalize',
  async run(print) {
    // Rooted at this repository, so relative paths mostly exist and symlink checks do real work.
    const corpus = benchCorpus(process.cwd());
    const commands = corpus.filter((action) => action.type === 'execute_command');
    const counts = new Map<string, number>();
    for (const action of corpus) counts.set(action.type, (counts.get(action.type) ?? 0) + 1);
    print(`corpus: ${corpus.length} actions (${[...counts].map(([type, n]) => `${type} ${n}`).join(', ')})`);

    const parser = mvdanSh.syntax.NewParser();
    const scripts = commands.map((action) => action.command as string);
    const parse = (text: string) => {
      try {
        return parser.Parse(text, '');
      } catch {
        return null;
      }
    };
    timeEach(scripts, parse);
    print(`mvdan-sh wrapper Parse() alone:         ${latencySummary(timeEach(scripts, parse, ROUNDS))}`);

    const normalize = (action: Action) => normalizeAction(action);
    const lexical = (action: Action) => normalizeAction(action, { fs: null });
    timeEach(corpus, normalize, 2);
    const commandSamples = timeEach(commands, normalize, ROUNDS);
    const allSamples = timeEach(corpus, normalize, ROUNDS);
    print(`normalize commands, every call:         ${latencySummary(commandSamples)}`);
    print(`normalize commands, best of ${ROUNDS}:          ${latencySummary(bestOf(commandSamples, commands.length))}`);
    print(`normalize all actions, every call:      ${latencySummary(allSamples)}`);
    print(`normalize all actions, best of ${ROUNDS}:       ${latencySummary(bestOf(allSamples, corpus.length))}`);
    print(`normalize all actions, lexical only:    ${latencySummary(timeEach(corpus, lexical, ROUNDS))}`);

    let commandsFound = 0;
    let pathsFound = 0;
    let withProblems = 0;
    for (const action of corpus) {
      const normalized = normalizeAction(action);
      commandsFound += normalized.commands.length;
      pathsFound += normalized.paths.length;
      if (normalized.problems.length > 0) withProblems++;
    }
    print(`found ${commandsFound} simple commands and ${pathsFound} paths; ${withProblems} actions with problems`);
  },
};
