import { SPECIAL_PROGRAMS, isWrapper } from '../commands';
import { hasReader } from '../effects';
import { SHELL_PROGRAMS } from '../shells';
import { interpreterSpec } from './interpreters';
import { METADATA_PROGRAMS } from './metadata';
import { programOptions } from './options';

/**
 * Programs known here without a reader of their own: their subcommands are matched by the
 * policy's patterns (with the option table in options.ts where options precede them), and
 * every argument is tainted (taint.ts): a protected path anywhere in their words is judged.
 */
const TAINTED_TOOLS: ReadonlySet<string> = new Set(
  `
  tr seq expr sleep date whoami id uname hostname nproc uptime ps clear lsof wait read exit return break
  continue shift local readonly jobs umask getopts let unset set tput time timeout xargs true false test
  node tsc tsx ts-node eslint prettier biome vitest jest mocha playwright vite webpack rollup esbuild
  npm npx pnpm yarn bun deno pytest py.test pip pip3 uv poetry pipenv ruff black isort mypy pyright flake8
  pylint tox nox coverage go gofmt golangci-lint cargo rustc rustfmt make cmake ninja gcc g++ clang clang++
  cc javac java mvn gradle gradlew dotnet swift bundle rspec mix composer php phpunit terraform tofu
  terragrunt pulumi kubectl oc helm docker podman nerdctl aws gcloud az gsutil gh glab http https xh
  httpie curl wget fetch aria2c nc ncat netcat socat ftp sftp tftp telnet scp rsync rclone mail mailx
  sendmail lwp-download lwp-request GET lynx links w3m iwr invoke-webrequest invoke-restmethod irm certutil
  bitsadmin python pypy perl ruby lua luajit rscript r osascript pwsh powershell irb tclsh wish jshell
  groovy julia expect gdb mongosh mongo base64 base32 xxd openssl gpg uudecode rev gunzip zcat tar zip
  crontab at batch launchctl systemctl schtasks systemd-run chmod chown chgrp chattr rm rmdir unlink shred
  srm wipe trash trash-put mv cp ln dd mkfs mke2fs mkswap wipefs fdisk sfdisk gdisk sgdisk cfdisk parted
  diskutil format blkdiscard cryptsetup shutdown reboot poweroff halt init telinit killall5 kill pkill
  killall fuser skill snice pgrep pidof ss netstat sudo doas su pkexec runas gosu su-exec vault op security
  bfg git-filter-repo pre-commit man info help tldr vim vi nvim nano emacs code micro ls cat bat head tail
  less more wc grep egrep fgrep rg ag ack fd tree stat file du df pwd echo printf which whereis type
  command basename dirname realpath readlink sort uniq cut paste column nl diff cmp comm jq yq sed awk gawk
  mawk nawk od hexdump strings md5sum sha1sum sha256sum shasum touch mkdir tee install unzip gzip mktemp
  truncate env printenv compgen cqlsh clickhouse-client sqlcmd cockroach buildah kind minikube k9s
  kustomize argocd flux istioctl eksctl doctl hcloud linode-cli vultr-cli heroku fly flyctl vercel netlify
  firebase wrangler supabase railway render serverless sls sam cdk cdktf ansible ansible-playbook packer
  vagrant nomad consul boundary waypoint bazel buck pants earthly nix nix-shell nix-env brew apt apt-get
  dnf yum apk pacman zypper snap flatpak port choco winget scoop rye pdm hatch conda mamba micromamba
  pipx uvx twine gem rake rails bin/rails spring rustup cabal stack ghc dune opam elixir erl rebar3 lein
  clj sbt bloop mill ktlint detekt swiftlint xcodebuild xcrun fastlane pod carthage flutter dart
  sc taskkill circleci zpool lvremove vgremove pvremove docker-compose azcopy get nc.traditional nc.openbsd
  gmake bmake babel print split
  `
    .split(/\s+/)
    .filter((name) => name !== ''),
);

/** Whether a program has a spec here: a reader, a wrapper, a shell, special handling, an option table or a tool entry. */
export function hasProgramSpec(program: string): boolean {
  const name = program.toLowerCase();
  const base = name.replace(/[\d.]+$/, '');
  return (
    hasReader(name) ||
    isWrapper(name) ||
    SHELL_PROGRAMS.has(name) ||
    SPECIAL_PROGRAMS.has(name) ||
    METADATA_PROGRAMS.has(name) ||
    interpreterSpec(name) !== undefined ||
    programOptions(name) !== undefined ||
    TAINTED_TOOLS.has(name) ||
    TAINTED_TOOLS.has(base)
  );
}
