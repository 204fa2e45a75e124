import { SPECIAL_PROGRAMS, wrapperPrograms } from '../commands';
import { readerPrograms } from '../effects';
import { SHELL_PROGRAMS } from '../shells';
import { interpreterFamilies, interpreterSpec } from './interpreters';
import { METADATA_PROGRAMS } from './metadata';
import { optionTablePrograms } from './options';
import { specPrograms } from './registry';

/**
 * Programs known here without a reader of their own: their subcommands are matched by the
 * policy's patterns (with the option table in options.ts where options precede them), and
 * every argument is tainted (taint.ts): a protected path anywhere in their words is judged.
 */
const TAINTED_TOOLS: ReadonlySet<string> = new Set(
  `
  tr date lsof read tsc eslint prettier biome vitest jest mocha playwright vite webpack rollup esbuild ruff
  black isort mypy pyright flake8 pylint coverage gofmt golangci-lint rustc rustfmt cmake ninja gcc g++ clang
  clang++ cc javac java swift rspec mix composer phpunit nerdctl https httpie ftp tftp
  telnet sendmail lwp-download lwp-request GET lynx links w3m iwr invoke-webrequest invoke-restmethod irm
  certutil bitsadmin uudecode at batch launchctl schtasks systemd-run srm wipe trash trash-put mkfs mke2fs
  mkswap wipefs fdisk sfdisk gdisk sgdisk cfdisk parted diskutil format blkdiscard cryptsetup shutdown reboot
  poweroff halt init telinit killall5 pkill killall fuser skill snice ss netstat runas gosu su-exec op
  security bfg git-filter-repo pre-commit man info help tldr compgen cqlsh clickhouse-client sqlcmd cockroach
  buildah kind minikube k9s kustomize argocd flux istioctl eksctl doctl hcloud linode-cli vultr-cli heroku fly
  flyctl vercel netlify firebase wrangler supabase railway render serverless sls sam cdk cdktf ansible
  ansible-playbook packer vagrant nomad consul boundary waypoint bazel buck pants earthly nix-env brew apt
  apt-get dnf yum apk pacman zypper snap flatpak port choco winget scoop rye pdm hatch conda mamba micromamba
  pipx twine gem rails bin/rails spring cabal stack ghc dune opam elixir erl rebar3 lein clj sbt bloop mill
  ktlint detekt swiftlint xcodebuild xcrun fastlane pod carthage flutter dart sc taskkill circleci zpool
  lvremove vgremove pvremove docker-compose azcopy get nc.traditional nc.openbsd bmake babel print split
  `
    .split(/\s+/)
    .filter((name) => name !== ''),
);

/**
 * Every table that describes programs, by where it is declared, with the programs it names.
 * One program is described by one table (HOUSE rule 13): the catalog test fails when two
 * tables name the same program.
 */
export function programTables(): ReadonlyMap<string, readonly string[]> {
  return new Map<string, readonly string[]>([
    ['programs/registry.ts program specs', specPrograms()],
    ['programs/options.ts option table', optionTablePrograms()],
    ['effects.ts readers', readerPrograms()],
    ['commands.ts wrappers', wrapperPrograms()],
    ['commands.ts programs read by the normalizer', [...SPECIAL_PROGRAMS]],
    ['shells.ts', [...SHELL_PROGRAMS]],
    ['programs/interpreters.ts', interpreterFamilies().map(([family]) => family)],
    ['programs/metadata.ts', [...METADATA_PROGRAMS]],
    ['programs/catalog.ts tools', [...TAINTED_TOOLS]],
  ]);
}

let known: ReadonlySet<string> | null = null;

/** Whether a program has a spec here: in one of the tables above, or an interpreter by any version suffix. */
export function hasProgramSpec(program: string): boolean {
  known ??= new Set([...programTables().values()].flat());
  const name = program.toLowerCase();
  const base = name.replace(/[\d.]+$/, '');
  return known.has(name) || known.has(base) || interpreterSpec(name) !== undefined;
}
