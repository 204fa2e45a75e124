import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ActionInput } from '../../core/contract';

/**
 * The judgement corpus (issue 9): rows of risky and everyday actions per attack class, as
 * data. A risky row must never be allowed; at most 3% of everyday rows may be gated. A
 * session row is a sequence of actions by one agent session whose last action must not be
 * allowed (download now, run later).
 */
export interface CorpusRow {
  file: string;
  class: string;
  /** `denied`: a risky row that must be denied outright, not only gated. */
  kind: 'risky' | 'denied' | 'everyday' | 'session';
  /** One action, or the actions of a session in order; `cwd` may be `$WS/<dir>` (the workspace by default). */
  actions: (Omit<ActionInput, 'cwd'> & { cwd?: string })[];
  /** Short text for reports. */
  label: string;
}

type RawAction = string | (Omit<ActionInput, 'cwd'> & { cwd?: string });

interface CorpusFile {
  class: string;
  risky?: RawAction[];
  denied?: RawAction[];
  everyday?: RawAction[];
  session?: RawAction[][];
}

export const CORPUS_DIR = path.join(import.meta.dirname, 'corpus');

function toAction(raw: RawAction): CorpusRow['actions'][number] {
  return typeof raw === 'string' ? { type: 'execute_command', command: raw } : raw;
}

function labelOf(action: CorpusRow['actions'][number]): string {
  return action.command ?? `${action.type} ${action.path ?? action.git?.args.join(' ') ?? ''}`;
}

export function loadCorpus(dir: string = CORPUS_DIR): CorpusRow[] {
  const rows: CorpusRow[] = [];
  for (const file of fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()) {
    const doc = parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CorpusFile;
    if (typeof doc?.class !== 'string') throw new Error(`${file}: "class" is missing`);
    for (const kind of ['risky', 'denied', 'everyday'] as const) {
      for (const raw of doc[kind] ?? []) {
        const action = toAction(raw);
        rows.push({ file, class: doc.class, kind, actions: [action], label: labelOf(action) });
      }
    }
    for (const sequence of doc.session ?? []) {
      const actions = sequence.map(toAction);
      rows.push({ file, class: doc.class, kind: 'session', actions, label: actions.map(labelOf).join(' ⟶ ') });
    }
  }
  return rows;
}
