/**
 * Programs known here without a reader of their own: their subcommands are matched by the
 * policy's patterns (with the option table in options.ts where options precede them), and
 * every argument is tainted (taint.ts): a protected path anywhere in their words is judged.
 */
export const TAINTED_TOOLS: ReadonlySet<string> = new Set(
  `
  tr date lsof read tsc eslint prettier biome vitest jest mocha playwright vite webpack rollup esbuild ruff
  black isort mypy pyright flake8 pylint coverage gofmt golangci-lint rustc rustfmt cmake ninja gcc g++ clang
  clang++ cc javac java swift rspec mix composer phpunit nerdctl https httpie tftp
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
