import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, isFfError, run as exec } from '@freezeframe/common';
import { createLoopBtrfs, type LoopBtrfs } from '../../../../test/support/loopfs.js';
import { needsRoot } from '../../../../test/support/privileges.js';
import {
  btrfsErrorReason,
  freeBytes,
  isSubvolume,
  parseSubvolumeShow,
  subvolumeDelete,
  subvolumeShow,
  subvolumeSnapshot,
} from './btrfs.js';

// Recorded from btrfs-progs v6.2.
const SHOW = `snaps/s1
\tName: \t\t\ts1
\tUUID: \t\t\t93002d75-6e32-db4a-9ed4-01406e004cd7
\tParent UUID: \t\tff295c53-534f-0a4e-89f2-98fea379dd78
\tReceived UUID: \t\t-
\tCreation time: \t\t2026-11-25 14:52:58 +0000
\tSubvolume ID: \t\t257
\tGeneration: \t\t7
\tGen at creation: \t7
\tParent ID: \t\t5
\tTop level ID: \t\t5
\tFlags: \t\t\treadonly
\tSnapshot(s):
`;

describe('btrfs parsers', () => {
  it('reads subvolume show', () => {
    expect(parseSubvolumeShow(SHOW)).toEqual({
      name: 's1',
      uuid: '93002d75-6e32-db4a-9ed4-01406e004cd7',
      parentUuid: 'ff295c53-534f-0a4e-89f2-98fea379dd78',
      readonly: true,
      createdUnixMs: Date.UTC(2026, 10, 25, 14, 52, 58),
      id: 257,
    });
    expect(parseSubvolumeShow(SHOW.replace('readonly', '-')).readonly).toBe(false);
  });

  it('recognises recorded btrfs error messages', () => {
    expect(btrfsErrorReason('ERROR: Not a Btrfs subvolume: Invalid argument')).toBe('not-a-subvolume');
    expect(btrfsErrorReason('ERROR: Could not statfs: No such file or directory')).toBe('no-such-path');
    expect(btrfsErrorReason('ERROR: not a btrfs filesystem: /tmp/bx')).toBe('not-btrfs');
    expect(btrfsErrorReason("ERROR: cannot snapshot 'mnt/vol': Read-only file system")).toBe('read-only');
  });
});

const skip = needsRoot('btrfs tool on a loop filesystem', ['btrfs', 'mkfs.btrfs', 'losetup']);

describe.skipIf(skip)('btrfs verbs on a loop filesystem', () => {
  let fs: LoopBtrfs;
  let vol: string;
  beforeAll(async () => {
    fs = await createLoopBtrfs();
    vol = join(fs.mountPoint, 'vol');
    await run(['subvolume', 'create', vol]);
    await writeFile(join(vol, 'a'), 'one');
    await mkdir(join(fs.mountPoint, 'plain'));
  });
  afterAll(async () => {
    await fs?.destroy();
  });

  it('takes a read-only snapshot and deletes it', async () => {
    const snap = join(fs.mountPoint, 'ro1');
    await subvolumeSnapshot(vol, snap, { readonly: true });
    expect(await isSubvolume(snap)).toBe(true);
    const info = await subvolumeShow(snap);
    expect(info.readonly).toBe(true);
    expect(info.name).toBe('ro1');
    await expect(writeFile(join(snap, 'b'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    await subvolumeDelete(snap);
    expect(await isSubvolume(snap)).toBe(false);
  });

  it('refuses an existing destination (btrfs would nest the snapshot inside it)', async () => {
    await expect(subvolumeSnapshot(vol, join(fs.mountPoint, 'plain'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('a folder that is not a subvolume: SNAPSHOT_FAILED naming it', async () => {
    const e = await subvolumeSnapshot(join(fs.mountPoint, 'plain'), join(fs.mountPoint, 's2')).catch((x: unknown) => x);
    expect(isFfError(e, 'SNAPSHOT_FAILED')).toBe(true);
    expect((e as Error).message).toContain(`${fs.mountPoint}/plain is not a btrfs subvolume`);
  });

  it('a missing source: NOT_FOUND; a missing destination folder: SNAPSHOT_FAILED', async () => {
    await expect(subvolumeSnapshot(join(fs.mountPoint, 'nope'), join(fs.mountPoint, 's3'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { path: join(fs.mountPoint, 'nope') },
    });
    await expect(subvolumeSnapshot(vol, join(fs.mountPoint, 'nodir', 's3'))).rejects.toMatchObject({
      code: 'SNAPSHOT_FAILED',
      details: { reason: 'no-such-path' },
    });
  });

  it('a destination on another filesystem: SNAPSHOT_FAILED with a hint', async () => {
    const e = await subvolumeSnapshot(vol, join(fs.dir, 'outside')).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SNAPSHOT_FAILED', details: { reason: 'not-btrfs' } });
    expect((e as { hint: string }).hint).toMatch(/same btrfs filesystem/);
  });

  it('delete and show of a non-subvolume or missing path: NOT_FOUND', async () => {
    await expect(subvolumeDelete(join(fs.mountPoint, 'plain'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { reason: 'not-a-subvolume' },
    });
    await expect(subvolumeDelete(join(fs.mountPoint, 'nope'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { reason: 'no-such-path' },
    });
    await expect(subvolumeShow(join(fs.mountPoint, 'plain'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports free space', async () => {
    const free = await freeBytes(vol);
    expect(free).toBeGreaterThan(50 << 20);
    expect(free).toBeLessThan(256 << 20);
  });
});

async function run(args: string[]): Promise<void> {
  await exec({ bin: findBinary('btrfs'), args, timeoutMs: 30_000 });
}
