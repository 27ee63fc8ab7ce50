import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, run, silentLogger } from '@freezeframe/common';
import { ZfsTarget } from '@freezeframe/agent/providers/target/zfs.js';
import { zfsDestroy, zfsExists, zfsGet, zfsListSnapshots } from '@freezeframe/agent/tools/zfs.js';
import { needsRoot } from './support/privileges.js';
import { createFilePool, startZfsFuse, type FilePool, type ZfsDaemon } from './support/zpool.js';
import { claim } from './support/claim.js';

await claim('zfs');

const skip = needsRoot('zfs target on a zfs-fuse file pool', ['zfs', 'zpool', 'zfs-fuse', 'rsync']);

const ID1 = '20240906_082043';
const ID2 = '20240906_092043-manual';
const ENTRY = 'cassandra-1@+docker_local';

describe.skipIf(skip)('ZfsTarget on a zfs-fuse pool', () => {
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;
  let target: ZfsTarget;
  let dataset: string;

  beforeAll(async () => {
    daemon = await startZfsFuse();
    pool = await createFilePool({ sizeMiB: 512 });
    dataset = `${pool.name}/backup/current`;
    target = new ZfsTarget({ kind: 'zfs', dataset }, silentLogger);
  });
  afterAll(async () => {
    try {
      await pool?.destroy();
    } finally {
      await daemon?.stop();
    }
  });

  it('refuses a pool root as the dataset', () => {
    expect(() => new ZfsTarget({ kind: 'zfs', dataset: 'tank' }, silentLogger)).toThrow(/pool's root/);
  });

  it('creates the compressed dataset and receives in place', async () => {
    const r = await target.prepareReceive(ID1, ENTRY);
    expect(r).toEqual({ path: join(pool!.mountRoot, 'backup/current', ENTRY), rsyncOptions: ['--inplace'] });
    expect(await zfsGet(dataset, ['compression', 'mounted'])).toEqual({ compression: 'lzjb', mounted: 'yes' });
    await writeFile(join(r.path, 'a.txt'), 'version 1');
    await expect(target.prepareReceive(ID1, '../escape')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(target.prepareReceive('nope', ENTRY)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses to tag when an entry was not received', async () => {
    await expect(target.tag(ID1, '{}', [ENTRY, 'manager-1@+data'])).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      details: { missing: ['manager-1@+data'] },
    });
    expect(await zfsExists(`${dataset}@${ID1}`)).toBe(false);
  });

  it('tags: snapshot with labels and the manifest in the tree; re-tag refused', async () => {
    const manifest = JSON.stringify({ backupId: ID1, sources: [ENTRY] });
    expect(await target.tag(ID1, manifest, [ENTRY])).toEqual({ snapshot: `${dataset}@${ID1}` });
    const root = join(pool!.mountRoot, 'backup/current');
    expect(await readFile(join(root, '.freezeframe/manifest.json'), 'utf8')).toBe(manifest);
    const [snap] = await zfsListSnapshots(dataset, ['freezeframe:backup']);
    expect(snap!.props['freezeframe:backup']).toBe(ID1);
    await expect(target.tag(ID1, manifest, [ENTRY])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(target.prepareReceive(ID1, ENTRY)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('lists backups with entries and manifest, oldest first; a large manifest is read from the snapshot', async () => {
    await writeFile(join((await target.prepareReceive(ID2, ENTRY)).path, 'a.txt'), 'version 2');
    const big = JSON.stringify({ backupId: ID2, pad: 'x'.repeat(6000) });
    await target.tag(ID2, big, [ENTRY]);
    const list = await target.list();
    expect(list.map((b) => b.backupId)).toEqual([ID1, ID2]);
    expect(list[0]).toMatchObject({ entries: [ENTRY], manifestJson: JSON.stringify({ backupId: ID1, sources: [ENTRY] }) });
    expect(list[1]!.entries).toEqual([ENTRY]);
    expect(list[1]!.manifestJson).toBe(big);
    expect(Math.abs(list[0]!.createdUnixMs - Date.now())).toBeLessThan(120_000);
    expect(list[0]!.usedBytes).toBeGreaterThanOrEqual(0);
    expect(await zfsExists(`${dataset}-read-${ID2}`)).toBe(false); // the temporary clone is gone
  });

  it('activates a backup as a read-only clone and deactivates it, idempotently', async () => {
    const a = await target.activate(ID1);
    expect(a.entries).toEqual([ENTRY]);
    expect(a.root).toBe(join(pool!.mountRoot, 'backup', `current-restore-${ID1}`));
    expect(await readFile(join(a.root, ENTRY, 'a.txt'), 'utf8')).toBe('version 1');
    await expect(writeFile(join(a.root, ENTRY, 'b.txt'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    expect(await target.activate(ID1)).toEqual(a);
    expect(await target.deactivate(ID1)).toBe(true);
    expect(await zfsExists(`${dataset}-restore-${ID1}`)).toBe(false);
    expect(await target.deactivate(ID1)).toBe(false);
    await expect(target.activate('20200101_000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('mounts a backup for browsing as a clone of its own: a restore\'s deactivate leaves it, a prune is refused, umount ends it', async () => {
    const b = await target.activate(ID1, { browse: true });
    expect(b.root).toBe(join(pool!.mountRoot, 'backup', `current-browse-${ID1}`));
    expect(await readFile(join(b.root, ENTRY, 'a.txt'), 'utf8')).toBe('version 1');
    await expect(writeFile(join(b.root, ENTRY, 'b.txt'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    // (zfs-fuse reports readonly=off for a clone made with it on, yet refuses writes: EROFS above)
    expect(await zfsGet(`${dataset}-browse-${ID1}`, ['setuid', 'devices', 'exec'])).toEqual({ setuid: 'off', devices: 'off', exec: 'off' });
    // a restore of the same backup activates and deactivates its own clone
    await target.activate(ID1);
    expect(await target.deactivate(ID1)).toBe(true);
    expect(await readFile(join(b.root, ENTRY, 'a.txt'), 'utf8')).toBe('version 1');
    await expect(target.destroy(ID1)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('is mounted for browsing'), hint: `freezeframe umount ${ID1}` });
    // cleanup of interrupted runs keeps it: it is mounted on purpose
    expect(await target.cleanup!(new Set(), false)).toEqual([]);
    expect(await target.deactivate(ID1, { browse: true })).toBe(true);
    expect(await zfsExists(`${dataset}-browse-${ID1}`)).toBe(false);
    expect(await target.deactivate(ID1, { browse: true })).toBe(false);
  });

  it('reports free space', async () => {
    expect(await target.freeBytes()).toBeGreaterThan(100 << 20);
  });
});

describe.skipIf(skip)('ZFS target storage with rsync --inplace', () => {
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;
  let work: string | undefined;

  beforeAll(async () => {
    daemon = await startZfsFuse();
    pool = await createFilePool({ sizeMiB: 512 });
    work = await mkdtemp(join(tmpdir(), 'ff-inplace-'));
  });
  afterAll(async () => {
    try {
      if (work) await rm(work, { recursive: true, force: true });
      await pool?.destroy();
    } finally {
      await daemon?.stop();
    }
  });

  /** Sends src into the target as the transfer would (with or without the target's options) and tags it. */
  async function backup(target: ZfsTarget, src: string, id: string, useTargetOptions: boolean): Promise<void> {
    const { path, rsyncOptions } = await target.prepareReceive(id, ENTRY);
    // --no-whole-file: a local rsync copies whole files unless told to use the delta algorithm, as it does over the data channel
    const args = ['-a', '--no-whole-file', ...(useTargetOptions ? rsyncOptions : []), `${src}/`, `${path}/`];
    await run({ bin: findBinary('rsync'), args, timeoutMs: 120_000 });
    // a transfer the quick check skipped would make the sizes below meaningless
    expect(await sha256Of(join(path, 'big.bin')), `${id} received big.bin`).toBe(await sha256Of(join(src, 'big.bin')));
    await target.tag(id, '{}', [ENTRY]);
  }

  async function sha256Of(file: string): Promise<string> {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  }

  /**
   * Rewrites 1 MiB at offset 20 MiB and gives the file an mtime in a later whole second than
   * before: rsync's quick check compares whole seconds, and zfs-fuse keeps none finer, so a
   * change within the second of the version already received (a backup takes under a second
   * here) would be skipped as unchanged.
   */
  async function changeOneMiB(file: string): Promise<void> {
    const fh = await open(file, 'r+');
    try {
      const before = (await fh.stat()).mtimeMs;
      await fh.write(randomBytes(1 << 20), 0, 1 << 20, 20 << 20);
      const mtime = Math.max(Date.now(), (Math.floor(before / 1000) + 1) * 1000) / 1000;
      await fh.utimes(mtime, mtime);
    } finally {
      await fh.close();
    }
  }

  it('a 1 MiB change to a 64 MiB file costs the previous backup ~1 MiB, not 64 MiB', async () => {
    const src = join(work!, 'src');
    await mkdir(src);
    await writeFile(join(src, 'big.bin'), randomBytes(64 << 20)); // incompressible, so sizes are real
    const inplace = new ZfsTarget({ kind: 'zfs', dataset: `${pool!.name}/inplace/current` }, silentLogger);
    await backup(inplace, src, '20240101_000000', true);
    await changeOneMiB(join(src, 'big.bin'));
    await backup(inplace, src, '20240102_000000', true);

    // for contrast: rsync's default temp-file-and-rename
    const copy = new ZfsTarget({ kind: 'zfs', dataset: `${pool!.name}/copy/current` }, silentLogger);
    await backup(copy, src, '20240101_000000', false);
    await changeOneMiB(join(src, 'big.bin'));
    await backup(copy, src, '20240102_000000', false);

    // `used` of the older snapshot = blocks only it holds = what the newer backup rewrote. zfs-fuse
    // updates space properties only when a transaction group syncs (every 30 s, or at once for an
    // administrative change such as `zfs snapshot`, which waits for it; it has no `zpool sync`, and
    // sync(1) or fsync do not sync one), so the values are final once the newer backup is tagged.
    const usedInplace = Number((await zfsGet(`${pool!.name}/inplace/current@20240101_000000`, ['used'])).used);
    const usedCopy = Number((await zfsGet(`${pool!.name}/copy/current@20240101_000000`, ['used'])).used);
    console.info(`older snapshot's unique bytes after a 1 MiB change: --inplace ${usedInplace}, default ${usedCopy}`);
    expect(usedInplace).toBeGreaterThan(512 << 10);
    expect(usedInplace).toBeLessThan(4 << 20);
    expect(usedCopy).toBeGreaterThan(60 << 20);
    await zfsDestroy(`${pool!.name}/copy`, { recursive: true });
  });
});

describe.skipIf(skip)('ZfsTarget.destroy (retention)', () => {
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;

  beforeAll(async () => {
    daemon = await startZfsFuse();
    pool = await createFilePool({ sizeMiB: 256 });
  });
  afterAll(async () => {
    try {
      await pool?.destroy();
    } finally {
      await daemon?.stop();
    }
  });

  it('destroys the snapshot, refuses while activated or cloned, and is idempotent', async () => {
    const dataset = `${pool!.name}/del/current`;
    const target = new ZfsTarget({ kind: 'zfs', dataset }, silentLogger);
    await writeFile(join((await target.prepareReceive(ID1, ENTRY)).path, 'a.txt'), 'version 1');
    await target.tag(ID1, '{}', [ENTRY]);
    await writeFile(join((await target.prepareReceive(ID2, ENTRY)).path, 'a.txt'), 'version 2');
    await target.tag(ID2, '{}', [ENTRY]);

    await target.activate(ID1);
    await expect(target.destroy(ID1)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('is activated') });
    expect(await zfsExists(`${dataset}@${ID1}`)).toBe(true);
    await target.deactivate(ID1);

    expect(await target.destroy(ID1)).toBe(true);
    expect(await zfsExists(`${dataset}@${ID1}`)).toBe(false);
    expect((await target.list()).map((b) => b.backupId)).toEqual([ID2]);
    expect(await target.destroy(ID1)).toBe(false);
    // the remaining backup is whole
    const a = await target.activate(ID2);
    expect(await readFile(join(a.root, ENTRY, 'a.txt'), 'utf8')).toBe('version 2');
    await target.deactivate(ID2);

    // a clone someone else made (an operator's) also holds the snapshot
    const other = `${pool!.name}/del/operator-clone`;
    await run({ bin: findBinary('zfs'), args: ['clone', `${dataset}@${ID2}`, other], timeoutMs: 30_000 });
    await expect(target.destroy(ID2)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('a clone depends on') });
    await zfsDestroy(other);
    expect(await target.destroy(ID2)).toBe(true);
    expect(await target.list()).toEqual([]);
    await expect(target.destroy('bad id')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
