import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  zfsClone,
  zfsCreate,
  zfsDestroy,
  zfsExists,
  zfsGet,
  zfsListSnapshots,
  zfsMount,
  zfsSet,
  zfsSnapshot,
  zfsUnmount,
  zpoolHealth,
  zpoolStatus,
} from '@freezeframe/agent/tools/zfs.js';
import { needsRoot } from './support/privileges.js';
import { createFilePool, startZfsFuse, type FilePool, type ZfsDaemon } from './support/zpool.js';
import { claim } from './support/claim.js';

await claim('zfs');

const skip = needsRoot('zfs tool on a zfs-fuse file pool', ['zfs', 'zpool', 'zfs-fuse']);

describe.skipIf(skip)('zfs verbs on a zfs-fuse pool', () => {
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;
  let ds: string;

  beforeAll(async () => {
    daemon = await startZfsFuse();
    pool = await createFilePool();
    ds = `${pool.name}/data`;
  });
  afterAll(async () => {
    try {
      await pool?.destroy();
    } finally {
      await daemon?.stop();
    }
  });

  it('creates a dataset with properties, mounts it under the pool root', async () => {
    await zfsCreate(ds, { properties: { compression: 'lzjb' } });
    const p = await zfsGet(ds, ['compression', 'mountpoint', 'mounted']);
    expect(p).toEqual({ compression: 'lzjb', mountpoint: join(pool!.mountRoot, 'data'), mounted: 'yes' });
    await writeFile(join(p.mountpoint!, 'f'), 'one');
  });

  it('create twice: ALREADY_EXISTS naming the dataset', async () => {
    await expect(zfsCreate(ds)).rejects.toMatchObject({ code: 'ALREADY_EXISTS', details: { dataset: ds } });
  });

  it('snapshots with user properties and lists them with exact numbers', async () => {
    await zfsSnapshot(`${ds}@a`, { properties: { 'freezeframe:backup': 'a' } });
    await zfsSnapshot(`${ds}@b`);
    const snaps = await zfsListSnapshots(ds, ['freezeframe:backup']);
    expect(snaps.map((s) => s.snap)).toEqual(['a', 'b']);
    expect(snaps[0]!.props['freezeframe:backup']).toBe('a');
    expect(snaps[1]!.props['freezeframe:backup']).toBe('-');
    expect(snaps[0]!.referencedBytes).toBeGreaterThan(0);
    expect(Math.abs(snaps[0]!.createdUnixMs - Date.now())).toBeLessThan(60_000);
    await expect(zfsSnapshot(`${ds}@a`)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('a missing dataset: NOT_FOUND', async () => {
    await expect(zfsSnapshot(`${pool!.name}/nope@x`)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { reason: 'does-not-exist' } });
    await expect(zfsGet(`${pool!.name}/nope`, ['used'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(zfsDestroy(`${pool!.name}/nope`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await zfsDestroy(`${pool!.name}/nope`, { ifExists: true })).toBe(false);
    expect(await zfsExists(`${pool!.name}/nope`)).toBe(false);
    expect(await zfsExists(`${ds}@a`)).toBe(true);
  });

  it('clones a snapshot read-only, names the missing snapshot', async () => {
    const mnt = join(pool!.mountRoot, 'clone-a');
    await zfsClone(`${ds}@a`, `${pool!.name}/clone`, { properties: { readonly: 'on', mountpoint: mnt } });
    expect(await readFile(join(mnt, 'f'), 'utf8')).toBe('one');
    await expect(writeFile(join(mnt, 'g'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    expect((await zfsGet(`${pool!.name}/clone`, ['origin'])).origin).toBe(`${ds}@a`);
    await expect(zfsClone(`${ds}@zz`, `${pool!.name}/clone2`)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(`${ds}@zz`),
    });
    await expect(zfsClone(`${ds}@a`, `${pool!.name}/clone`)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('a snapshot with a clone cannot be destroyed; a mounted clone can (busy quirk handled)', async () => {
    await expect(zfsDestroy(`${ds}@a`)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      details: { reason: 'has-dependent-clones' },
    });
    expect((await zfsGet(`${pool!.name}/clone`, ['mounted'])).mounted).toBe('yes');
    expect(await zfsDestroy(`${pool!.name}/clone`)).toBe(true);
    expect(await zfsDestroy(`${ds}@a`)).toBe(true);
  });

  it('a dataset with children needs recursive destroy', async () => {
    await zfsCreate(`${ds}/child`);
    await expect(zfsDestroy(ds)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await zfsGet(ds, ['mounted'])).mounted).toBe('yes');
  });

  it('mount and unmount are idempotent', async () => {
    expect(await zfsUnmount(`${ds}/child`)).toBe(true);
    expect(await zfsUnmount(`${ds}/child`)).toBe(false);
    await zfsMount(`${ds}/child`);
    await zfsMount(`${ds}/child`);
    expect((await zfsGet(`${ds}/child`, ['mounted'])).mounted).toBe('yes');
  });

  it('sets user properties, refuses malformed ones', async () => {
    await zfsSet(ds, { 'freezeframe:note': 'hello world' });
    expect((await zfsGet(ds, ['freezeframe:note']))['freezeframe:note']).toBe('hello world');
    await expect(zfsSet(ds, { 'freezeframe:note': 'a\nb' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(zfsSet('-o', { x: 'y' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reports pool health; a missing pool is NOT_FOUND', async () => {
    expect(await zpoolHealth(pool!.name)).toBe('ONLINE');
    expect(await zpoolStatus(pool!.name)).toMatchObject({ pool: pool!.name, state: 'ONLINE' });
    await expect(zpoolStatus('ffnosuchpool')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { reason: 'no-such-pool' } });
  });
});
