// Fresh filesystems for measurements: ext4/btrfs on loop files and a zfs-fuse pool on a file.
// Each returns destroy(), which tears down only what it made (its mount point, its loop device,
// its pool by name, the zfs-fuse daemon only if started here).
import { mkdirSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { exec, sleep, spawnProcess, findBinary } from './util.mjs';

export async function loopFs(dir, { kind = 'ext4', sizeGiB = 4 } = {}) {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, `${kind}.img`);
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt, { recursive: true });
  writeFileSync(image, '');
  truncateSync(image, sizeGiB * 2 ** 30);
  if (kind === 'ext4') {
    // many small files: one inode per 8 KiB; lazy init keeps mkfs instant
    await exec('mkfs.ext4', ['-q', '-F', '-i', '8192', '-E', 'lazy_itable_init=1,lazy_journal_init=1', image]);
  } else {
    await exec('mkfs.btrfs', ['-q', '-f', image]);
  }
  const dev = (await exec('losetup', ['--find', '--show', image])).stdout.trim();
  let mounted = false;
  const destroy = async () => {
    if (mounted) {
      await exec('umount', [mnt]).catch(() => exec('umount', ['-l', mnt]));
      mounted = false;
    }
    await exec('losetup', ['-d', dev]).catch(() => {});
    rmSync(image, { force: true });
  };
  try {
    await exec('mount', ['-t', kind, '-o', kind === 'ext4' ? 'noatime' : 'noatime', dev, mnt]);
    mounted = true;
  } catch (e) {
    await destroy();
    throw e;
  }
  return { kind, image, dev, mnt, destroy };
}

async function zfsAnswers() {
  try {
    await exec('zpool', ['list', '-H', '-o', 'name'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A zfs-fuse daemon: reuses one that answers (other users of the machine), else starts one. */
export async function zfsDaemon() {
  if (await zfsAnswers()) return { started: false, stop: async () => {} };
  const proc = spawnProcess({ bin: findBinary('zfs-fuse'), args: ['--no-daemon'], timeoutMs: 6 * 3600_000, okExitCodes: [0, 1, 143, -1] });
  const exited = proc.done.catch(() => undefined);
  const stop = async () => {
    try {
      process.kill(proc.child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!gone) {
      proc.kill('SIGKILL');
      await exited;
    }
  };
  for (let i = 0; i < 100; i++) {
    if (await zfsAnswers()) return { started: true, pid: proc.child.pid, stop };
    await sleep(50);
  }
  await stop();
  throw new Error('zfs-fuse did not start');
}

export async function zfsPool(dir, { sizeGiB = 4, name }) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pool.img');
  const mnt = join(dir, 'zmnt');
  mkdirSync(mnt, { recursive: true });
  writeFileSync(file, '');
  truncateSync(file, sizeGiB * 2 ** 30);
  await exec('zpool', ['create', '-m', mnt, name, file]);
  const destroy = async () => {
    for (let i = 0; i < 3; i++) {
      try {
        await exec('zpool', ['destroy', '-f', name]);
        break;
      } catch (e) {
        if (/no such pool/.test(e.message)) break;
        const names = (await exec('zfs', ['list', '-H', '-o', 'name', '-r', name]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
        for (const n of names.reverse()) await exec('zfs', ['unmount', '-f', n]).catch(() => {});
        await sleep(200);
      }
    }
    rmSync(file, { force: true });
  };
  return { name, file, mnt, destroy };
}

/** Bytes a dataset uses (incl. children and snapshots). */
export async function zfsUsed(dataset) {
  const r = await exec('zfs', ['get', '-Hp', '-o', 'value', 'used', dataset]);
  return Number(r.stdout.trim());
}
