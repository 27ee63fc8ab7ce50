import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run, spawnProcess, type Spawned } from '@freezeframe/common';

/**
 * ZFS for tests: a zfs-fuse daemon (started here only if none answers; stopped only if started
 * here) and pools on sparse files. Everything is torn down by its own ids: the pool by name,
 * the daemon by pid. Test files using these claim `zfs` (test/support/claim.ts), so they run one
 * at a time: all clients share the one socket /var/run/zfs/zfs_socket.
 */
export interface ZfsDaemon {
  /** Pid of the daemon this helper started; undefined when an existing one is reused. */
  pid: number | undefined;
  stop(): Promise<void>;
}

const T = 60_000;
const exec = (bin: string, args: string[]) => run({ bin: findBinary(bin), args, timeoutMs: T });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function daemonAnswers(): Promise<boolean> {
  try {
    await exec('zpool', ['list', '-H', '-o', 'name']);
    return true;
  } catch {
    return false;
  }
}

export async function startZfsFuse(): Promise<ZfsDaemon> {
  if (await daemonAnswers()) return { pid: undefined, stop: async () => undefined };
  let proc: Spawned | undefined = spawnProcess({
    bin: findBinary('zfs-fuse'),
    args: ['--no-daemon'],
    timeoutMs: 6 * 3600_000,
    okExitCodes: [0, 1, 143, -1],
  });
  const exited = proc.done.catch(() => undefined);
  const stop = async () => {
    if (!proc) return;
    const p = proc;
    proc = undefined;
    // only the daemon's pid, not its process group: the group is the daemon alone, but say so
    try {
      process.kill(p.child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!gone) {
      p.kill('SIGKILL');
      await exited;
    }
  };
  for (let i = 0; i < 100; i++) {
    if (await daemonAnswers()) return { pid: proc.child.pid, stop };
    if (proc.child.exitCode !== null) break;
    await sleep(50);
  }
  const out = await Promise.race([proc.done.then((r) => r.stderr).catch((e: Error) => e.message), sleep(100).then(() => '')]);
  await stop();
  throw new Error(`zfs-fuse did not start: ${out}`);
}

export interface FilePool {
  name: string;
  /** Where the pool's root dataset is mounted; child datasets mount below it. */
  mountRoot: string;
  file: string;
  destroy(): Promise<void>;
}

/** A pool on a sparse file; the name is unique per call. */
export async function createFilePool(opts: { sizeMiB?: number; prefix?: string } = {}): Promise<FilePool> {
  const dir = await mkdtemp(join(tmpdir(), 'ff-zpool-'));
  const file = join(dir, 'pool.img');
  const mountRoot = join(dir, 'mnt');
  const name = `${opts.prefix ?? 'fftest'}${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  let created = false;
  const destroy = async () => {
    if (created) {
      let last: unknown;
      for (let attempt = 0; attempt < 3 && created; attempt++) {
        try {
          await exec('zpool', ['destroy', '-f', name]);
          created = false;
        } catch (e) {
          last = e;
          if (/no such pool/.test((e as Error).message)) created = false;
          else await unmountPool(name);
        }
      }
      if (created) throw new Error(`zpool destroy ${name}: ${(last as Error).message}`);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(file, '');
    await truncate(file, (opts.sizeMiB ?? 256) << 20);
    await mkdir(mountRoot);
    await exec('zpool', ['create', '-m', mountRoot, name, file]);
    created = true;
  } catch (e) {
    await destroy().catch(() => undefined);
    throw e;
  }
  return { name, mountRoot, file, destroy };
}

/** Unmounts the pool's datasets, deepest first (zfs-fuse may call a pool with mounts busy). */
async function unmountPool(pool: string): Promise<void> {
  const names = await exec('zfs', ['list', '-H', '-o', 'name', '-r', pool]).then(
    (r) => r.stdout.split('\n').filter(Boolean),
    () => [] as string[],
  );
  for (const n of names.reverse()) await exec('zfs', ['unmount', '-f', n]).catch(() => undefined);
  await sleep(100);
}
