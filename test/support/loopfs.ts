import { readFileSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { parseMountinfo } from '@freezeframe/agent/mountinfo.js';
import { lockDir } from './claim.js';

/**
 * A btrfs filesystem on a loop file, for tests that need real snapshots. Torn down by its own
 * ids (mount point, loop device, folder) in `destroy()`, which is safe to call twice and after a
 * half-finished create.
 */
export interface LoopBtrfs {
  dir: string;
  image: string;
  loopDevice: string;
  /** Where the filesystem is mounted. */
  mountPoint: string;
  destroy(): Promise<void>;
}

const T = 30_000;
const exec = (bin: string, args: string[]) => run({ bin: findBinary(bin), args, timeoutMs: T });

export async function createLoopBtrfs(opts: { sizeMiB?: number; prefix?: string } = {}): Promise<LoopBtrfs> {
  const dir = await mkdtemp(join(tmpdir(), opts.prefix ?? 'ff-btrfs-'));
  const image = join(dir, 'fs.img');
  const mountPoint = join(dir, 'mnt');
  let loopDevice = '';
  let mounted = false;
  const destroy = async () => {
    const errors: string[] = [];
    if (mounted) {
      try {
        await exec('umount', [mountPoint]);
        mounted = false;
      } catch (e) {
        // something still holds it open: detach lazily so the loop device can go
        try {
          await exec('umount', ['-l', mountPoint]);
          mounted = false;
        } catch {
          errors.push(`umount ${mountPoint}: ${(e as Error).message}`);
        }
      }
    }
    if (loopDevice && !mounted) {
      try {
        await exec('losetup', ['-d', loopDevice]);
        loopDevice = '';
      } catch (e) {
        errors.push(`losetup -d ${loopDevice}: ${(e as Error).message}`);
      }
    }
    if (!mounted) await rm(dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`loop btrfs teardown: ${errors.join('; ')}`);
  };
  try {
    await writeFile(image, '');
    await truncate(image, (opts.sizeMiB ?? 256) << 20);
    await exec('mkfs.btrfs', ['-q', image]);
    // two files at once (test/support/claim.ts) could both be handed the same free device
    loopDevice = (await exec('flock', [join(lockDir(), 'loop.lock'), 'losetup', '--find', '--show', image])).stdout.trim();
    await exec('mkdir', ['-p', mountPoint]);
    await exec('mount', ['-t', 'btrfs', loopDevice, mountPoint]);
    mounted = true;
  } catch (e) {
    await destroy().catch(() => undefined);
    throw e;
  }
  return {
    dir,
    image,
    get loopDevice() {
      return loopDevice;
    },
    mountPoint,
    destroy,
  };
}

/** Mount points under `dir` (a file system some other program made there), from the agent's own mountinfo parser. */
export function mountsUnder(dir: string): string[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Loop devices whose backing file is under `dir`. */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const r = await exec('losetup', ['--noheadings', '--output', 'NAME,BACK-FILE', '--list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, back]) => back !== undefined && (back === dir || back.startsWith(`${dir}/`)))
    .map(([name]) => name!);
}

/** Detaches what another program left under `dir`: its mounts (lazily) and loop devices. */
export async function removeMountsUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir).reverse()) await exec('umount', ['-l', m]).catch(() => undefined);
  for (const d of await loopDevicesUnder(dir)) await exec('losetup', ['-d', d]).catch(() => undefined);
}
