import path from 'node:path';
import type { ActionType } from '../contract';
import type { GitInvocation, GitPush, NormalizedAction, NormalizedPath, SimpleCommand } from '../normalize/types';

/**
 * Hand-built normalized actions for engine tests and the synthetic benchmark, which
 * measure policy evaluation on its own, without the normalizer in front of it.
 */
const FIXTURE_WORKSPACE = '/work/project';

export function command(text: string, extra: Partial<SimpleCommand> = {}): SimpleCommand {
  const [program = '', ...args] = text.split(/\s+/).filter(Boolean);
  return { program, args, assignments: {}, wrappers: [], depth: 0, dynamic: false, text, ...extra };
}

export function filePath(
  p: string,
  access: 'read' | 'write',
  source: NormalizedPath['source'] = 'action',
  via: string | null = null,
): NormalizedPath {
  const absolute = path.posix.resolve(FIXTURE_WORKSPACE, p);
  const inside = absolute === FIXTURE_WORKSPACE || absolute.startsWith(`${FIXTURE_WORKSPACE}/`);
  return {
    absolute,
    relative: inside ? path.posix.relative(FIXTURE_WORKSPACE, absolute) || '.' : null,
    outsideWorkspace: !inside,
    access,
    source,
    via,
  };
}

export function gitPush(args: string[], push: Partial<GitPush>): GitInvocation {
  return {
    subcommand: 'push',
    config: {},
    args,
    push: {
      remote: 'origin',
      refs: [],
      force: false,
      forceWithLease: false,
      mirror: false,
      all: false,
      tags: false,
      delete: false,
      ...push,
    },
  };
}

export function normalized(type: ActionType, parts: Partial<NormalizedAction> = {}): NormalizedAction {
  const base: NormalizedAction = {
    type,
    action: { type, command: 'x', path: 'x' } as NormalizedAction['action'],
    workspace: FIXTURE_WORKSPACE,
    target: '',
    commands: [],
    paths: [],
    git: [],
    mcp: null,
    problems: [],
  };
  const out = { ...base, ...parts };
  if (out.target === '') {
    out.target =
      out.commands[0]?.text ?? out.paths[0]?.relative ?? out.paths[0]?.absolute ?? out.git[0]?.subcommand ?? type;
  }
  return out;
}
