#!/usr/bin/env bash
# Runs a command against a private, unlocked gnome-keyring Secret Service on its own D-Bus
# session bus, so tests exercise the real OS keychain path (HOUSE rule 11) without touching
# the developer's login keyring. Everything lives in a temp dir removed on exit, and the
# keyring daemon is stopped with the command (a daemonized one would outlive its bus).
#
#   scripts/with-keyring.sh npx vitest run
#   scripts/with-keyring.sh npm run bench
#
# HOME stays as it is (npm, Playwright and git keep their caches); the keyring's own state is
# redirected through XDG_DATA_HOME (keyring files) and XDG_RUNTIME_DIR (control socket).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: scripts/with-keyring.sh <command…>" >&2
  exit 64
fi
for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: $tool is not installed (Debian/Ubuntu: apt-get install dbus gnome-keyring)" >&2
    exit 127
  fi
done

root="$(mktemp -d "${TMPDIR:-/tmp}/cavra-keyring.XXXXXX")"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/data" "$root/runtime"
chmod 700 "$root/runtime"
export XDG_DATA_HOME="$root/data"
export XDG_RUNTIME_DIR="$root/runtime"

status=0
dbus-run-session -- bash -c '
  set -euo pipefail
  # A fresh login keyring, created and unlocked with a throwaway password.
  printf "cavra-test-keyring" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
  daemon=$!
  trap "kill $daemon 2>/dev/null || true; wait $daemon 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
      break
    fi
    sleep 0.05
  done
  export CAVRA_TEST_KEYRING=1
  "$@"
' with-keyring "$@" || status=$?
exit "$status"
