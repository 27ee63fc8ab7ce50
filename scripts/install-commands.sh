#!/usr/bin/env bash
# Puts `freezeframe` and `freezeframe-agent` on PATH (called by scripts/setup.sh after the
# build): two small wrappers in /usr/local/bin, or in $FREEZEFRAME_BIN_DIR, that run this
# checkout's built files. Until there are packages, the commands belong to one checkout: each
# wrapper names it, and setup in another checkout replaces them (the last setup wins). A file
# of that name that is not such a wrapper is left alone, with a warning. Idempotent: wrappers
# already as they should be are not rewritten. Without write access to the folder (not root)
# it prints how to add them and succeeds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
bindir=${FREEZEFRAME_BIN_DIR:-/usr/local/bin}
marker='# freezeframe command wrapper'
declare -A mains=(
  [freezeframe]="$root/packages/director/dist/cli/main.js"
  [freezeframe-agent]="$root/packages/agent/dist/main.js"
)

for main in "${mains[@]}"; do
  [[ -f "$main" ]] || { echo "install-commands: $main is missing: build first (pnpm --silent build)" >&2; exit 1; }
  # their #! line (env -u NODE_OPTIONS node) makes them runnable as they are
  [[ -x "$main" ]] || chmod a+x "$main"
done

# The wrapper drops NODE_OPTIONS as the built file's #! line does (no inspector from outside).
wrapper() {
  local q=${2//\'/\'\\\'\'}
  cat <<EOF
#!/bin/sh
$marker: runs $1 of the checkout $root
# (written by its scripts/setup.sh; setup in another checkout replaces this file)
exec env -u NODE_OPTIONS node '$q' "\$@"
EOF
}

if [[ ! -d "$bindir" || ! -w "$bindir" ]]; then
  echo "setup: cannot write $bindir, so freezeframe and freezeframe-agent are not on PATH; as root run" >&2
  echo "  $root/scripts/install-commands.sh" >&2
  echo "or put them in a folder of your own that is on PATH:" >&2
  echo "  FREEZEFRAME_BIN_DIR=\$HOME/.local/bin $root/scripts/install-commands.sh" >&2
  exit 0
fi

for name in "${!mains[@]}"; do
  dest="$bindir/$name"
  want=$(wrapper "$name" "${mains[$name]}")
  if [[ -e "$dest" || -L "$dest" ]]; then
    [[ -f "$dest" && ! -L "$dest" && "$(<"$dest")" == "$want" ]] && continue
    if [[ -L "$dest" || "$(sed -n 2p "$dest")" != "$marker"* ]]; then
      echo "setup: $dest exists and is not a freezeframe wrapper: left alone ($name on PATH may not be this checkout's)" >&2
      continue
    fi
  fi
  tmp="$bindir/.$name.tmp.$$"
  printf '%s\n' "$want" >"$tmp"
  chmod 755 "$tmp"
  mv -f "$tmp" "$dest"
  echo "setup: $dest runs ${mains[$name]}" >&2
done
