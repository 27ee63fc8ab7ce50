import { spawn } from 'node:child_process';
import { closeSync, constants, lstatSync, mkdirSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '@freezeframe/common';

/**
 * Integration files run two at a time (vitest.config.ts). What two files must not use at once,
 * each file claims in its first statement, before it makes anything:
 *
 *   await claim();                    // loopback agents and its own folders: shares everything
 *   await claim('cgroup', 'packages'); // waits while another file holds either
 *   await claim('machine');           // runs alone (it measures, or loads both cores)
 *
 * Files claiming `docker` or `zfs` run alone too (ALONE, below).
 *
 * - `docker`: a private Docker engine. dockerd rewrites the host's iptables and makes the
 *   `docker` cgroup parent; only one engine may run on the machine at a time. A file with Docker
 *   claims `zfs` too: a container being made copies the host's mounts for a moment, and while a
 *   copy holds a zfs-fuse mount, `zpool destroy` fails with "pool is busy" (seen in CI).
 * - `zfs`: the host's zfs-fuse. All its clients share one socket, and a file stops the daemon
 *   it started.
 * - `cgroup`: cgroups of its own in the freezer hierarchies, and checks of what is left there.
 * - `packages`: this checkout's dist-pkg/, which `pnpm package` empties and writes.
 *
 * A claim is a flock(2) on a file in `lockDir()`, held by this worker process's descriptor, so
 * it ends with the test file's process even when that process is killed. Loop devices are not a
 * claim: `createLoopBtrfs` takes `loop.lock` only around `losetup --find`.
 */
export type Resource = 'docker' | 'zfs' | 'cgroup' | 'packages';

/**
 * Claims that also take the whole machine. zfs-fuse unmounts asynchronously, after a sync(2)
 * that takes seconds while another file writes to disk: a `zfs receive -F` into a mounted
 * dataset then fails with "I/O error" (CI on 654ebc8, beside loopback files) and a destroy
 * finds the dataset busy (docs/testbed.md). Docker files claim zfs too.
 */
export const ALONE: readonly string[] = ['docker', 'zfs'];

/** Whether a file claiming `what` takes the whole machine (the order puts such files first). */
export function runsAlone(what: readonly string[]): boolean {
  return what.some((r) => r === 'machine' || ALONE.includes(r));
}

/** Longer than any one file runs (ansible, the longest, ~2 min) times the files one may wait behind. */
const WAIT_S = 1500;

let claimed: string | undefined;

export async function claim(...what: Resource[] | ['machine']): Promise<void> {
  if (claimed !== undefined) throw new Error(`claim() twice in one file (first: ${claimed})`);
  claimed = what.join(', ') || 'nothing';
  const machine = runsAlone(what);
  // one order for every file, so two files never wait for each other; the descriptors stay open
  // (the claims last as long as this process)
  await flockFile(join(lockDir(), 'machine.lock'), machine ? 'exclusive' : 'shared', WAIT_S);
  for (const r of what.filter((x) => x !== 'machine').sort()) await flockFile(join(lockDir(), `${r}.lock`), 'exclusive', WAIT_S);
}

/** What this file claimed; undefined when it never called `claim` (the setup file refuses that). */
export function claimOf(): string | undefined {
  return claimed;
}

/**
 * The folder of the lock files, one per user (a root run's folder is closed to others), made
 * here and refused unless it is a real folder of ours: /tmp is writable by everyone.
 */
export function lockDir(): string {
  const dir = join(tmpdir(), `freezeframe-test-locks-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) throw new Error(`${dir}: not a folder of this user's closed to others; remove it`);
  return dir;
}

/**
 * Opens `file` (made if missing, never through a link) and holds a flock(2) on it, waiting up to
 * `waitS`. Returns the descriptor: the lock lasts until it is closed or this process ends.
 */
export async function flockFile(file: string, mode: 'shared' | 'exclusive', waitS: number): Promise<number> {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  // flock(1) locks the open file it inherits as fd 3; the lock is the open file's, so it outlives flock
  const child = spawn(findBinary('flock'), [`--${mode}`, '--timeout', String(waitS), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((res, rej) => child.on('error', rej).on('close', res)).catch((e: unknown) => {
    closeSync(fd);
    throw e;
  });
  if (code === 0) return fd;
  closeSync(fd);
  throw new Error(`${mode} lock on ${file}: flock exited ${code} after waiting up to ${waitS} s ${stderr.trim()}`);
}
