import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeAction } from '../normalize';
import type { DefaultOutcome } from './compile';
import { evaluate } from './evaluate';
import { loadPack } from './load';
import { buildIndex } from './policy-index';

/*
 * The files of a walk reused between actions are shared, frozen entries, and the policy
 * remembers their verdicts (what keeps `grep -r` over a large tree fast). What is remembered
 * must never outlive what it was about: a file added to the tree, or another index judging the
 * same entries, is judged afresh.
 */

const fallback: DefaultOutcome = {
  decision: 'allow',
  severity: 'low',
  reason: 'No rule matched',
  approvalRoute: null,
  packId: null,
};

function index(rules: string) {
  const text = `id: remembered\nversion: 1.0.0\ndescription: test pack\nrules:\n${rules}`;
  return buildIndex([loadPack(text, 'remembered.yaml', os.homedir()).compiled], fallback);
}

const secrets = index(`  - id: secrets.read
    paths: ['**/*.secret']
    decision: deny
    reason: secret file
`);
const notes = index(`  - id: notes.read
    paths: ['**/notes.txt']
    decision: require_approval
    reason: notes are reviewed
`);

let root: string;

/** Moves every directory's times into the past, so the walk of the tree may be reused. */
function settle(): void {
  const past = new Date(Date.now() - 60_000);
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) visit(path.join(dir, entry.name));
    fs.utimesSync(dir, past, past);
  };
  visit(root);
}

const grep = () => normalizeAction({ type: 'execute_command', command: 'grep -r needle .', cwd: root });

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-remembered-'));
  fs.mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, 'src', `f${i}.ts`), 'x\n');
  fs.writeFileSync(path.join(root, 'src', 'deep', 'notes.txt'), 'n\n');
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('remembered verdicts of walked files', () => {
  it('shares the frozen entries of an unchanged tree between actions', () => {
    settle();
    const first = grep();
    const second = grep();
    const walked = (action: typeof first) => action.paths.filter((entry) => entry.reached === 'walk');
    expect(walked(first).length).toBe(21);
    expect(walked(second).every((entry, i) => entry === walked(first)[i] && Object.isFrozen(entry))).toBe(true);
    expect(evaluate(secrets, first).decision).toBe('allow');
    expect(evaluate(secrets, second).decision).toBe('allow');
  });

  it('judges a protected file added to the tree on the very next action', () => {
    settle();
    expect(evaluate(secrets, grep()).decision).toBe('allow');
    expect(evaluate(secrets, grep()).decision).toBe('allow');
    fs.writeFileSync(path.join(root, 'src', 'deep', 'token.secret'), 's\n');
    const after = evaluate(secrets, grep());
    expect(after.decision).toBe('deny');
    expect(after.winner?.rule.id).toBe('secrets.read');
  });

  it('does not carry one index verdict over to another index', () => {
    settle();
    const action = grep();
    expect(evaluate(secrets, action).decision).toBe('allow');
    const other = evaluate(notes, grep());
    expect(other.decision).toBe('require_approval');
    expect(other.winner?.matched).toBe('src/deep/notes.txt');
    // And back: the first index's answer did not change by being asked second.
    expect(evaluate(secrets, grep()).decision).toBe('allow');
    expect(evaluate(notes, grep()).decision).toBe('require_approval');
  });

  it('refuses to change a shared entry', () => {
    settle();
    grep();
    const entry = grep().paths.find((p) => p.reached === 'walk');
    expect(() => {
      (entry as { absolute: string }).absolute = '/elsewhere';
    }).toThrow(TypeError);
  });
});
