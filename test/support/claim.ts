import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from '@freezeframe/common';

/**
 * Integration files run two at a time (vitest.config.ts). What two files must not use at once,
 * each file claims in its first statement, before it makes anything:
 *
 *   await claim();                    // loopback agents and its own folders: shares everything
 *   await claim('docker', 'cgroup');  // waits while another file holds either
 *   await claim('machine');           // runs alone (it measures, or loads both cores)
 *
 * - `docker`: a private Docker engine. dockerd rewrites the host's iptables and makes the
 *   `docker` cgroup parent; only one engine may run on the machine at a time.
 * - `zfs`: the host's zfs-fuse. All its clients share one socket, and a file stops the daemon
 *   it started.
 * - `cgroup`: cgroups of its own in the freezer hierarchies, and checks of what is left there.
 * - `packages`: this checkout's dist-pkg/, which `pnpm package` empties and writes.
 *
 * A claim is a flock(2) on a file in LOCKS, held by this worker process's descriptor, so it
 * ends with the test file's process even when that process is killed. Loop devices are not a
 * claim: `createLoopBtrfs` takes LOCKS/loop only around `losetup --find`.
 */
export type Resource = 'docker' | 'zfs' | 'cgroup' | 'packages';

export const LOCKS = '/tmp/freezeframe-test-locks';
/** Longer than any one file runs (ansible, the longest, ~2 min) times the files one may wait behind. */
const WAIT_S = 1500;

let claimed: string | undefined;

export async function claim(...what: Resource[] | ['machine']): Promise<void> {
  if (claimed !== undefined) throw new Error(`claim() twice in one file (first: ${claimed})`);
  claimed = what.join(', ') || 'nothing';
  const machine = what[0] === 'machine';
  // one order for every file, so two files never wait for each other
  await lock('machine', machine ? '--exclusive' : '--shared');
  if (!machine) for (const r of [...(what as Resource[])].sort()) await lock(r, '--exclusive');
}

/** What this file claimed; undefined when it never called `claim` (the setup file refuses that). */
export function claimOf(): string | undefined {
  return claimed;
}

async function lock(name: string, mode: '--shared' | '--exclusive'): Promise<void> {
  mkdirSync(LOCKS, { recursive: true, mode: 0o700 });
  // never closed: the lock lives as long as this process holds the descriptor
  const fd = openSync(join(LOCKS, `${name}.lock`), 'a', 0o600);
  // flock(1) locks the open file it inherits as fd 3; the lock is the file's, so it outlives flock
  const child = spawn(findBinary('flock'), [mode, '--timeout', String(WAIT_S), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((res, rej) => child.on('error', rej).on('close', res));
  if (code !== 0) throw new Error(`claim ${name} (${mode.slice(2)}): flock exited ${code} after waiting up to ${WAIT_S} s ${stderr.trim()}`);
}
