import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { entryName, findBinary, run, silentLogger, spawnProcess } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CHECKSUMS_FILE, nameBytes, readSums, walk, type FileStat } from '@freezeframe/agent/checksums.js';
import { BtrfsTarget } from '@freezeframe/agent/providers/target/btrfs.js';
import { isReadOnlySubvolume, isSubvolume, subvolumeCreate } from '@freezeframe/agent/tools/btrfs.js';
import { call, client, waitForLog } from './support/agents.js';
import { readRecord, recordIds, startRig, type Rig } from './support/fault-rig.js';
import { createLoopBtrfs, type LoopBtrfs } from './support/loopfs.js';
import { needsRoot } from './support/privileges.js';
import { treeListing } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// The btrfs target (docs/design.md, "Target"): a working subvolume written in place, one
// read-only snapshot per backup. First the provider against a btrfs filesystem on a loop file,
// then real agents and the real director CLI on loopback storing into one.

const skip = needsRoot('btrfs target on a loop filesystem', ['btrfs', 'mkfs.btrfs', 'losetup', 'rsync']);

const ID1 = '20240906_082043';
const ID2 = '20240906_092043-manual';
const ENTRY = 'cassandra-1@+docker_local';
const MiB = 1 << 20;

const btrfs = async (args: string[]) => (await run({ bin: findBinary('btrfs'), args, timeoutMs: 60_000 })).stdout;

/** Size of `btrfs send -p <from> <to>`: what the newer snapshot adds to the older, as btrfs replicates it. */
async function sendSize(from: string, to: string, scratch: string): Promise<number> {
  const file = join(scratch, 'send.stream');
  await btrfs(['send', '-q', '-p', from, '-f', file, to]);
  const size = (await stat(file)).size;
  await rm(file);
  return size;
}

/** Rewrites 1 MiB at offset 8 MiB, mtime in a later whole second (rsync's quick check compares whole seconds). */
async function changeOneMiB(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const before = (await fh.stat()).mtimeMs;
    await fh.write(randomBytes(MiB), 0, MiB, 8 * MiB);
    const mtime = Math.max(Date.now(), (Math.floor(before / 1000) + 1) * 1000) / 1000;
    await fh.utimes(mtime, mtime);
  } finally {
    await fh.close();
  }
}

describe.skipIf(skip)('BtrfsTarget on a loop btrfs', () => {
  let fs: LoopBtrfs | undefined;
  let target: BtrfsTarget;
  let path: string;

  beforeAll(async () => {
    fs = await createLoopBtrfs({ sizeMiB: 512, prefix: 'ff-btrfs-target-' });
    path = join(fs.mountPoint, 'backups');
    target = new BtrfsTarget({ kind: 'btrfs', path }, silentLogger);
  });
  afterAll(async () => {
    await fs?.destroy();
  });

  /** Sends src into the target as the data channel would (with or without the target's options) and tags it. */
  async function backup(t: BtrfsTarget, src: string, id: string, useTargetOptions = true): Promise<void> {
    const { path: into, rsyncOptions } = await t.prepareReceive(id, ENTRY);
    // --no-whole-file: a local rsync copies whole files unless told to use the delta algorithm, as it does over the data channel
    await run({ bin: findBinary('rsync'), args: ['-aH', '--delete', '--no-whole-file', ...(useTargetOptions ? rsyncOptions : []), `${src}/`, `${into}/`], timeoutMs: 120_000 });
    await t.tag(id, JSON.stringify({ backupId: id }), [ENTRY]);
  }

  it('refuses a path that is not on btrfs, and a working tree that is not a subvolume', async () => {
    const ext4 = new BtrfsTarget({ kind: 'btrfs', path: join(fs!.dir, 'not-btrfs') }, silentLogger);
    await expect(ext4.prepareReceive(ID1, ENTRY)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('is not on a btrfs file system') });
    expect((await ext4.checks()).find((c) => c.name === 'target-path')).toMatchObject({ ok: false, detail: expect.stringMatching(/not btrfs$/) });

    const plain = join(fs!.mountPoint, 'plain');
    await mkdir(join(plain, 'current'), { recursive: true });
    const t = new BtrfsTarget({ kind: 'btrfs', path: plain }, silentLogger);
    await expect(t.prepareReceive(ID1, ENTRY)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('is not a btrfs subvolume') });
    expect((await t.checks()).find((c) => c.name === 'target-working')).toMatchObject({ ok: false });
  });

  it('checks: a path it will make, then the working subvolume; the loop mount lacks nosuid,nodev (a warning)', async () => {
    const before = await target.checks({ live: true });
    expect(before.find((c) => c.name === 'target-path')).toMatchObject({ ok: true, detail: expect.stringContaining('will be made') });
    expect(before.find((c) => c.name === 'target-mount')).toMatchObject({ ok: false, warnOnly: true, detail: expect.stringContaining('mounted without nosuid,nodev') });
    await target.storageRoot();
    const after = await target.checks({ live: true });
    expect(after.filter((c) => !c.ok && !c.warnOnly)).toEqual([]);
    expect(after.find((c) => c.name === 'target-working')).toMatchObject({ ok: true, detail: expect.stringContaining('is a btrfs subvolume') });
    expect(after.find((c) => c.name === 'target-space')).toMatchObject({ ok: true });
    expect(statSync(path).mode & 0o777).toBe(0o700);
  });

  it('checks while another request creates the working subvolume: never "exists but is not a subvolume"', async () => {
    // a Describe (the target's limits probe) creates the subvolume while the director's preflight
    // runs checks; CI once saw the check find the path absent as a subvolume, then present
    for (let i = 0; i < 30; i++) {
      const t = new BtrfsTarget({ kind: 'btrfs', path: join(fs!.mountPoint, `race-${i}`) }, silentLogger);
      let created = false;
      const creating = t.storageRoot().finally(() => (created = true));
      const seen: string[] = [];
      while (!created) {
        const working = (await Promise.all([t.checks(), t.checks()])).flat().filter((c) => c.name === 'target-working');
        seen.push(...working.filter((c) => !c.ok).map((c) => c.detail));
      }
      await creating;
      expect(seen, `round ${i}`).toEqual([]);
      await btrfs(['subvolume', 'delete', join(fs!.mountPoint, `race-${i}`, 'current')]);
    }
  });

  it('receives in place into the working subvolume; tags a read-only snapshot; refuses a missing entry and a second tag', async () => {
    const r = await target.prepareReceive(ID1, ENTRY);
    expect(r).toEqual({ path: join(path, 'current', ENTRY), rsyncOptions: ['--inplace'] });
    expect(await isSubvolume(join(path, 'current'))).toBe(true);
    await writeFile(join(r.path, 'a.txt'), 'version 1');
    await expect(target.prepareReceive(ID1, '../escape')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(target.prepareReceive('nope', ENTRY)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(target.tag(ID1, '{}', [ENTRY, 'manager-1@+data'])).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', details: { missing: ['manager-1@+data'] } });
    expect(existsSync(join(path, ID1))).toBe(false);

    const manifest = JSON.stringify({ backupId: ID1, sources: [ENTRY] });
    expect(await target.tag(ID1, manifest, [ENTRY])).toEqual({ snapshot: join(path, ID1) });
    expect(await isReadOnlySubvolume(join(path, ID1))).toBe(true);
    expect(await readFile(join(path, ID1, '.freezeframe/manifest.json'), 'utf8')).toBe(manifest);
    await expect(writeFile(join(path, ID1, ENTRY, 'b.txt'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(target.tag(ID1, manifest, [ENTRY])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(target.prepareReceive(ID1, ENTRY)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('lists read-only snapshots only, oldest first; a folder or writable subvolume named like a backup is a warning', async () => {
    await writeFile(join((await target.prepareReceive(ID2, ENTRY)).path, 'a.txt'), 'version 2');
    await target.tag(ID2, '{"big":true}', [ENTRY]);
    await mkdir(join(path, '20240101_000000'));
    await subvolumeCreate(join(path, '20240102_000000'));
    await writeFile(join(path, '20240103_000000'), 'a file');
    const list = await target.list();
    expect(list.map((b) => b.backupId)).toEqual([ID1, ID2]);
    expect(list[0]).toMatchObject({ entries: [ENTRY], manifestJson: JSON.stringify({ backupId: ID1, sources: [ENTRY] }) });
    expect(list[1]).toMatchObject({ entries: [ENTRY], manifestJson: '{"big":true}' });
    expect(Math.abs(list[0]!.createdUnixMs - Date.now())).toBeLessThan(120_000);
    // what each backup wrote into the working tree: the file and the checksum-free metadata
    expect(list[0]!.usedBytes).toBeGreaterThanOrEqual('version 1'.length);
    expect(list[1]!.usedBytes).toBeLessThan(64 << 10);
    const strays = (await target.checks()).find((c) => c.name === 'target-strays');
    expect(strays).toMatchObject({ ok: false, warnOnly: true, detail: expect.stringContaining('20240101_000000, 20240102_000000, 20240103_000000 are named like a backup but not a read-only snapshot') });
    await expect(target.activate('20240102_000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await target.destroy('20240102_000000')).toBe(false);
    await btrfs(['subvolume', 'delete', join(path, '20240102_000000')]);
    await rm(join(path, '20240101_000000'), { recursive: true });
    await rm(join(path, '20240103_000000'));
    expect((await target.checks()).find((c) => c.name === 'target-strays')).toBeUndefined();
  });

  it('activates a backup as the snapshot itself; deactivate has nothing to do; destroy deletes the snapshot, idempotently', async () => {
    const a = await target.activate(ID1);
    expect(a).toEqual({ root: join(path, ID1), entries: [ENTRY] });
    expect(await readFile(join(a.root, ENTRY, 'a.txt'), 'utf8')).toBe('version 1');
    expect(await target.deactivate()).toBe(false);
    await expect(target.activate('20200101_000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await target.destroy(ID1)).toBe(true);
    expect(existsSync(join(path, ID1))).toBe(false);
    expect((await target.list()).map((b) => b.backupId)).toEqual([ID2]);
    expect(await target.destroy(ID1)).toBe(false);
    expect(await readFile(join((await target.activate(ID2)).root, ENTRY, 'a.txt'), 'utf8')).toBe('version 2');
    await expect(target.destroy('bad id')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a 1 MiB change to a 32 MiB file: the next snapshot adds ~1 MiB in place, ~32 MiB with rsync\'s default', async () => {
    const src = join(fs!.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'big.bin'), randomBytes(32 * MiB));
    const inplace = new BtrfsTarget({ kind: 'btrfs', path: join(fs!.mountPoint, 'inplace') }, silentLogger);
    const copy = new BtrfsTarget({ kind: 'btrfs', path: join(fs!.mountPoint, 'copy') }, silentLogger);
    await backup(inplace, src, '20240101_000000');
    await backup(copy, src, '20240101_000000', false);
    await changeOneMiB(join(src, 'big.bin'));
    const t0 = Date.now();
    await backup(inplace, src, '20240102_000000');
    const inplaceMs = Date.now() - t0;
    await backup(copy, src, '20240102_000000', false);
    expect((await readFile(join(fs!.mountPoint, 'inplace', '20240102_000000', ENTRY, 'big.bin'))).equals(await readFile(join(src, 'big.bin')))).toBe(true);

    const used = async (t: BtrfsTarget) => (await t.list()).map((b) => b.usedBytes);
    const [, usedInplace] = await used(inplace);
    const [firstCopy, usedCopy] = await used(copy);
    const sendInplace = await sendSize(join(fs!.mountPoint, 'inplace', '20240101_000000'), join(fs!.mountPoint, 'inplace', '20240102_000000'), fs!.dir);
    const sendCopy = await sendSize(join(fs!.mountPoint, 'copy', '20240101_000000'), join(fs!.mountPoint, 'copy', '20240102_000000'), fs!.dir);
    console.info(`second backup after a 1 MiB change of 32 MiB: written ${usedInplace} (--inplace, ${inplaceMs} ms) vs ${usedCopy} (default); btrfs send -p ${sendInplace} vs ${sendCopy}`);
    expect(firstCopy).toBeGreaterThanOrEqual(32 * MiB);
    expect(usedInplace).toBeGreaterThanOrEqual(MiB);
    expect(usedInplace).toBeLessThan(2 * MiB);
    expect(sendInplace).toBeGreaterThan(MiB);
    expect(sendInplace).toBeLessThan(2 * MiB);
    expect(usedCopy).toBeGreaterThanOrEqual(32 * MiB);
    expect(sendCopy).toBeGreaterThan(32 * MiB);
  });
  it('splits a hard link a failed run left in the working tree, though the newest backup had none and the link is not committed yet', async () => {
    const t = new BtrfsTarget({ kind: 'btrfs', path: join(fs!.mountPoint, 'links') }, silentLogger);
    const first = (await t.prepareReceive('20240301_000000', ENTRY)).path;
    await writeFile(join(first, 'a'), 'one');
    // as the tag RPC tells it: the checksum walk found no hard link
    await t.tag('20240301_000000', '{}', [ENTRY], { sharedNames: 0 });
    const into = (await t.prepareReceive('20240302_000000', ENTRY)).path;
    // a run that failed after rsync -H linked b to a; btrfs has not committed it
    await link(join(into, 'a'), join(into, 'b'));
    await t.prepareReceive('20240302_000000', ENTRY);
    expect((await stat(join(into, 'b'))).ino).not.toBe((await stat(join(into, 'a'))).ino);
    expect(await readFile(join(into, 'b'), 'utf8')).toBe('one');
  });
});

const HOSTILE_TUNNEL = resolve(import.meta.dirname, 'support/hostile-tunnel.mjs');

describe.skipIf(skip)('btrfs target: real agents and the director CLI', () => {
  let fs: LoopBtrfs | undefined;
  let rig: Rig;
  let vol = '';
  let stage = '';
  let outside = '';
  const json = (s: string) => JSON.parse(s) as Record<string, any>;
  const path = () => join(fs!.mountPoint, 'backups');
  const entry = () => entryName('src-1', vol);
  const snap = (id: string) => join(path(), id);
  const backup = async () => {
    const r = await rig.director(['backup', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return json(r.stdout).backupId as string;
  };
  const listed = async () => (json((await rig.director(['list', '--json'])).stdout).backups as Array<{ id: string; usedBytes: number; complete: boolean }>);

  beforeAll(async () => {
    fs = await createLoopBtrfs({ sizeMiB: 512, prefix: 'ff-btrfs-rig-' });
    rig = await startRig(
      (root) => {
        vol = join(root, 'src-1', 'data');
        stage = join(root, 'stage');
        outside = join(root, 'outside');
        mkdirSync(vol, { recursive: true });
        mkdirSync(outside);
        writeFileSync(join(outside, 'passwd'), 'original\n');
        return [
          { name: 'tgt', roles: `target: { kind: btrfs, path: ${path()}, browse: ${join(root, 'latest')} }\n` },
          {
            name: 'src-1',
            // the freeze hook writes a staged file right before the snapshot, as an application would
            roles:
              `source: { kind: dir, volume: ${vol} }\n` +
              `freeze: { kind: command, pre: { argv: [/bin/sh, -c, "if [ -e ${stage} ]; then cp ${stage} ${vol}/wal && rm ${stage}; fi"] } }\n`,
          },
        ];
      },
      { prefix: 'ff-btrfs-rig-' },
    );
  }, 120_000);

  afterAll(async () => {
    try {
      await rig?.stop();
    } finally {
      // the snapshots and the working subvolume go with the filesystem
      await fs?.destroy();
    }
  });

  it('backs up twice: the second snapshot holds about the change, not the file; list, show, verify', async () => {
    onTestFailed(() => console.error(rig.logs()));
    writeFileSync(join(vol, 'big.bin'), randomBytes(32 * MiB));
    writeFileSync(join(vol, 'small.txt'), 'small\n');
    symlinkSync('small.txt', join(vol, 'rel-link'));
    symlinkSync(outside, join(vol, 'abs-link'));
    let t0 = Date.now();
    const id1 = await backup();
    const first = Date.now() - t0;
    await changeOneMiB(join(vol, 'big.bin'));
    t0 = Date.now();
    const id2 = await backup();
    const second = Date.now() - t0;
    expect(await isReadOnlySubvolume(snap(id1))).toBe(true);
    expect(await isReadOnlySubvolume(snap(id2))).toBe(true);
    // target.browse: a link to the newest snapshot, swapped after each backup; Health sees it right
    expect(readlinkSync(join(rig.root, 'latest'))).toBe(snap(id2));
    expect(readFileSync(join(rig.root, 'latest', entry(), 'small.txt'), 'utf8')).toBe('small\n');
    const browseCheck = async () => (json((await rig.director(['health', '--json'])).stdout).nodes as Array<{ node: string; checks: Array<{ name: string; ok: boolean; detail: string }> }>)
      .find((n) => n.node === 'tgt')!.checks.find((c) => c.name === 'target-browse');
    expect(await browseCheck()).toMatchObject({ ok: true, detail: `target.browse: ${join(rig.root, 'latest')} -> ${snap(id2)}` });
    symlinkSync(snap(id1), join(rig.root, 'latest.other'));
    renameSync(join(rig.root, 'latest.other'), join(rig.root, 'latest'));
    expect(await browseCheck()).toMatchObject({ ok: false });
    expect(readFileSync(join(snap(id2), entry(), 'big.bin')).equals(readFileSync(join(vol, 'big.bin')))).toBe(true);

    const list = await listed();
    expect(list.map((b) => b.id)).toEqual([id1, id2]);
    expect(list.every((b) => b.complete)).toBe(true);
    const send = await sendSize(snap(id1), snap(id2), rig.root);
    console.info(`btrfs target: backup of 32 MiB ${first} ms, then after a 1 MiB change ${second} ms; written ${list[0]!.usedBytes} then ${list[1]!.usedBytes}; btrfs send -p ${send}`);
    expect(list[0]!.usedBytes).toBeGreaterThanOrEqual(32 * MiB);
    expect(list[1]!.usedBytes).toBeGreaterThanOrEqual(MiB);
    expect(list[1]!.usedBytes).toBeLessThan(2 * MiB);
    expect(send).toBeLessThan(2 * MiB);

    // without the director's run record, show reads the manifest the snapshot holds
    const record = join(rig.stateDir, 'runs', `${id2}.json`);
    renameSync(record, `${record}.aside`);
    try {
      const show = await rig.director(['show', id2, '--json']);
      expect(show.code, show.stderr).toBe(0);
      expect(json(show.stdout)).toMatchObject({ from: 'target', backup: { id: id2, entries: [entry()], complete: true, manifest: { backupId: id2 } } });
    } finally {
      renameSync(`${record}.aside`, record);
    }
    const v = await rig.director(['verify', id2, '--json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(json(v.stdout)).toMatchObject({ ok: true, bad: [], missing: [] });
    expect(json(v.stdout).filesChecked).toBeGreaterThanOrEqual(2);
  });

  it('symlinks are stored as they are (not munged), never followed, and restored as links', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const [, last] = (await listed()).map((b) => b.id);
    expect(readlinkSync(join(snap(last!), entry(), 'abs-link'))).toBe(outside);
    expect(readlinkSync(join(snap(last!), entry(), 'rel-link'))).toBe('small.txt');
    rmSync(join(vol, 'abs-link'));
    rmSync(join(vol, 'rel-link'));
    writeFileSync(join(vol, 'rel-link'), 'a file now\n');
    const r = await rig.director(['restore', last!, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readlinkSync(join(vol, 'abs-link'))).toBe(outside);
    expect(readlinkSync(join(vol, 'rel-link'))).toBe('small.txt');
  });

  it('verify finds a file changed inside a snapshot; a snapshot left writable is not listed and Health says so', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const [, last] = (await listed()).map((b) => b.id);
    const s = snap(last!);
    // as someone with root on the target would: make it writable, change a byte, make it read-only again
    await btrfs(['property', 'set', '-ts', s, 'ro', 'false']);
    writeFileSync(join(s, entry(), 'small.txt'), 'smalL\n');
    await btrfs(['property', 'set', '-ts', s, 'ro', 'true']);
    const v = await rig.director(['verify', last!, '--json']);
    expect(v.code).not.toBe(0);
    expect(json(v.stdout)).toMatchObject({ ok: false, bad: [`${entry()}/small.txt: checksum differs from the one recorded at backup time`] });
    const refused = await rig.director(['restore', last!, '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('fails verification');

    await btrfs(['property', 'set', '-ts', s, 'ro', 'false']);
    try {
      expect((await listed()).map((b) => b.id)).not.toContain(last);
      const h = await rig.director(['health', '--json']);
      expect(h.stdout).toContain(`${last} is named like a backup but not a read-only snapshot`);
    } finally {
      writeFileSync(join(s, entry(), 'small.txt'), 'small\n');
      await btrfs(['property', 'set', '-ts', s, 'ro', 'true']);
    }
    const again = await rig.director(['verify', last!, '--json']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('a restore undoes a change', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const before = readFileSync(join(vol, 'big.bin'));
    const id = await backup();
    await changeOneMiB(join(vol, 'big.bin'));
    writeFileSync(join(vol, 'small.txt'), 'changed\n');
    writeFileSync(join(vol, 'new.txt'), 'not in the backup\n');
    const r = await rig.director(['restore', id, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(vol, 'big.bin')).equals(before)).toBe(true);
    expect(readFileSync(join(vol, 'small.txt'), 'utf8')).toBe('small\n');
    expect(existsSync(join(vol, 'new.txt'))).toBe(false);
  });

  it("a restore's check re-reads a random sample of an unchanged snapshot; --verify-all re-reads every file", async () => {
    onTestFailed(() => console.error(rig.logs()));
    mkdirSync(join(vol, 'many'), { recursive: true });
    for (let i = 0; i < 250; i++) writeFileSync(join(vol, 'many', `f-${i}`), `file ${i}\n`);
    const id = await backup();
    const verified = async (args: string[]) => {
      const r = await rig.director(['restore', id, '--json', ...args]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return json(r.stdout).record.verified as { filesChecked: number; method: string };
    };
    const sampled = await verified([]);
    expect(sampled.filesChecked).toBe(100);
    expect(sampled.method).toMatch(/^100 of \d+ files re-read, chosen at random; read-only snapshot unchanged since it was taken \(generation \d+\)/);
    const all = await verified(['--verify-all']);
    expect(all.filesChecked).toBeGreaterThan(250);
    expect(all.method).toBe('every file re-read');
  });

  it('a damaged block of a stored file: the restore fails naming the file, and the next one re-reads every file', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const victim = randomBytes(256 << 10);
    writeFileSync(join(vol, 'victim.bin'), victim);
    const id = await backup();
    await run({ bin: findBinary('sync'), args: [], timeoutMs: 60_000 });
    // the file's first 4 KiB are in one data block of the image (btrfs keeps data sector-aligned)
    const img = await open(fs!.image, 'r+');
    let at = -1;
    try {
      const chunk = Buffer.alloc(16 * MiB);
      for (let pos = 0; at < 0; pos += chunk.length) {
        const { bytesRead } = await img.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0) break;
        for (let off = 0; off + 4096 <= bytesRead; off += 4096) {
          if (chunk.subarray(off, off + 4096).equals(victim.subarray(0, 4096))) {
            at = pos + off;
            break;
          }
        }
      }
      expect(at, 'victim.bin found in the image').toBeGreaterThanOrEqual(0);
      // as a failing disk would: one byte changes under the file system
      const flip = async () => {
        const b = Buffer.alloc(1);
        await img.read(b, 0, 1, at + 100);
        b[0] = b[0]! ^ 0xff;
        await img.write(b, 0, 1, at + 100);
        await img.sync();
        writeFileSync('/proc/sys/vm/drop_caches', '1');
      };
      await flip();
      try {
        // the live copy differs, so the restore has to read the stored one
        writeFileSync(join(vol, 'victim.bin'), 'live\n');
        const r = await rig.director(['restore', id, '--json']);
        expect(r.code, r.stdout + r.stderr).not.toBe(0);
        expect(r.stdout + r.stderr).toContain('victim.bin');
        // btrfs counted the bad block: no sample is trusted any more
        const again = await rig.director(['restore', id, '--json']);
        expect(again.code).not.toBe(0);
        expect(again.stdout + again.stderr).toContain('victim.bin');
        const rec = readRecord(rig, recordIds(rig).filter((x) => x.startsWith('restore_')).pop()!);
        expect(rec.verified?.method ?? JSON.stringify(rec)).toMatch(/^every file re-read \(not a sample: btrfs device stats reports errors \([^)]*corruption_errs/);
      } finally {
        await flip();
        await btrfs(['device', 'stats', '-z', fs!.mountPoint]);
      }
    } finally {
      await img.close();
    }
    const ok = await rig.director(['restore', id, '--json']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(readFileSync(join(vol, 'victim.bin')).equals(victim)).toBe(true);
  });

  /** The snapshot's record against what it holds: every regular file, its size, mtime, inode and sha256, by path. */
  async function recordAgainstTree(id: string): Promise<{ recorded: string[]; truth: string[] }> {
    const sums = (await readSums(snap(id))) ?? [];
    const files: FileStat[] = [];
    await walk(snap(id), entry(), files);
    const line = (p: string, s: number, m: number, h: string, i: number | undefined) => `${p} ${s} ${m} ${h} ${i}`;
    const truth = files.map((f) => line(f.p, f.s, f.m, createHash('sha256').update(readFileSync(Buffer.concat([Buffer.from(`${snap(id)}/`), nameBytes(f)]))).digest('hex'), f.i));
    return { recorded: sums.map((x) => line(x.p, x.s, x.m, x.h, x.i)).sort(), truth: truth.sort() };
  }
  const recordLog = (id: string) => waitForLog(rig.agents.get('tgt')!, (l) => l.msg === 'checksums recorded' && l.backup_id === id);
  const recordedFrom = async (id: string) => (await recordLog(id)).from as string;

  it("an incremental backup's record is made from the receivers' journal and equals a listing of every file", async () => {
    onTestFailed(() => console.error(rig.logs()));
    const j = join(vol, 'journal');
    const odd = Buffer.concat([Buffer.from(`${j}/odd \\#012 \n`), Buffer.from([0xff, 0x41])]);
    mkdirSync(join(j, 'd1', 'd2'), { recursive: true });
    mkdirSync(join(j, 'gone', 'sub'), { recursive: true });
    mkdirSync(join(j, 'was-dir'));
    for (const [n, text] of [['same-size', 'aaaa'], ['grows', 'g'], ['deleted', 'x'], ['d1/d2/c', 'c'], ['gone/sub/g', 'g'], ['was-dir/f', 'f'], ['was-file', 'w'], ['touched', 't'], ['chmod', 'p'], ['linked', 'l']] as const) {
      writeFileSync(join(j, n), text);
    }
    writeFileSync(odd, 'odd');
    // files no backup changes: the record is large against one backup's changes
    mkdirSync(join(j, 'fill'));
    for (let i = 0; i < 100; i++) writeFileSync(join(j, 'fill', `f${i}`), `${i}`);
    await backup();
    const old = Date.now() / 1000 - 60;
    writeFileSync(join(j, 'same-size'), 'bbbb');
    utimesSync(join(j, 'same-size'), old, old);
    writeFileSync(join(j, 'grows'), 'grown');
    rmSync(join(j, 'deleted'));
    rmSync(join(j, 'gone'), { recursive: true });
    rmSync(join(j, 'd1', 'd2'), { recursive: true });
    symlinkSync(outside, join(j, 'd1', 'd2'));
    rmSync(join(j, 'was-dir'), { recursive: true });
    writeFileSync(join(j, 'was-dir'), 'now a file');
    rmSync(join(j, 'was-file'));
    mkdirSync(join(j, 'was-file', 'deeper'), { recursive: true });
    writeFileSync(join(j, 'was-file', 'deeper', 'n'), 'n');
    utimesSync(join(j, 'touched'), old, old);
    chmodSync(join(j, 'chmod'), 0o600);
    await link(join(j, 'linked'), join(j, 'linked-too'));
    writeFileSync(odd, 'ODD');
    const id = await backup();
    expect(await recordedFrom(id)).toBe('journal');
    const { recorded, truth } = await recordAgainstTree(id);
    expect(recorded).toEqual(truth);
    expect(recorded.some((l) => l.includes('journal/was-file/deeper/n '))).toBe(true);
    expect(recorded.some((l) => l.includes('journal/d1/d2'))).toBe(false);
    // the hard link is split in the working tree before the next receive: that rewrite is in no journal
    rmSync(join(j, 'linked-too'));
    const split = await backup();
    expect(await recordedFrom(split)).toBe('walk');
    // and the one after starts from a record the journal made
    writeFileSync(join(j, 'grows'), 'grown again');
    const next = await backup();
    // only what changed is written: the changes beside the record the split's tag wrote whole
    expect(await recordLog(next)).toMatchObject({ from: 'journal', wrote: 'changes', hashed: 1, sharedNames: 0 });
    for (const b of [split, next]) {
      const again = await recordAgainstTree(b);
      expect(again.recorded).toEqual(again.truth);
    }
    rmSync(j, { recursive: true });
  });

  it('a file rewritten in the working tree between backups is hashed again: the journal is not trusted then', async () => {
    onTestFailed(() => console.error(rig.logs()));
    writeFileSync(join(vol, 'kept.txt'), 'kept\n');
    await backup();
    // the same size and mtime: the next transfer skips it, and its receiver journals nothing of it
    const stored = join(path(), 'current', entry(), 'kept.txt');
    const { atime, mtime } = statSync(stored);
    writeFileSync(stored, 'KEPT\n');
    utimesSync(stored, atime, mtime);
    const id = await backup();
    const { recorded, truth } = await recordAgainstTree(id);
    expect(recorded).toEqual(truth);
    expect(await recordedFrom(id)).toBe('walk');
    rmSync(join(vol, 'kept.txt'));
    await backup();
  });

  it('a same-size rewrite in the same second as the snapshot reaches the next backup', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const SIZE = 64 << 10;
    // backup 1 holds "A", written by the freeze hook just before the snapshot; repeated until the
    // write and the end of the transfer (a dir source is read during it) share a second
    let mtimeMs = 0;
    let readUntil = 0;
    // ms from starting a backup to the hook's write, learned from the try before
    let lead = 0;
    for (let i = 0; i < 8; i++) {
      // each try starts so that the hook writes just after a second begins: backups a second
      // apart kept the write at the same fraction of a second, late enough that every transfer
      // ended in the next one (CI: 8 tries with the write at .81 s)
      const wait = (((1030 - lead - (Date.now() % 1000)) % 1000) + 1000) % 1000;
      await new Promise((r) => setTimeout(r, wait));
      writeFileSync(stage, Buffer.alloc(SIZE, 'A'));
      const started = Date.now();
      const r = await rig.director(['backup', '--json']);
      expect(r.code, r.stderr).toBe(0);
      mtimeMs = statSync(join(vol, 'wal')).mtimeMs;
      lead = mtimeMs - started;
      const times = JSON.parse(readFileSync(join(rig.root, 'src-1', 'run', 'snapshot-times.json'), 'utf8')) as Array<{ backupId: string; toMs: number }>;
      readUntil = times.find((t) => t.backupId === json(r.stdout).backupId)!.toMs;
      if (Math.floor(mtimeMs / 1000) === Math.floor((readUntil + 20) / 1000)) break;
      readUntil = 0;
    }
    expect(readUntil, 'no backup whose write and transfer shared a second in 8 tries').toBeGreaterThan(0);
    writeFileSync(join(vol, 'wal'), Buffer.alloc(SIZE, 'B'));
    const newMtime = (readUntil + 20) / 1000;
    utimesSync(join(vol, 'wal'), newMtime, newMtime);
    expect(Math.floor(statSync(join(vol, 'wal')).mtimeMs / 1000)).toBe(Math.floor(mtimeMs / 1000));
    const id = await backup();
    expect(readFileSync(join(snap(id), entry(), 'wal')).equals(Buffer.alloc(SIZE, 'B'))).toBe(true);
  });

  it('a source that plants x -> outside, then sends x/passwd, writes nothing outside the working tree', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const outsideBefore = treeListing(outside);
    const lsOutside = () => readdirSync(outside).sort();
    // backup 1: links to a folder and to a file outside
    symlinkSync(outside, join(vol, 'x'));
    symlinkSync(join(outside, 'passwd'), join(vol, 'f'));
    const planted = await backup();
    expect(readlinkSync(join(snap(planted), entry(), 'x'))).toBe(outside);
    expect(lstatSync(join(path(), 'current', entry(), 'f')).isSymbolicLink()).toBe(true);
    // backup 2 by the honest sender: x a folder holding passwd, f a file of the link target's size
    rmSync(join(vol, 'x'));
    rmSync(join(vol, 'f'));
    mkdirSync(join(vol, 'x'));
    writeFileSync(join(vol, 'x', 'passwd'), 'evil!!!!\n');
    writeFileSync(join(vol, 'f'), 'evil!!!!\n');
    const followed = await backup();
    expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('original\n');
    expect(lstatSync(join(snap(followed), entry(), 'x')).isDirectory()).toBe(true);
    expect(readFileSync(join(snap(followed), entry(), 'x', 'passwd'), 'utf8')).toBe('evil!!!!\n');
    expect(lstatSync(join(snap(followed), entry(), 'f')).isFile()).toBe(true);
    expect(treeListing(outside)).toEqual(outsideBefore);

    // plant the link again, then a crafted file list: `x/passwd` without `x`, and no deletion
    rmSync(join(vol, 'x'), { recursive: true });
    symlinkSync(outside, join(vol, 'x'));
    await backup();
    const id = '20991231_000000';
    const c = client(rig.pki, 'director', rig.agents.get('tgt')!);
    try {
      const t = (await call(c, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry: entry() })) as { ticket: string; inplace: boolean };
      expect(t.inplace).toBe(true);
      const tree = join(rig.root, 'hostile');
      mkdirSync(tree);
      writeFileSync(join(tree, 'xQpasswd'), 'evil!!!!\n');
      const files = rig.pki.files('src-1');
      const r = await spawnProcess({
        bin: findBinary('rsync'),
        args: ['-aHAX', '--numeric-ids', '--inplace', '--rsh', `${process.execPath} ${HOSTILE_TUNNEL}`, `${tree}/`, 'ff:.'],
        timeoutMs: 30_000,
        okExitCodes: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 20, 23, 24],
        env: {
          FF_TUNNEL_HOST: '127.0.0.1',
          FF_TUNNEL_PORT: String(rig.agents.get('tgt')!.dataPort),
          FF_TUNNEL_TICKET: t.ticket,
          FF_TUNNEL_PEER: 'tgt',
          FF_TUNNEL_DIRECTION: 'backup',
          FF_TLS_CA: files.ca,
          FF_TLS_CERT: files.cert,
          FF_TLS_KEY: files.key,
          FF_HOSTILE_REPLACE: JSON.stringify([['xQpasswd', 'x/passwd']]),
        },
      }).done;
      expect(r.code).not.toBe(0);
      // rsync's receiver refuses a name whose folder is not in the file list
      await waitForLog(rig.agents.get('tgt')!, (l) => l.rpc === 'DataChannel' && l.backup_id === id && /invalid path from sender: x\/passwd/.test(l.err ?? ''));
      expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('original\n');
      expect(lsOutside()).toEqual(['passwd']);
      expect(treeListing(outside)).toEqual(outsideBefore);
      // what the working tree holds is its own business; the target still tags and serves
      await call(c, 'ZfsTag', { backup_id: id, manifest: { backup_id: id, deployment: 'fault', json: '{}' }, entries: [entry()] });
    } finally {
      c.close();
    }
    expect(await isReadOnlySubvolume(snap(id))).toBe(true);
    expect(readFileSync(join(outside, 'passwd'), 'utf8')).toBe('original\n');
    rmSync(join(vol, 'x'));
    rmSync(join(vol, 'f'));
  });

  it('prune deletes the snapshots the retention policy no longer keeps', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const before = (await listed()).map((b) => b.id);
    expect(before.length).toBeGreaterThan(2);
    writeFileSync(rig.inventory, `${readFileSync(rig.inventory, 'utf8')}retention: { last: 2, daily: 0, weekly: 0, monthly: 0 }\n`);
    const p = await rig.director(['prune', '--json']);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    const pruned = (json(p.stdout).pruned as Array<{ id: string }>).map((x) => x.id);
    expect(pruned).toEqual(before.slice(0, -2));
    expect((await listed()).map((b) => b.id)).toEqual(before.slice(-2));
    for (const id of pruned) expect(existsSync(snap(id))).toBe(false);
    const subvols = await btrfs(['subvolume', 'list', fs!.mountPoint]);
    expect(subvols).toMatch(/ path backups\/current$/m);
    for (const id of pruned) expect(subvols).not.toMatch(new RegExp(` path backups/${id}$`, 'm'));
    // the kept ones are whole
    const v = await rig.director(['verify', 'latest', '--json']);
    expect(v.code, v.stdout).toBe(0);
  });
});
