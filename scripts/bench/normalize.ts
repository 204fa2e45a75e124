// Normalizer figures for `npm run bench normalize`: per-action latency over the shared corpus,
// with the real file system (symlink resolution, globs) and purely lexical, and the cost of the
// shell parser alone for reference.
import mvdanSh from 'mvdan-sh';
import type { Action } from '../../core/contract';
import { normalizeAction } from '../../core/normalize';
import { benchCorpus } from './corpus';
import type { BenchSuite } from './harness';
import { latencySummary, timeEach } from './harness';

const ROUNDS = 5;

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
    print(`mvdan-sh parse only (commands):        ${latencySummary(timeEach(scripts, parse, ROUNDS))}`);

    const normalize = (action: Action) => normalizeAction(action);
    const lexical = (action: Action) => normalizeAction(action, { fs: null });
    timeEach(corpus, normalize, 2);
    print(`normalize, commands (parse + extract): ${latencySummary(timeEach(commands, normalize, ROUNDS))}`);
    print(`normalize, all actions:                ${latencySummary(timeEach(corpus, normalize, ROUNDS))}`);
    print(`normalize, all actions, lexical only:  ${latencySummary(timeEach(corpus, lexical, ROUNDS))}`);

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
