import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FfError, errorMessage, findBinary, run, spawnProcess, type Logger } from '@freezeframe/common';

/** Where the receiver sees the target's root: one folder from `/`. */
export const VIEW_AT = '/mnt';
// generous: a timeout here leaves the agent receiving without its view until it restarts
const READY_WAIT_MS = 10_000;
const STEP_TIMEOUT_MS = 10_000;

/**
 * A mount namespace of the receiver's own in which `root` (the target's root) is seen at /mnt.
 *
 * rsync 3.5 opens a --link-dest folder from `/`, one component at a time with O_NOFOLLOW, for
 * every file it looks up there, so each folder of the basis path costs a few hundred
 * milliseconds per 200 000 files (bench/PROFILE.md, ninth and tenth passes). Seen at /mnt the
 * basis is as short as an rsync daemon's in its chroot. Both the receive folder and the basis
 * are seen through the same mount: a hard link between two mounts fails with EXDEV.
 *
 * The namespace is held by a `sleep` that receives SIGKILL when the agent dies (pdeathsig), so
 * the mount exists only as long as the session, even after a crash, and the host never sees it.
 * Propagation is `slave`: the host's unmounts reach the namespace and it pins no file system.
 */
export interface ShortView {
  /** The namespace's holder, for `nsenter --target`. */
  pid: number;
  /** `argv` of a program run inside the namespace. */
  wrap(bin: string, args: readonly string[]): { bin: string; args: string[] };
  /** `path` (the root or below) as seen inside the namespace. */
  see(path: string): string;
  close(): void;
}

export async function openShortView(root: string, log: Logger): Promise<ShortView> {
  const holder = spawnProcess({
    bin: findBinary('setpriv'),
    args: ['--pdeathsig', 'KILL', '--', findBinary('unshare'), '--mount', '--propagation', 'slave', '--', findBinary('sleep'), 'infinity'],
    // a session's longest life; close() ends it sooner
    timeoutMs: 24 * 3_600_000,
    logger: log,
  });
  const pid = holder.child.pid;
  holder.done.catch(() => undefined);
  const close = () => holder.kill('SIGKILL');
  try {
    if (pid === undefined) throw new FfError('COMMAND_FAILED', 'cannot start unshare');
    await untilOwnNamespace(pid, holder.done);
    // -N: the bind is made inside the holder's namespace, never the agent's
    await run({ bin: findBinary('mount'), args: ['-N', `/proc/${pid}/ns/mnt`, '--rbind', root, VIEW_AT], timeoutMs: STEP_TIMEOUT_MS, logger: log });
  } catch (e) {
    close();
    throw new FfError('COMMAND_FAILED', `cannot show ${root} at ${VIEW_AT} in a mount namespace of the receiver's own: ${errorMessage(e)}`, { cause: e });
  }
  const prefix = root.replace(/\/+$/, '');
  return {
    pid,
    wrap: (bin, args) => ({ bin: findBinary('nsenter'), args: ['--target', String(pid), '--mount', '--', bin, ...args] }),
    see: (path) => {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) throw new Error(`${path} is not under ${prefix}`);
      return VIEW_AT + path.slice(prefix.length);
    },
    close,
  };
}

/**
 * Waits until unshare has made the namespace, made it a slave and run `sleep`: a bind made
 * before then could land on, or propagate to, the host.
 */
async function untilOwnNamespace(pid: number, done: Promise<unknown>): Promise<void> {
  const ours = await readlink('/proc/self/ns/mnt');
  let exited = false;
  void done.finally(() => (exited = true)).catch(() => undefined);
  const until = Date.now() + READY_WAIT_MS;
  for (;;) {
    if (exited) throw new Error('unshare exited before its namespace was ready');
    const [comm, theirs] = await Promise.all([readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ''), readlink(`/proc/${pid}/ns/mnt`).catch(() => ours)]);
    if (comm.trim() === 'sleep' && theirs !== ours) return;
    if (Date.now() > until) throw new Error(`unshare made no mount namespace within ${READY_WAIT_MS} ms`);
    await sleep(2);
  }
}
