// HOUSE rule 16 as a lint rule: no import cycles between the project's own modules, type-only
// imports included. eslint-plugin-import-x's no-cycle skips `import type`, but a cycle through a
// type still ties two modules' designs together (the two cycles issue 8 removed were of that
// kind). The graph is read with TypeScript's own import scanner (ts.preProcessFile, no type
// checking) and cached per file by modification time, so a whole-repo lint stays quick.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs'];
/** file → { mtimeMs, edges: resolved files it imports } */
const graph = new Map();

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Resolves a relative specifier the way the build does (extensionless, or a directory's index). */
function resolve(from, specifier) {
  if (!/^\.\.?(\/|$)/.test(specifier)) return null;
  const base = path.resolve(path.dirname(from), specifier);
  if (EXTENSIONS.includes(path.extname(base)) && isFile(base)) return base;
  for (const extension of EXTENSIONS) if (isFile(base + extension)) return base + extension;
  for (const extension of EXTENSIONS) {
    const index = path.join(base, `index${extension}`);
    if (isFile(index)) return index;
  }
  return null;
}

function edgesOf(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return [];
  }
  const cached = graph.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs) return cached.edges;
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, false);
  const edges = [...new Set(importedFiles.map((f) => resolve(file, f.fileName)).filter(Boolean))];
  graph.set(file, { mtimeMs: stat.mtimeMs, edges });
  return edges;
}

/** A path from `start` back to `target`, or null (depth-first, each module visited once). */
function pathBack(start, target) {
  const seen = new Set();
  const stack = [[start, [start]]];
  while (stack.length > 0) {
    const [file, trail] = stack.pop();
    if (file === target) return trail;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const next of edgesOf(file)) if (!seen.has(next) || next === target) stack.push([next, [...trail, next]]);
  }
  return null;
}

const noImportCycles = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between project modules, type-only imports included' },
    schema: [],
    messages: { cycle: 'Import cycle (HOUSE rule 16): {{cycle}}' },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const target = resolve(file, specifier);
      if (!target) return;
      const trail = pathBack(target, file);
      if (!trail) return;
      const cycle = [file, ...trail].map((f) => path.relative(root, f)).join(' → ');
      context.report({ node, messageId: 'cycle', data: { cycle } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' && check(node, node.moduleReference.expression.value),
    };
  },
};

export default { rules: { 'no-import-cycles': noImportCycles } };
