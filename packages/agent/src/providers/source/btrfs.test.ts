import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, run, silentLogger } from '@freezeframe/common';
import { createLoopBtrfs, type LoopBtrfs } from '../../../../../test/support/loopfs.js';
import { needsRoot } from '../../../../../test/support/privileges.js';
import { subvolumeShow } from '../../tools/btrfs.js';
import { BtrfsSource } from './btrfs.js';

const skip = needsRoot('btrfs source on a loop filesystem', ['btrfs', 'mkfs.btrfs', 'losetup']);

describe.skipIf(skip)('BtrfsSource', () => {
  let fs: LoopBtrfs;
  let src: BtrfsSource;
  let volume: string;
  let snapshotMount: string;
  const id = '20240906_082043';

  beforeAll(async () => {
    fs = await createLoopBtrfs();
    volume = join(fs.mountPoint, 'docker_local');
    snapshotMount = join(fs.mountPoint, 'backupsource');
    await run({ bin: findBinary('btrfs'), args: ['subvolume', 'create', volume], timeoutMs: 30_000 });
    await mkdir(join(volume, 'app'));
    await writeFile(join(volume, 'app', 'data.txt'), 'before');
    src = new BtrfsSource({ kind: 'btrfs', volume, snapshotMount }, silentLogger);
  });
  afterAll(async () => {
    await fs?.destroy();
  });

  it('takes a read-only, point-in-time snapshot', async () => {
    await src.prepare(id);
    const path = await src.snapshotPath(id);
    expect(path).toBe(join(snapshotMount, id));
    await writeFile(join(volume, 'app', 'data.txt'), 'after');
    await writeFile(join(volume, 'app', 'new.txt'), 'new');
    expect(await readFile(join(path, 'app', 'data.txt'), 'utf8')).toBe('before');
    expect(await readdir(join(path, 'app'))).toEqual(['data.txt']);
    expect((await subvolumeShow(path)).readonly).toBe(true);
    await expect(writeFile(join(path, 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
  });

  it('prepare is idempotent for the same id', async () => {
    await src.prepare(id);
    expect(await readFile(join(await src.snapshotPath(id), 'app', 'data.txt'), 'utf8')).toBe('before');
    expect(await src.listSnapshots()).toEqual([id]);
  });

  it('lists only backup ids that are subvolumes', async () => {
    await mkdir(join(snapshotMount, '20240101_000000')); // a plain folder: not a snapshot
    await mkdir(join(snapshotMount, 'other'));
    await src.prepare('20240907_000000-manual');
    expect(await src.listSnapshots()).toEqual([id, '20240907_000000-manual']);
    expect(await src.remove('20240907_000000-manual')).toBe(true);
  });

  it('remove really removes, and is idempotent', async () => {
    expect(await src.remove(id)).toBe(true);
    await expect(readdir(join(snapshotMount, id))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await src.remove(id)).toBe(false);
    await expect(src.snapshotPath(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await src.listSnapshots()).toEqual([]);
  });

  it('restores into the volume and reports free space', async () => {
    expect(await src.restorePath()).toBe(volume);
    expect(await src.freeBytes()).toBeGreaterThan(50 << 20);
  });

  it('a volume that is not a subvolume: SNAPSHOT_FAILED naming it', async () => {
    const bad = new BtrfsSource({ kind: 'btrfs', volume: join(fs.mountPoint, 'backupsource', 'other'), snapshotMount }, silentLogger);
    await expect(bad.prepare('20240908_000000')).rejects.toMatchObject({ code: 'SNAPSHOT_FAILED', message: expect.stringContaining('other') });
  });

  it('rejects a bad backup id before touching anything', async () => {
    await expect(src.prepare('../etc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
