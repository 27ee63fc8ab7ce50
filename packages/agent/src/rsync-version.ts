import { FfError } from '@freezeframe/common';

/**
 * The oldest rsync the agent runs with. 3.4.0 fixed CVE-2024-12084..12088 (heap overflow in
 * checksum handling, info leak, path traversal via symlinks and --safe-links bypass), which
 * matter because a peer's rsync talks to this node's rsync; 3.2.5 fixed CVE-2022-29154.
 */
export const MIN_RSYNC_VERSION = '3.4.0';

/** The version number of `rsync --version`'s first line ("rsync  version 3.5.0  protocol version 32"). */
export function parseRsyncVersion(stdout: string): [number, number, number] {
  const m = /^rsync\s+version\s+v?(\d+)\.(\d+)(?:\.(\d+))?/m.exec(stdout);
  if (!m) {
    throw new FfError('FAILED_PRECONDITION', `cannot read the rsync version from ${JSON.stringify((stdout.split('\n')[0] ?? '').slice(0, 80))}`);
  }
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Throws FAILED_PRECONDITION naming the installed and the required version when rsync is too old. */
export function checkRsyncVersion(stdout: string, bin = 'rsync'): string {
  const v = parseRsyncVersion(stdout);
  const min = MIN_RSYNC_VERSION.split('.').map(Number);
  const have = v.join('.');
  if (compare(v, min) < 0) {
    throw new FfError('FAILED_PRECONDITION', `${bin} is version ${have}; freezeframe needs ${MIN_RSYNC_VERSION} or newer (older ones have known vulnerabilities, e.g. CVE-2024-12084..12088)`, {
      hint: 'upgrade the rsync package',
    });
  }
  return have;
}

/**
 * Whether rsync `version` (rsyncVersion()'s "3.5.0 protocol 32") has `--insecure-links`: 3.5.0
 * added it with the symlink walk it turns off, which older ones never make.
 */
export function hasInsecureLinks(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return m !== null && compare([Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], [3, 5, 0]) >= 0;
}
