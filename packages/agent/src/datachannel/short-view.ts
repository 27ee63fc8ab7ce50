import { access, constants, lstat, mkdir, readFile, readlink, symlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FfError, errorMessage, findBinary, run, spawnProcess, type Logger } from '@freezeframe/common';

/** Where the receiver sees the target's root: one folder from its `/`. */
export const VIEW_AT = '/mnt';
/**
 * The namespace's folder that becomes the receiver's `/`: a tmpfs of the view's own covers it
 * there, so whatever the host keeps in it is out of sight (the host never sees the tmpfs).
 */
const ROOT_AT = '/tmp';
/**
 * Besides the target, the receiver's root holds the host's programs and libraries, read-only:
 * folders bound as they are, links (a merged-/usr system's /bin -> usr/bin) made again.
 */
const SYSTEM_FOLDERS = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
// generous: a timeout here leaves the agent receiving without its view until it restarts
const READY_WAIT_MS = 10_000;
const STEP_TIMEOUT_MS = 10_000;

/**
 * A mount namespace of the receiver's own, in which its rsync runs chrooted to a root that holds
 * only the target's root (at /mnt) and the host's system folders, read-only.
 *
 * Why the view: rsync 3.5 opens a --link-dest folder from `/`, one component at a time with
 * O_NOFOLLOW, for every file it looks up there, so each folder of the basis path costs a few
 * hundred milliseconds per 200 000 files (bench/PROFILE.md, ninth and tenth passes). Seen at /mnt
 * the basis is as short as an rsync daemon's in its chroot. Both the receive folder and the basis
 * are seen through the same mount: a hard link between two mounts fails with EXDEV.
 *
 * Why the chroot: a target whose links are all stored munged (the dir target) lets the receiver
 * turn that walk off (`--insecure-links`, server.ts; PROFILE.md, thirty-fourth pass). A link
 * rsync then followed could still lead nowhere but into the target: nothing else of the host
 * is there to reach, and its programs cannot be written.
 *
 * The namespace is held by a `sleep` that receives SIGKILL when the agent dies (pdeathsig), so
 * the mounts exist only as long as the session, even after a crash, and the host never sees them.
 * Propagation is `slave`: the host's unmounts reach the namespace and it pins no file system.
 */
export interface ShortView {
  /** The namespace's holder, for `nsenter --target`. */
  pid: number;
  /** `argv` of a program run inside the namespace, chrooted (`bin` must be in a system folder). */
  wrap(bin: string, args: readonly string[]): { bin: string; args: string[] };
  /** `path` (the root or below) as seen inside the view. */
  see(path: string): string;
  close(): void;
}

/** Opens the view of `root` for `program` (default: rsync), which must be found inside it. */
export async function openShortView(root: string, log: Logger, program = findBinary('rsync')): Promise<ShortView> {
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
  // the holder's view of its namespace, from the host: how the agent makes folders in the tmpfs
  const inside = (path: string) => `/proc/${pid}/root${path}`;
  try {
    if (pid === undefined) throw new FfError('COMMAND_FAILED', 'cannot start unshare');
    await untilOwnNamespace(pid, holder.done);
    // -N: every mount is made inside the holder's namespace, never the agent's
    const mountThere = (args: string[]) => run({ bin: findBinary('mount'), args: ['-N', `/proc/${pid}/ns/mnt`, ...args], timeoutMs: STEP_TIMEOUT_MS, logger: log });
    // first, while the namespace still shows the host's tree (the root may lie under ROOT_AT)
    await mountThere(['--rbind', root, VIEW_AT]);
    await mountThere(['-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev,size=1m', 'freezeframe-view', ROOT_AT]);
    for (const name of SYSTEM_FOLDERS) {
      const st = await lstat(`/${name}`).catch(() => undefined);
      if (st?.isSymbolicLink()) {
        await symlink(await readlink(`/${name}`), inside(`${ROOT_AT}/${name}`));
      } else if (st?.isDirectory()) {
        await mkdir(inside(`${ROOT_AT}/${name}`));
        await mountThere(['--bind', '-o', 'ro,nosuid,nodev', `/${name}`, `${ROOT_AT}/${name}`]);
      }
    }
    await mkdir(inside(`${ROOT_AT}${VIEW_AT}`));
    await mountThere(['--move', VIEW_AT, `${ROOT_AT}${VIEW_AT}`]);
    await access(inside(`${ROOT_AT}${program}`), constants.X_OK).catch(() => {
      throw new Error(`${program} is not in the host's system folders (${SYSTEM_FOLDERS.map((f) => `/${f}`).join(', ')}) that the view shows`);
    });
  } catch (e) {
    close();
    throw new FfError('COMMAND_FAILED', `cannot show ${root} at ${VIEW_AT} in a mount namespace of the receiver's own: ${errorMessage(e)}`, { cause: e });
  }
  const prefix = root.replace(/\/+$/, '');
  const chroot = inside(ROOT_AT);
  return {
    pid,
    // nsenter opens --root and --wd before it enters the namespace: the holder's /proc view names them
    wrap: (bin, args) => ({ bin: findBinary('nsenter'), args: ['--target', String(pid), '--mount', `--root=${chroot}`, `--wd=${chroot}`, '--', bin, ...args] }),
    see: (path) => {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) throw new Error(`${path} is not under ${prefix}`);
      return VIEW_AT + path.slice(prefix.length);
    },
    close,
  };
}

/**
 * Waits until unshare has made the namespace, made it a slave and run `sleep`: a mount made
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
