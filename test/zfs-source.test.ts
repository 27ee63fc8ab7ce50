import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@freezeframe/common';
import { ZfsSource } from '@freezeframe/agent/providers/source/zfs.js';
import { zfsCreate, zfsExists } from '@freezeframe/agent/tools/zfs.js';
import { needsRoot } from './support/privileges.js';
import { createFilePool, startZfsFuse, type FilePool, type ZfsDaemon } from './support/zpool.js';
import { claim } from './support/claim.js';

await claim('zfs');

const skip = needsRoot('zfs source on a zfs-fuse file pool', ['zfs', 'zpool', 'zfs-fuse']);

describe.skipIf(skip)('ZfsSource on a zfs-fuse pool', () => {
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;
  let src: ZfsSource;
  let dataset: string;
  let live: string;
  let snapshotMount: string;
  const id = '20240906_082043';

  beforeAll(async () => {
    daemon = await startZfsFuse();
    pool = await createFilePool();
    dataset = `${pool.name}/docker_local`;
    await zfsCreate(dataset);
    live = join(pool.mountRoot, 'docker_local');
    snapshotMount = join(pool.mountRoot, 'backupsource');
    await mkdir(join(live, 'app'));
    await writeFile(join(live, 'app', 'data.txt'), 'before');
    src = new ZfsSource({ kind: 'zfs', volume: dataset, snapshotMount }, silentLogger);
  });
  afterAll(async () => {
    try {
      await pool?.destroy();
    } finally {
      await daemon?.stop();
    }
  });

  it('snapshots point-in-time and exposes a read-only clone', async () => {
    await src.prepare(id);
    const path = await src.snapshotPath(id);
    expect(path).toBe(join(snapshotMount, id));
    await writeFile(join(live, 'app', 'data.txt'), 'after');
    await writeFile(join(live, 'app', 'new.txt'), 'new');
    expect(await readFile(join(path, 'app', 'data.txt'), 'utf8')).toBe('before');
    expect(await readdir(join(path, 'app'))).toEqual(['data.txt']);
    await expect(writeFile(join(path, 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
  });

  it('prepare is idempotent; snapshots are listed by backup id', async () => {
    await src.prepare(id);
    expect(await src.listSnapshots()).toEqual([id]);
    expect(await readFile(join(await src.snapshotPath(id), 'app', 'data.txt'), 'utf8')).toBe('before');
  });

  it('remove destroys clone and snapshot, idempotently', async () => {
    expect(await src.remove(id)).toBe(true);
    expect(await zfsExists(`${dataset}-ff-${id}`)).toBe(false);
    expect(await zfsExists(`${dataset}@ff-${id}`)).toBe(false);
    expect(await src.remove(id)).toBe(false);
    await expect(src.snapshotPath(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await src.listSnapshots()).toEqual([]);
  });

  it('restores into the mountpoint, reports free space', async () => {
    expect(await src.restorePath()).toBe(live);
    expect(await src.freeBytes()).toBeGreaterThan(50 << 20);
  });

  it('a missing dataset: SNAPSHOT_FAILED naming it', async () => {
    const bad = new ZfsSource({ kind: 'zfs', volume: `${pool!.name}/nope`, snapshotMount }, silentLogger);
    await expect(bad.prepare(id)).rejects.toMatchObject({ code: 'SNAPSHOT_FAILED', message: expect.stringContaining(`${pool!.name}/nope`) });
  });
});
