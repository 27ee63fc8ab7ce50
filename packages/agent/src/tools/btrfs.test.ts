import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, isFfError, run as exec } from '@freezeframe/common';
import { createLoopBtrfs, type LoopBtrfs } from '../../../../test/support/loopfs.js';
import { needsRoot } from '../../../../test/support/privileges.js';
import {
  btrfsErrorReason,
  freeBytes,
  isSubvolume,
  subvolumeState,
  bytesWrittenSince,
  isReadOnlySubvolume,
  parseFindNewLine,
  parseDeviceStats,
  parseSubvolumeShow,
  subvolumeCreate,
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
      genAtCreation: 7,
      generation: 7,
    });
    expect(parseSubvolumeShow(SHOW.replace('readonly', '-')).readonly).toBe(false);
    expect(parseSubvolumeShow(SHOW.replace('Generation: \t\t7', 'Generation: \t\t12'))).toMatchObject({ generation: 12, genAtCreation: 7 });
  });

  it('reads the device error counters that are not zero', () => {
    // recorded from btrfs-progs v6.2 after a flipped data block was read
    const stats = '[/dev/loop3].write_io_errs    0\n[/dev/loop3].read_io_errs     0\n[/dev/loop3].flush_io_errs    0\n[/dev/loop3].corruption_errs  2\n[/dev/loop3].generation_errs  0\n';
    expect(parseDeviceStats(stats)).toEqual(['/dev/loop3 corruption_errs 2']);
    expect(parseDeviceStats(stats.replace(' 2', ' 0'))).toEqual([]);
  });

  it('reads subvolume find-new lines; the name after the flags is not read', () => {
    // recorded from btrfs-progs v6.2: an in-place 1 MiB change, an inline file, a sparse write
    expect(parseFindNewLine('inode 257 file offset 20971520 len 1048576 disk start 13631488 offset 0 gen 9 flags NONE big')).toEqual({
      inode: 257,
      fileOffset: 20971520,
      len: 1048576,
      diskStart: 13631488,
      gen: 9,
      flags: 'NONE',
    });
    expect(parseFindNewLine('inode 258 file offset 0 len 8 disk start 0 offset 0 gen 9 flags INLINE small')).toMatchObject({ len: 8, diskStart: 0, flags: 'INLINE' });
    expect(parseFindNewLine('inode 261 file offset 409600 len 4096 disk start 131072000 offset 0 gen 14 flags COMPRESS|PREALLOC a name with spaces')).toMatchObject({ len: 4096, flags: 'COMPRESS|PREALLOC' });
    expect(parseFindNewLine('transid marker was 14')).toBeUndefined();
    expect(parseFindNewLine('a name with a newline')).toBeUndefined();
  });

  it('recognises recorded btrfs error messages', () => {
    expect(btrfsErrorReason('ERROR: Not a Btrfs subvolume: Invalid argument')).toBe('not-a-subvolume');
    expect(btrfsErrorReason('ERROR: Could not statfs: No such file or directory')).toBe('no-such-path');
    expect(btrfsErrorReason('ERROR: not a btrfs filesystem: /tmp/bx')).toBe('not-btrfs');
    expect(btrfsErrorReason("ERROR: cannot snapshot 'mnt/vol': Read-only file system")).toBe('read-only');
    expect(btrfsErrorReason('ERROR: target path already exists: current')).toBe('exists');
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

  it('subvolumeState: absent, a subvolume, or anything else (a plain folder, a file)', async () => {
    expect(await subvolumeState(join(fs.mountPoint, 'nope'))).toBe('absent');
    expect(await subvolumeState(vol)).toBe('subvolume');
    expect(await subvolumeState(join(fs.mountPoint, 'plain'))).toBe('other');
    await writeFile(join(fs.mountPoint, 'a-file'), 'x');
    expect(await subvolumeState(join(fs.mountPoint, 'a-file'))).toBe('other');
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

  it('creates a subvolume; refuses an existing path; tells read-only snapshots from writable subvolumes', async () => {
    const made = join(fs.mountPoint, 'made');
    await subvolumeCreate(made);
    expect(await isSubvolume(made)).toBe(true);
    expect(await isReadOnlySubvolume(made)).toBe(false);
    await expect(subvolumeCreate(made)).rejects.toMatchObject({ code: 'COMMAND_FAILED', details: { reason: 'exists' } });
    const ro = join(fs.mountPoint, 'made-ro');
    await subvolumeSnapshot(made, ro, { readonly: true });
    expect(await isReadOnlySubvolume(ro)).toBe(true);
    expect(await isReadOnlySubvolume(join(fs.mountPoint, 'plain'))).toBe(false);
    expect(await isReadOnlySubvolume(join(fs.mountPoint, 'nope'))).toBe(false);
    await subvolumeDelete(ro);
    await subvolumeDelete(made);
  });

  it('counts the bytes written since a snapshot, from the one that made it on', async () => {
    const w = join(fs.mountPoint, 'written');
    await subvolumeCreate(w);
    await writeFile(join(w, 'big'), Buffer.alloc(4 << 20, 1));
    const s1 = join(fs.mountPoint, 'written-s1');
    await subvolumeSnapshot(w, s1, { readonly: true });
    const since = (await subvolumeShow(s1)).genAtCreation + 1;
    expect((await bytesWrittenSince(w, 0)).bytes).toBe(4 << 20);
    expect(await bytesWrittenSince(w, since)).toEqual({ bytes: 0, extents: 0 });
    const fh = await open(join(w, 'big'), 'r+');
    await fh.write(Buffer.alloc(128 << 10, 2), 0, 128 << 10, 1 << 20);
    await fh.close();
    await writeFile(join(w, 'small'), 'tiny');
    expect(await bytesWrittenSince(w, since)).toEqual({ bytes: (128 << 10) + 4, extents: 2 });
    await expect(bytesWrittenSince(join(fs.mountPoint, 'nope'), 1)).rejects.toMatchObject({ details: { path: join(fs.mountPoint, 'nope') } });
    await subvolumeDelete(s1);
    await subvolumeDelete(w);
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
