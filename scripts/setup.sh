#!/usr/bin/env bash
# Sets up everything freezeframe needs on a fresh Debian 12 machine with Node.js 20:
# the Debian packages, pnpm (pinned), the node modules, the build, and the commands
# `freezeframe` and `freezeframe-agent` on PATH (scripts/install-commands.sh: wrappers in
# /usr/local/bin that run this checkout; setup in another checkout points them there instead).
#   scripts/setup.sh          what the demo needs (rsync, openssl, stunnel4 for the native byte path, xxhash for a target's fidelity check)
#   scripts/setup.sh --test   also what the test suite needs (btrfs, zfs-fuse, docker engine, iptables, PostgreSQL, MariaDB, promtool, mmdebstrap,
#                             ansible (its community.docker collection has the docker connection) and ansible-lint)
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=9.15.9
packages=(rsync openssl ca-certificates stunnel4 xxhash)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(btrfs-progs zfs-fuse docker.io iptables iproute2 util-linux procps e2fsprogs fuse postgresql mariadb-server mariadb-client systemd attr acl prometheus mmdebstrap ansible ansible-lint)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION" >&2
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent build
scripts/install-commands.sh
