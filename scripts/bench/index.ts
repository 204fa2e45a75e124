// `npm run bench [suite…]`: prints the figures named in the README's performance section.
// Suites register here; each prints its own lines. Benchmarks are not timed tests.
import { aispmBench } from './aispm';
import { evidenceBench } from './evidence';
import { gateBench } from './gate';
import type { BenchSuite } from './harness';
import { normalizeBench } from './normalize';
import { policyBench } from './policy';
import { sandboxBench } from './sandbox';
import { storeBench } from './store';

const suites: BenchSuite[] = [
  evidenceBench,
  normalizeBench,
  policyBench,
  gateBench,
  aispmBench,
  sandboxBench,
  storeBench,
];

const wanted = process.argv.slice(2);
const selected = wanted.length === 0 ? suites : suites.filter((suite) => wanted.includes(suite.name));
if (selected.length === 0) {
  console.log(wanted.length === 0 ? 'No benchmark suites registered yet.' : `No suite named ${wanted.join(', ')}`);
}
for (const suite of selected) {
  console.log(`\n== ${suite.name} ==`);
  await suite.run((line) => console.log(`  ${line}`));
}
