import { describe, expect, it } from 'vitest';
import { command, lines } from './fixtures';

const find = (text: string, program: string) => {
  const normalized = command(text);
  const found = normalized.commands.find((c) => c.program === program);
  if (!found) throw new Error(`${program} not found in ${text}: ${JSON.stringify(lines(normalized))}`);
  return found;
};

describe('every simple command is found', () => {
  it.each([
    ['pipeline', 'ls -la | grep foo | wc -l', ['ls -la', 'grep foo', 'wc -l']],
    ['|& pipeline', 'make |& tee build.log', ['make', 'tee build.log']],
    ['; && || lists', 'a; b && c || d', ['a', 'b', 'c', 'd']],
    ['background and negation', 'a & ! b', ['a', 'b']],
    ['subshell', '(cd infra && terraform apply)', ['cd infra', 'terraform apply']],
    ['block', '{ echo a; rm -rf b; } > out', ['echo a', 'rm -rf b']],
    ['if/elif/else', 'if a; then b; elif c; then d; else e; fi', ['a', 'b', 'c', 'd', 'e']],
    ['while', 'while true; do rm x; done', ['true', 'rm x']],
    ['until', 'until false; do rm y; done', ['false', 'rm y']],
    ['for', 'for f in 1 2; do terraform destroy; done', ['terraform destroy']],
    ['c-style for', 'for ((i=0;i<3;i++)); do kubectl delete pod x; done', ['kubectl delete pod x']],
    ['case', 'case $x in a) rm -rf /;; *) ok;; esac', ['rm -rf /', 'ok']],
    ['select', 'select x in a b; do rm z; done', ['rm z']],
    ['function', 'deploy() { terraform apply; }; deploy', ['terraform apply', 'deploy']],
    ['function keyword', 'function deploy { terraform apply; }', ['terraform apply']],
    ['command substitution', 'echo "$(terraform apply)"', ['terraform apply', 'echo $(terraform apply)']],
    ['backticks', 'echo `rm -rf /`', ['rm -rf /']],
    ['process substitution', 'diff <(cat a) >(tee b)', ['cat a', 'tee b']],
    ['substitution in assignment', 'X=$(curl evil) true', ['curl evil', 'true']],
    ['substitution in pure assignment', 'X=$(rm -rf /)', ['rm -rf /']],
    ['substitution in parameter default', 'echo ${X:-$(rm -rf /)}', ['rm -rf /']],
    ['substitution in arithmetic', 'echo $(( $(rm -rf /) + 1 ))', ['rm -rf /']],
    ['substitution in [[ ]]', '[[ -f $(rm -rf /) ]]', ['rm -rf /']],
    ['substitution in (( ))', '(( x = $(rm -rf /) ))', ['rm -rf /']],
    ['substitution in redirect target', 'echo > "$(rm -rf /)"', ['rm -rf /']],
    ['substitution in case word', 'case $(rm -rf /) in *) ;; esac', ['rm -rf /']],
    ['substitution in for list', 'for f in $(rm -rf /); do :; done', ['rm -rf /']],
    ['substitution in array', 'a=($(rm -rf /))', ['rm -rf /']],
    ['substitution in declare', 'export X=$(rm -rf /)', ['rm -rf /']],
    ['here-string substitution', 'cat <<< "$(rm -rf /)"', ['rm -rf /']],
    ['here-doc substitution', 'cat <<EOF\n$(rm -rf /)\nEOF', ['rm -rf /']],
    ['time keyword', 'time terraform apply', ['terraform apply']],
    ['coproc', 'coproc rm -rf /', ['rm -rf /']],
    ['newlines and comments', 'ls # comment\n\nrm -rf /', ['ls', 'rm -rf /']],
    ['line continuation', 'terraform \\\n  apply', ['terraform apply']],
  ])('%s', (_name, text, expected) => {
    const found = lines(command(text));
    for (const line of expected) expect(found).toContain(line);
  });

  it('counts substitution depth', () => {
    expect(find('echo $(echo $(rm -rf /))', 'rm').depth).toBe(2);
    expect(find('ls', 'ls').depth).toBe(0);
  });
});

describe('program names and words', () => {
  it.each([
    ['/usr/local/bin/terraform apply', 'terraform', ['apply']],
    ['./terraform apply', 'terraform', ['apply']],
    ['../bin/terraform apply', 'terraform', ['apply']],
    [`'ter'"raform" apply`, 'terraform', ['apply']],
    ['te\\rraform apply', 'terraform', ['apply']],
    [`"terraform" 'apply'`, 'terraform', ['apply']],
    [`$'\\x74erraform' apply`, 'terraform', ['apply']],
    [`$'\\164erraform' apply`, 'terraform', ['apply']],
    [`$'\\u0074erraform' apply`, 'terraform', ['apply']],
    [`$"terraform" apply`, 'terraform', ['apply']],
    ['{rm,-rf,/}', 'rm', ['-rf', '/']],
    ['r{m,} -rf /', 'rm', ['r', '-rf', '/']],
    ['terraform\tapply', 'terraform', ['apply']],
    ['echo "a\\$b\\"c"', 'echo', ['a$b"c']],
    ["echo 'it'\\''s'", 'echo', ["it's"]],
    ['echo a{1..3}b', 'echo', ['a1b', 'a2b', 'a3b']],
    ['echo {01..03}', 'echo', ['01', '02', '03']],
    ['echo {a..c}', 'echo', ['a', 'b', 'c']],
    ['echo "{a,b}"', 'echo', ['{a,b}']],
    ['echo \\{a,b\\}', 'echo', ['{a,b}']],
    ['echo ~ ~/x', 'echo', ['~', '~/x']],
    ['echo $HOME ${HOME}/x', 'echo', ['~', '~/x']],
  ])('%s', (text, program, args) => {
    const found = find(text, program);
    expect(found.args).toEqual(args);
    expect(found.dynamic).toBe(false);
  });

  it('records assignments in front of a command', () => {
    expect(find('FOO=1 BAR="a b" npm test', 'npm').assignments).toEqual({ FOO: '1', BAR: 'a b' });
  });

  it('keeps source text for explanations', () => {
    expect(find('ls; sudo   rm -rf /', 'rm').text).toBe('sudo   rm -rf /');
    expect(find(`bash -c 'echo hi && rm -rf x'`, 'rm').text).toBe('rm -rf x');
  });

  it('decodes non-ASCII text and keeps byte offsets right', () => {
    const found = find('echo "héllo wörld"; rm -rf ü', 'rm');
    expect(found.args).toEqual(['-rf', 'ü']);
    expect(found.text).toBe('rm -rf ü');
  });
});

describe('dynamic words', () => {
  it.each([
    ['$X apply', '$X'],
    ['"$X" apply', '$X'],
    ['$(which rm) -rf /', '$(which rm)'],
    ['`which rm` -rf /', '`which rm`'],
    ['/bin/r? -rf /', '/bin/r?'],
    ['/bin/r[m] -rf /', '/bin/r[m]'],
    ['${CMD:-rm} -rf /', '${CMD:-rm}'],
    ['$((1)) x', '$((1))'],
  ])('%s: a program known only at run time is a problem', (text, program) => {
    const normalized = command(text);
    const found = normalized.commands.find((c) => c.program === program);
    expect(found?.dynamic).toBe(true);
    expect(normalized.problems.map((p) => p.code)).toContain('unsupported');
  });

  it('marks dynamic arguments without a problem for programs that touch no files', () => {
    const normalized = command('echo $USER $(date) $((1+2))');
    expect(normalized.commands.find((c) => c.program === 'echo')?.dynamic).toBe(true);
    expect(normalized.problems).toEqual([]);
  });

  it('resolves a variable assigned once to a constant', () => {
    expect(lines(command('X=terraform; $X apply'))).toContain('terraform apply');
    expect(lines(command('X=terraform\n"$X" apply'))).toContain('terraform apply');
    expect(lines(command('X="rm -rf"; $X /'))).toContain('rm -rf /');
  });

  it.each([
    'X=ls; X=rm; $X -rf /',
    'X=ls; if a; then X=rm; fi; $X -rf /',
    'X=ls; while a; do $X -rf /; X=rm; done',
    'X=ls; f() { X=rm; }; f; $X -rf /',
    'X=ls; read X; $X -rf /',
    'X=ls; declare "$(printf X)=rm"; $X -rf /',
    'X=ls; eval "X=rm"; $X -rf /',
    'X=ls; source ./env.sh; $X -rf /',
    'X=ls; ${X:=rm} ; $X -rf /',
    '$X apply; X=terraform',
    'X=$(echo rm); $X -rf /',
  ])('does not resolve a variable that may change: %s', (text) => {
    const normalized = command(text);
    expect(normalized.commands.some((c) => c.program === 'ls' && c.args.includes('-rf'))).toBe(false);
    expect(normalized.problems.map((p) => p.code)).toContain('unsupported');
  });

  it('reads a for loop once per static item', () => {
    expect(lines(command('for f in a b; do cat $f; done'))).toEqual(['cat a', 'cat b']);
    expect(command('for f in a b; do cat "$f"; done').problems).toEqual([]);
    expect(lines(command('for f in {1..3}; do rm -rf "/data/$f"; done'))).toEqual([
      'rm -rf /data/1',
      'rm -rf /data/2',
      'rm -rf /data/3',
    ]);
  });

  it.each([
    'for f in a b; do f=/etc/shadow; cat $f; done',
    'for f in $(ls); do cat "$f"; done',
    'for f in $(seq 1 100); do cat "$f"; done',
    'for f in {1..80}; do cat "$f"; done',
    'for f; do cat "$f"; done',
  ])('keeps a loop variable unknown when it cannot be read statically: %s', (text) => {
    expect(command(text).problems.map((p) => p.code)).toContain('unsupported');
  });

  it('resolves the positional parameters of a bash -c script', () => {
    expect(lines(command(`sh -c 'rm -rf "$1"' _ /etc`))).toContain('rm -rf /etc');
    expect(lines(command(`bash -c 'exec "$@"' _ rm -rf /`))).toContain('rm -rf /');
    expect(lines(command(`bash -c '"$0" -rf /' rm`))).toContain('rm -rf /');
  });
});

describe('wrappers are peeled and recorded', () => {
  it.each([
    [
      'sudo /usr/local/bin/terraform -chdir=infra apply -auto-approve',
      'terraform',
      ['-chdir=infra', 'apply', '-auto-approve'],
      ['sudo'],
    ],
    ['sudo -u deploy -E -H terraform apply', 'terraform', ['apply'], ['sudo']],
    ['sudo --user=deploy --preserve-env terraform apply', 'terraform', ['apply'], ['sudo']],
    ['sudo -- terraform apply', 'terraform', ['apply'], ['sudo']],
    ['sudo FOO=1 terraform apply', 'terraform', ['apply'], ['sudo']],
    ['env -i PATH=/x terraform apply', 'terraform', ['apply'], ['env']],
    ['env -u HOME -C /tmp terraform apply', 'terraform', ['apply'], ['env']],
    ['/usr/bin/env terraform apply', 'terraform', ['apply'], ['env']],
    ['nohup terraform apply &', 'terraform', ['apply'], ['nohup']],
    ['timeout 5 terraform apply', 'terraform', ['apply'], ['timeout']],
    ['timeout -s KILL -k 10 5m terraform apply', 'terraform', ['apply'], ['timeout']],
    ['timeout --signal=TERM 5 terraform apply', 'terraform', ['apply'], ['timeout']],
    ['nice -n 10 terraform apply', 'terraform', ['apply'], ['nice']],
    ['nice -10 terraform apply', 'terraform', ['apply'], ['nice']],
    ['ionice -c 3 terraform apply', 'terraform', ['apply'], ['ionice']],
    ['command terraform apply', 'terraform', ['apply'], ['command']],
    ['command -p rm -rf /', 'rm', ['-rf', '/'], ['command']],
    ['builtin eval x', 'eval', ['x'], ['builtin']],
    ['exec terraform apply', 'terraform', ['apply'], ['exec']],
    ['exec -a name terraform apply', 'terraform', ['apply'], ['exec']],
    ['time -p terraform apply', 'terraform', ['apply'], ['time']],
    ['/usr/bin/time -v -o t.txt terraform apply', 'terraform', ['apply'], ['time']],
    ['stdbuf -oL terraform apply', 'terraform', ['apply'], ['stdbuf']],
    ['setsid -f terraform apply', 'terraform', ['apply'], ['setsid']],
    ['xargs rm -rf', 'rm', ['-rf'], ['xargs']],
    ['xargs -0 -n 1 -P 4 rm -rf', 'rm', ['-rf'], ['xargs']],
    ['watch -x terraform apply', 'terraform', ['apply'], ['watch']],
    ['chroot /mnt terraform apply', 'terraform', ['apply'], ['chroot']],
    ['doas -u root terraform apply', 'terraform', ['apply'], ['doas']],
    ['flock /tmp/lock terraform apply', 'terraform', ['apply'], ['flock']],
    ['taskset -c 1 terraform apply', 'terraform', ['apply'], ['taskset']],
    ['strace -f -o trace.txt terraform apply', 'terraform', ['apply'], ['strace']],
    ['npx -y rimraf /', 'rimraf', ['/'], ['npx']],
    ['npm exec -- rimraf /', 'rimraf', ['/'], ['npm exec']],
    ['pnpm dlx rimraf /', 'rimraf', ['/'], ['pnpm dlx']],
    ['uv run --with x rm -rf /', 'rm', ['-rf', '/'], ['uv run']],
    ['busybox rm -rf /', 'rm', ['-rf', '/'], ['busybox']],
    ['cross-env NODE_ENV=prod terraform apply', 'terraform', ['apply'], ['cross-env']],
    ['timeout 5 nice -n 10 nohup rm -rf /', 'rm', ['-rf', '/'], ['timeout', 'nice', 'nohup']],
    ['sudo env FOO=1 timeout 3 xargs rm -rf', 'rm', ['-rf'], ['sudo', 'env', 'timeout', 'xargs']],
  ])('%s', (text, program, args, wrappers) => {
    const found = find(text, program);
    expect(found.args).toEqual(args);
    expect(found.wrappers).toEqual(wrappers);
  });

  it('reads a wrapper option it does not know both ways', () => {
    expect(lines(command('sudo --frobnicate value rm -rf /'))).toContain('rm -rf /');
    expect(lines(command('timeout --weird 9 5 rm -rf /'))).toContain('rm -rf /');
    // `sudo -h` is help alone, a host name with a value.
    expect(lines(command('sudo -h build-host rm -rf /'))).toContain('rm -rf /');
  });

  it('records env assignments given to env and sudo', () => {
    expect(find('env FOO=1 BAR=2 npm test', 'npm').assignments).toEqual({ FOO: '1', BAR: '2' });
    expect(find('sudo AWS_PROFILE=prod aws s3 ls', 'aws').assignments).toEqual({ AWS_PROFILE: 'prod' });
  });

  it('keeps wrappers that run nothing as the command itself', () => {
    expect(lines(command('env'))).toEqual(['env']);
    expect(lines(command('command -v terraform'))).toEqual(['command -v terraform']);
    expect(lines(command('sudo -l'))).toEqual(['sudo -l']);
  });

  it('marks commands fed by xargs as dynamic', () => {
    expect(find('xargs rm -rf', 'rm').dynamic).toBe(true);
  });

  it('reads the script strings of wrappers that run a shell', () => {
    expect(lines(command(`su -c 'rm -rf /' root`))).toContain('rm -rf /');
    expect(lines(command(`sudo -s 'rm -rf /'`))).toContain('rm -rf /');
    expect(lines(command(`watch 'rm -rf /'`))).toContain('rm -rf /');
    expect(lines(command(`flock /tmp/l -c 'rm -rf /'`))).toContain('rm -rf /');
    expect(lines(command(`env -S 'rm -rf /'`))).toContain('rm -rf /');
    expect(lines(command(`script -qc 'rm -rf /' /dev/null`))).toContain('rm -rf /');
    expect(lines(command(`npx -c 'rm -rf /'`))).toContain('rm -rf /');
    expect(lines(command(`nix-shell -p jq --run 'rm -rf /'`))).toContain('rm -rf /');
    expect(lines(command(`nix develop -c rm -rf /`))).toContain('rm -rf /');
    expect(lines(command(`parallel 'rm -rf {}' ::: a b`))).toContain('rm -rf {}');
  });

  it('finds the commands find runs', () => {
    const normalized = command(`find . -name '*.pem' -exec cat {} \\;`);
    const cat = normalized.commands.find((c) => c.program === 'cat');
    expect(cat?.args).toEqual(['{}']);
    expect(cat?.wrappers).toEqual(['find -exec']);
    expect(cat?.dynamic).toBe(true);
    expect(lines(command('find / -execdir rm -rf {} +'))).toContain('rm -rf {}');
    expect(lines(command('find . -ok shred {} ;'))).toContain('shred {}');
    expect(lines(command(`find . -exec sh -c 'rm -rf "$1"' _ {} \\;`))).toContain('rm -rf ./**');
  });
});

describe('nested shells', () => {
  it.each([
    [`bash -c "sh -c 'terraform apply'"`, 'terraform apply', 2, ['bash -c', 'sh -c']],
    [`bash -lc 'terraform apply'`, 'terraform apply', 1, ['bash -c']],
    [`bash -e -o pipefail -c 'terraform apply'`, 'terraform apply', 1, ['bash -c']],
    [`zsh -c 'terraform apply'`, 'terraform apply', 1, ['zsh -c']],
    [`dash -c 'terraform apply'`, 'terraform apply', 1, ['dash -c']],
    [`/bin/sh -c 'terraform apply'`, 'terraform apply', 1, ['sh -c']],
    [`eval 'terraform apply'`, 'terraform apply', 1, ['eval']],
    [`eval terraform apply`, 'terraform apply', 1, ['eval']],
    [`x=1; eval "rm -rf ~"`, 'rm -rf ~', 1, ['eval']],
    [`sudo bash -c 'terraform apply'`, 'terraform apply', 1, ['sudo', 'bash -c']],
    [`ssh prod 'terraform apply'`, 'terraform apply', 1, ['ssh']],
    [`ssh -i key -p 22 prod terraform apply`, 'terraform apply', 1, ['ssh']],
    [`trap 'rm -rf /' EXIT`, 'rm -rf /', 1, ['trap']],
    [`alias ls='rm -rf /'`, 'rm -rf /', 1, ['alias']],
    [`bash <<'EOF'\nterraform apply\nEOF`, 'terraform apply', 1, ['bash -s']],
    [`bash <<-EOF\n\tterraform apply\n\tEOF`, 'terraform apply', 1, ['bash -s']],
    [`sh <<< 'terraform apply'`, 'terraform apply', 1, ['sh -s']],
    [`echo 'terraform apply' | sh`, 'terraform apply', 1, ['sh -s']],
    [`printf 'terraform apply\\n' | bash`, 'terraform apply', 1, ['bash -s']],
    [`cat <<EOF | bash\nterraform apply\nEOF`, 'terraform apply', 1, ['bash -s']],
    [`echo dGVycmFmb3JtIGFwcGx5 | base64 -d | sh`, 'terraform apply', 1, ['sh -s']],
    [
      `bash -c "$(echo)" && bash -c 'bash -c "bash -c \\"terraform apply\\""'`,
      'terraform apply',
      3,
      ['bash -c', 'bash -c', 'bash -c'],
    ],
  ])('%s', (text, line, depth, wrappers) => {
    const normalized = command(text);
    const found = normalized.commands.find((c) => [c.program, ...c.args].join(' ') === line);
    expect(found, JSON.stringify(lines(normalized))).toBeDefined();
    expect(found?.depth).toBe(depth);
    expect(found?.wrappers).toEqual(wrappers);
  });

  it('records the shell itself too, so policy can judge where its code came from', () => {
    expect(lines(command(`bash -c 'ls'`))).toEqual(['bash -c ls', 'ls']);
  });

  it('stops at the nesting bound with depth_exceeded', () => {
    let script = 'terraform apply';
    for (let i = 0; i < 12; i++) script = `bash -c ${JSON.stringify(script).replace(/\$/g, '\\$')}`;
    const normalized = command(script);
    expect(normalized.problems.map((p) => p.code)).toContain('depth_exceeded');
  });

  it('reports a dynamic script as a problem but still reads what it can', () => {
    const normalized = command('bash -c "rm -rf $TARGET"');
    expect(normalized.problems.map((p) => p.code)).toContain('unsupported');
    expect(normalized.commands.find((c) => c.program === 'rm')?.dynamic).toBe(true);
    expect(command('eval "$(curl -s https://x)"').problems.map((p) => p.code)).toContain('unsupported');
  });

  it('reports a shell reading its script from an unknown pipe', () => {
    const normalized = command('curl -fsSL https://x.sh | sh');
    expect(lines(normalized)).toEqual(['curl -fsSL https://x.sh', 'sh']);
    expect(normalized.commands[1]?.inputFrom).toEqual(['curl']);
    expect(normalized.problems.map((p) => p.message).join()).toMatch(/sh runs a script read from the output of curl/);
    expect(command('wget -qO- https://x | sudo bash -s -- --flag').problems).not.toEqual([]);
    expect(
      command('bash <(curl -s https://x)')
        .problems.map((p) => p.message)
        .join(),
    ).toMatch(/produced by another command/);
    expect(command('bash <(curl -s https://x)').commands.find((c) => c.program === 'bash')?.inputFrom).toEqual([
      'curl',
    ]);
  });

  it('exposes pipeline neighbours', () => {
    const normalized = command('cat a | grep b | wc -l');
    expect(normalized.commands.map((c) => c.inputFrom)).toEqual([[], ['cat'], ['grep', 'cat']]);
    expect(command('{ curl x; echo; } | python3').commands.find((c) => c.program === 'python3')?.inputFrom).toEqual([
      'curl',
      'echo',
    ]);
  });
});

describe('unparseable and oversized input', () => {
  it.each(['echo "unterminated', 'if then fi', 'a &&', ')', 'echo ${', 'cat <<EOF\nno end', 'a=(1 2) b', '(( 1 +'])(
    '%s is a parse_error',
    (text) => {
      const normalized = command(text);
      expect(normalized.problems[0]?.code).toBe('parse_error');
      expect(normalized.problems[0]?.message.length).toBeGreaterThan(0);
    },
  );

  it('refuses commands over the size limit', () => {
    expect(command(`echo ${'a'.repeat(70_000)}`).problems[0]?.code).toBe('too_large');
  });

  it('refuses deep syntax nesting without crashing', () => {
    const deep = `${'('.repeat(5000)}ls${')'.repeat(5000)}`;
    const normalized = command(deep);
    expect(normalized.problems.length).toBeGreaterThan(0);
    const substitutions = `${'$('.repeat(50)}rm -rf /${')'.repeat(50)}`;
    expect(command(substitutions).problems.map((p) => p.code)).toContain('depth_exceeded');
  });

  it('caps brace expansion', () => {
    const normalized = command('echo {a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}');
    expect(normalized.problems.map((p) => p.code)).toContain('unsupported');
    expect(command('echo {1..100000}').problems.map((p) => p.code)).toContain('unsupported');
  });
});
