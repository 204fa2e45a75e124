import { describe, expect, it } from 'vitest';
import type { DecisionKind } from '../contract';
import type { NormalizedAction } from '../normalize/types';
import type { DefaultOutcome } from './compile';
import { toDecision } from './decisions';
import { evaluate } from './evaluate';
import { loadPack } from './load';
import { command, filePath, gitPush, normalized } from './normalized-fixtures';
import { buildIndex } from './policy-index';

const HOME = '/home/dev';
const fallback: DefaultOutcome = {
  decision: 'require_approval',
  severity: 'medium',
  reason: 'No rule matched',
  approvalRoute: null,
  packId: null,
};

function pack(id: string, rules: string, extra = '') {
  return loadPack(`id: ${id}\nversion: 1.0.0\ndescription: test pack\n${extra}\nrules:\n${rules}`, `${id}.yaml`, HOME)
    .compiled;
}

function judge(packs: ReturnType<typeof pack>[], action: NormalizedAction, trusted: string[] = []) {
  return evaluate(buildIndex(packs, fallback), action, { trustedMcpServers: new Set(trusted) });
}

const run = (text: string, extra: Partial<Parameters<typeof command>[1]> = {}) =>
  normalized('execute_command', { commands: [command(text, extra)] });

describe('commands patterns', () => {
  const p = pack(
    'cmd',
    `
  - { id: tf, commands: ["terraform apply"], decision: require_approval, reason: r }
  - { id: kdel, commands: ["kubectl delete"], decision: deny, reason: r }
  - { id: gpush, commands: ["git push"], decision: deny, reason: r }
  - { id: npmtest, commands: ["npm test"], decision: allow, reason: r }
  - { id: make, commands: ["make $", "make test"], decision: allow, reason: r }
  - { id: rmrf, commands: ["rm -rf"], decision: deny, reason: r }
  - { id: ctx, commands: ["kubectl apply --context=*prod*"], decision: deny, reason: r }
  - { id: pym, commands: ["python -m=pytest"], decision: allow, reason: r }
`,
  );
  const decide = (text: string) => judge([p], run(text)).decision;

  it('skips options between the program and its subcommand', () => {
    expect(decide('terraform -chdir=infra apply -auto-approve')).toBe('require_approval');
    expect(judge([p], run('terraform -chdir=infra apply')).winner?.rule.id).toBe('tf');
    expect(decide('kubectl --context prod delete pod x')).toBe('deny');
    expect(decide('kubectl -n prod delete pod x')).toBe('deny');
    expect(decide('git -C some/dir push origin main')).toBe('deny');
    expect(decide('git -c core.editor=vim push')).toBe('deny');
  });

  it('reads an unknown option both ways for restrictive rules, and not at all for allow rules', () => {
    expect(decide('kubectl --mystery prod delete pod')).toBe('deny');
    expect(decide('kubectl --mystery delete pod')).toBe('deny');
    expect(decide('npm --silent test')).toBe('allow');
    expect(decide('npm --mystery test')).toBe('require_approval');
  });

  it('matches leading words only, in order', () => {
    expect(decide('terraform plan apply')).toBe('require_approval');
    expect(judge([p], run('terraform plan apply')).winner).toBeNull();
    expect(decide('echo terraform apply')).toBe('require_approval');
    expect(judge([p], run('echo terraform apply')).matches).toHaveLength(0);
  });

  it('honours -- and the $ end anchor', () => {
    expect(decide('kubectl -- delete pod')).toBe('deny');
    expect(decide('make')).toBe('allow');
    expect(decide('make -j8')).toBe('allow');
    expect(decide('make deploy')).toBe('require_approval');
    expect(decide('make test')).toBe('allow');
  });

  it('requires pattern options anywhere, short clusters in any spelling', () => {
    expect(decide('rm -rf /x')).toBe('deny');
    expect(decide('rm -fr /x')).toBe('deny');
    expect(decide('rm -r -f /x')).toBe('deny');
    expect(decide('rm -r /x')).toBe('require_approval');
    expect(decide('kubectl apply -f x.yaml --context prod-eu')).toBe('deny');
    expect(decide('kubectl apply --context=prod-eu -f x.yaml')).toBe('deny');
    expect(decide('kubectl apply --context dev -f x.yaml')).toBe('require_approval');
    expect(decide('python -m pytest -q')).toBe('allow');
  });

  it('matches programs case-insensitively and without .exe', () => {
    expect(decide('Terraform.exe apply')).toBe('require_approval');
    expect(judge([p], run('TERRAFORM apply')).winner?.rule.id).toBe('tf');
  });
});

describe('code_from', () => {
  const p = pack(
    'code',
    `
  - { id: piped, commands: [bash, yash, posh, rbash], code_from: [stdin], decision: deny, reason: r }
`,
  );

  it('knows every shell the normalizer reads scripts for', () => {
    for (const shell of ['bash', 'yash', 'posh', 'rbash'])
      expect(judge([p], run(shell)).winner?.rule.id, shell).toBe('piped');
    expect(judge([p], run('yash build.sh')).winner).toBeNull();
  });
});

describe('path globs', () => {
  const p = pack(
    'paths',
    `
  - { id: env, paths: ["**/.env", "**/.env.*"], except_paths: ["**/.env.example"], decision: deny, reason: r }
  - { id: aws, paths: ["~/.aws/**"], decision: deny, reason: r }
  - { id: ssh, paths: ["**/.ssh/**"], decision: deny, reason: r }
  - { id: wf, action: write_file, paths: [".github/workflows/**"], decision: require_approval, reason: r }
  - { id: pem, paths: ["*.pem"], decision: deny, reason: r }
  - { id: outside, action: write_file, outside_workspace: true, decision: require_approval, reason: r }
  - { id: inside, outside_workspace: false, decision: allow, reason: r }
`,
  );
  const read = (path: string) => judge([p], normalized('read_file', { paths: [filePath(path, 'read')] }));
  const write = (path: string) => judge([p], normalized('write_file', { paths: [filePath(path, 'write')] }));

  it('matches the relative and the absolute form', () => {
    expect(read('config/.env').winner?.rule.id).toBe('env');
    expect(read('/home/u/other/.env').winner?.rule.id).toBe('env');
    expect(read('.env.local').decision).toBe('deny');
    expect(read('deep/a/b/.ENV').decision).toBe('deny');
    expect(read('.env.example').decision).toBe('allow');
  });

  it('expands ~ and matches a directory and everything under it', () => {
    expect(read(`${HOME}/.aws/credentials`).winner?.rule.id).toBe('aws');
    expect(read(`${HOME}/.ssh`).winner?.rule.id).toBe('ssh');
    expect(read(`${HOME}/.ssh/id_ed25519`).winner?.rule.id).toBe('ssh');
  });

  it('treats a bare pattern as a name at any depth and relative patterns below any directory', () => {
    expect(read('certs/prod/server.pem').winner?.rule.id).toBe('pem');
    expect(write('.github/workflows/ci.yml').winner?.rule.id).toBe('wf');
    expect(write('/elsewhere/repo/.github/workflows/ci.yml').decision).toBe('require_approval');
    expect(read('.github/workflows/ci.yml').decision).toBe('allow');
    expect(write('docs/workflows/x.md').decision).toBe('allow');
  });

  it('checks files found inside commands without giving them the default', () => {
    const cat = normalized('execute_command', {
      commands: [command('cat notes.txt')],
      paths: [filePath('notes.txt', 'read', 'command', 'cat')],
    });
    // `cat` itself matches nothing here, so it takes the default; the file is merely allowed.
    expect(judge([p], cat).decision).toBe('require_approval');
    const leak = normalized('execute_command', {
      commands: [command('cat .env')],
      paths: [filePath('.env', 'read', 'command', 'cat')],
    });
    expect(judge([p], leak).decision).toBe('deny');
  });
});

describe('outcomes', () => {
  const rules = [
    `  - { id: a-allow, commands: [curl], decision: allow, reason: a }`,
    `  - { id: b-warn, commands: [curl], decision: warn, severity: low, reason: b }`,
    `  - { id: c-deny-high, commands: ["curl -d"], decision: deny, severity: high, reason: c }`,
    `  - { id: d-deny-critical, commands: ["curl -d"], decision: deny, severity: critical, reason: d }`,
    `  - { id: e-approval, commands: [curl], decision: require_approval, reason: e }`,
  ];

  it('lets the most restrictive rule win, then severity, whatever the order of rules and packs', () => {
    const winners = new Set<string>();
    for (let shift = 0; shift < rules.length; shift++) {
      const order = [...rules.slice(shift), ...rules.slice(0, shift)];
      const one = pack('one', order.join('\n'));
      const split = [pack('zeta', order.slice(0, 2).join('\n')), pack('alpha', order.slice(2).join('\n'))];
      const action = run('curl -d @x https://example.net');
      winners.add(judge([one], action).winner?.rule.id ?? 'none');
      winners.add(judge(split, action).winner?.rule.id ?? 'none');
      winners.add(judge([...split].reverse(), action).winner?.rule.id ?? 'none');
    }
    expect([...winners]).toEqual(['d-deny-critical']);
  });

  it('records every matching rule, most restrictive first', () => {
    const verdict = judge([pack('one', rules.join('\n'))], run('curl -d @x https://example.net'));
    expect(verdict.matches.map((m) => m.rule.id)).toEqual([
      'd-deny-critical',
      'c-deny-high',
      'e-approval',
      'b-warn',
      'a-allow',
    ]);
  });

  it('judges every simple command: one unmatched command takes the default', () => {
    const p = pack('p', `  - { id: ok, commands: [ls, echo], decision: allow, reason: ok }`);
    expect(judge([p], normalized('execute_command', { commands: [command('ls'), command('echo hi')] })).decision).toBe(
      'allow',
    );
    const verdict = judge([p], normalized('execute_command', { commands: [command('ls'), command('frob')] }));
    expect(verdict.decision).toBe('require_approval');
    expect(verdict.basis).toBe('default');
    expect(verdict.unmatched).toEqual(['frob']);
  });

  it('uses the most restrictive pack default, and the tenant default when no pack has one', () => {
    const strict = pack(
      'strict',
      `  - { id: x, commands: [ls], decision: allow, reason: x }`,
      'defaults: { decision: deny }',
    );
    const lax = pack(
      'lax',
      `  - { id: y, commands: [ls], decision: allow, reason: y }`,
      'defaults: { decision: warn }',
    );
    expect(judge([lax, strict], run('frob')).decision).toBe('deny');
    expect(judge([lax], run('frob')).decision).toBe('warn');
    expect(
      judge([pack('none', `  - { id: z, commands: [ls], decision: allow, reason: z }`)], run('frob')).decision,
    ).toBe('require_approval');
  });

  it('never allows without a pack', () => {
    const verdict = evaluate(buildIndex([], fallback), run('ls'));
    expect(verdict.decision).toBe('require_approval');
    expect(verdict.basis).toBe('no_pack');
  });

  it('raises normalization problems and run-time programs to at least require_approval', () => {
    const p = pack('p', `  - { id: ok, commands: ["*"], decision: allow, reason: ok }`);
    const broken = normalized('execute_command', {
      commands: [command('ls')],
      problems: [{ code: 'parse_error', message: 'unclosed quote at 1:4' }],
    });
    const verdict = judge([p], broken);
    expect(verdict.decision).toBe('require_approval');
    expect(verdict.basis).toBe('normalization');
    expect(verdict.reason).toContain('unclosed quote');
    const dynamic = normalized('execute_command', { commands: [command('$CMD x', { dynamic: true })] });
    expect(judge([p], dynamic).decision).toBe('require_approval');
    const deny = pack('d', `  - { id: no, commands: [ls], decision: deny, reason: no }`);
    expect(judge([deny], broken).decision).toBe('deny');
  });

  it('keeps shadow packs out of the effective decision but in the would-be one', () => {
    const enforce = pack('enforce', `  - { id: ok, commands: [curl], decision: allow, reason: ok }`);
    const shadow = pack('shadow', `  - { id: no, commands: [curl], decision: deny, reason: no }`, 'mode: shadow');
    const verdict = judge([enforce, shadow], run('curl x'));
    expect(verdict.decision).toBe('allow');
    expect(verdict.wouldBe).toBe('deny');
    expect(verdict.matches.map((m) => [m.rule.id, m.rule.pack.mode])).toEqual([
      ['no', 'shadow'],
      ['ok', 'enforce'],
    ]);
    const only = judge([shadow], run('curl x'));
    expect(only.decision).toBe('allow');
    expect(only.wouldBe).toBe('deny');
  });
});

describe('git and MCP conditions', () => {
  const p = pack(
    'git',
    `
  - { id: protected, git: { subcommand: [push], protected: true }, decision: deny, reason: r }
  - { id: force, git: { subcommand: [push], force: true }, decision: require_approval, reason: r }
  - { id: feature, git: { subcommand: [push], protected: false, force: false }, decision: allow, reason: r }
  - { id: hooks, git: { config: [core.hooksPath] }, decision: deny, reason: r }
  - { id: unknown, mcp: { trusted: false }, decision: deny, reason: r }
  - { id: trusted, mcp: { trusted: true }, decision: allow, reason: r }
  - { id: del, mcp: { tools: ["delete_*"] }, decision: require_approval, reason: r }
`,
    'protected_branches: [main, "release/*"]\ntrusted_mcp_servers: [docs]',
  );
  const ref = (dst: string, force = false) => ({ src: 'x', dst, force, delete: false });
  const push = (refs: ReturnType<typeof ref>[], extra = {}) =>
    judge([p], normalized('git_operation', { git: [gitPush([], { refs, ...extra })] }));

  it('knows protected branches, forced updates and unnamed destinations', () => {
    expect(push([ref('main')]).decision).toBe('deny');
    expect(push([ref('refs/heads/release/1.2')]).decision).toBe('deny');
    expect(push([ref('feature/x')]).decision).toBe('allow');
    expect(push([ref('feature/x', true)]).decision).toBe('require_approval');
    expect(push([ref('feature/x')], { forceWithLease: true }).decision).toBe('require_approval');
    expect(push([]).decision).toBe('require_approval');
    expect(push([ref('HEAD')]).decision).toBe('require_approval');
    expect(push([], { all: true }).decision).toBe('deny');
  });

  it('sees config set with -c and with git config, in any case', () => {
    const viaC = { subcommand: 'commit', config: { 'core.hookspath': '/dev/null' }, args: [], push: null };
    expect(judge([p], normalized('git_operation', { git: [viaC] })).decision).toBe('deny');
    const viaConfig = { subcommand: 'config', config: {}, args: ['--local', 'core.HooksPath', 'x'], push: null };
    expect(judge([p], normalized('git_operation', { git: [viaConfig] })).decision).toBe('deny');
  });

  it('denies unknown MCP servers and trusts the tenant list and pack list', () => {
    const call = (server: string, tool: string) =>
      normalized('mcp_tool_call', { mcp: { server, tool, arguments: {} } });
    expect(judge([p], call('evil', 'read')).decision).toBe('deny');
    expect(judge([p], call('docs', 'read')).decision).toBe('allow');
    expect(judge([p], call('Files', 'read'), ['files']).decision).toBe('allow');
    expect(judge([p], call('files', 'delete_all'), ['files']).decision).toBe('require_approval');
  });
});

describe('decisions', () => {
  const p = pack(
    'd',
    `
  - { id: tf, commands: ["terraform apply"], decision: require_approval, approval_route: ops, severity: critical, reason: Applies need ops }
  - { id: any, commands: [terraform], decision: allow, reason: fine }
`,
    'approval_routes: { ops: { approvers: [ops] } }',
  );

  it('explains the winner, every match and the approval route', () => {
    const action = run('terraform apply');
    const decision = toDecision(judge([p], action), action, { tenant: 't', tenantMode: 'enforce', now: new Date(0) });
    expect(decision.decision).toBe('require_approval');
    expect(decision.approval).toEqual({ route: 'd/ops', state: 'pending' });
    expect(decision.rules.map((r) => r.rule_id)).toEqual(['tf', 'any']);
    expect(decision.explanation.winner).toBe('d/tf');
    expect(decision.explanation.basis).toBe('rule');
    expect(decision.explanation.summary).toContain('1 other rule matched');
    expect(decision.timestamp).toBe('1970-01-01T00:00:00.000Z');
  });

  it('allows in tenant shadow mode but records the would-be decision, except what was not understood', () => {
    const action = run('terraform apply');
    const shadow = toDecision(judge([p], action), action, { tenant: 't', tenantMode: 'shadow', now: new Date() });
    expect([shadow.decision, shadow.would_be, shadow.mode]).toEqual(['allow', 'require_approval', 'shadow']);
    const broken = normalized('execute_command', { problems: [{ code: 'parse_error', message: 'x' }] });
    const stays = toDecision(judge([p], broken), broken, { tenant: 't', tenantMode: 'shadow', now: new Date() });
    expect(stays.decision satisfies DecisionKind).toBe('require_approval');
  });
});

describe('the index', () => {
  it('finds git rules filed by their destination refs, in short and long form', () => {
    const p = pack(
      'refs',
      `
  - { id: team, git: { subcommand: [push], refs: ["team-a/*"] }, decision: deny, reason: r }
  - { id: long, git: { refs: ["refs/heads/prod"] }, decision: deny, reason: r }
`,
    );
    const push = (dst: string) =>
      judge(
        [p],
        normalized('git_operation', { git: [gitPush([], { refs: [{ src: 'x', dst, force: false, delete: false }] })] }),
      );
    expect(push('team-a/feature').winner?.rule.id).toBe('team');
    expect(push('refs/heads/team-a/feature').winner?.rule.id).toBe('team');
    expect(push('prod').winner?.rule.id).toBe('long');
    expect(push('team-b/feature').matches).toEqual([]);
  });
});

describe('glob paths the shell could not expand', () => {
  const p = pack(
    'globs',
    `
  - { id: env, paths: ["**/.env"], decision: deny, reason: r }
  - { id: ssh, paths: ["**/.ssh/**"], decision: deny, reason: r }
  - { id: pem, paths: ["**/*.pem"], decision: deny, reason: r }
`,
  );
  const read = (p0: string) => {
    const path = { ...filePath(p0, 'read', 'command', 'cat'), pattern: true };
    return judge([p], normalized('execute_command', { commands: [command(`cat ${p0}`)], paths: [path] }));
  };

  it('judges them as every protected name they could stand for', () => {
    expect(read('.en*').winner?.rule.id).toBe('env');
    expect(read('/home/u/.ss?/config').winner?.rule.id).toBe('ssh');
    expect(read('certs/*.pe?').winner?.rule.id).toBe('pem');
    // A bare wildcard says nothing about names; real globs are expanded on disk by the normalizer.
    expect(read('certs/*').matches).toEqual([]);
    expect(read('src/*.ts').matches).toEqual([]);
  });
});
