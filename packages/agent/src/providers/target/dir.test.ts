import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run, silentLogger } from '@freezeframe/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirTarget } from './dir.js';

const E = 'src-1@+data';

describe('DirTarget', () => {
  let dir: string;
  let target: DirTarget;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ff-dirtarget-'));
    target = new DirTarget({ kind: 'dir', path: join(dir, 'backups') }, silentLogger);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What the data channel does on the receiver, with the options prepareReceive decided. */
  async function receive(backupId: string, from: string) {
    const { path, rsyncOptions } = await target.prepareReceive(backupId, E);
    await run({ bin: findBinary('rsync'), args: ['-aH', '--delete', ...rsyncOptions, `${from}/`, `${path}/`], timeoutMs: 30_000 });
    return rsyncOptions;
  }

  it('receives into .partial, tags atomically, lists, and hard-links the next backup', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'same'), 'unchanged');
    writeFileSync(join(src, 'changes'), 'v1');

    expect(await target.list()).toEqual([]);
    expect(await receive('20240101_000000', src)).toEqual(['--munge-links']);
    expect(await target.list()).toEqual([]); // not tagged yet: invisible
    const t = await target.tag('20240101_000000', '{"backup_id":"20240101_000000"}', [E]);
    expect(t.snapshot).toBe(join(dir, 'backups', '20240101_000000'));

    writeFileSync(join(src, 'changes'), 'version 2'); // another size: rsync's quick check sees it
    const opts = await receive('20240102_000000', src);
    expect(opts).toEqual(['--munge-links', `--link-dest=${join(dir, 'backups', '20240101_000000', E)}`]);
    await target.tag('20240102_000000', '{}', [E]);

    const ino = (id: string, f: string) => statSync(join(dir, 'backups', id, E, f)).ino;
    expect(ino('20240102_000000', 'same')).toBe(ino('20240101_000000', 'same'));
    expect(ino('20240102_000000', 'changes')).not.toBe(ino('20240101_000000', 'changes'));

    const list = await target.list();
    expect(list.map((b) => b.backupId)).toEqual(['20240101_000000', '20240102_000000']);
    expect(list[0]).toMatchObject({ entries: [E], manifestJson: '{"backup_id":"20240101_000000"}' });
    expect(list[1]!.usedBytes).toBeGreaterThan(0);

    expect(await target.activate('20240102_000000')).toEqual({ root: join(dir, 'backups', '20240102_000000'), entries: [E] });
    expect(await target.deactivate()).toBe(false);
    expect(await target.freeBytes()).toBeGreaterThan(0);
  });

  it('a hard-link group of the previous backup is copied, not linked; a backup whose tag found no hard link is not read for groups', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), 'shared');
    linkSync(join(src, 'a'), join(src, 'b'));
    const tagAs = async (id: string, sharedNames: number | undefined) => {
      await receive(id, src);
      const root = join(dir, 'backups', '.partial', id);
      // the record and count the tag RPC writes (checksums.ts), by hand
      const ino = statSync(join(root, E, 'a')).ino;
      mkdirSync(join(root, '.freezeframe'), { recursive: true });
      writeFileSync(join(root, '.freezeframe', 'checksums.jsonl'), ['a', 'b'].map((n) => JSON.stringify({ p: `${E}/${n}`, s: 6, m: 0, h: 'x', i: ino })).join('\n') + '\n');
      await target.tag(id, '{}', [E], { usedBytes: 6, ...(sharedNames !== undefined ? { sharedNames } : {}) });
    };
    const nextHas = async (next: string) => {
      await target.prepareReceive(next, E);
      return existsSync(join(dir, 'backups', '.partial', next, E, 'b'));
    };
    await tagAs('20240101_000000', undefined);
    expect(await nextHas('20240102_000000')).toBe(true);
    rmSync(join(dir, 'backups', '.partial'), { recursive: true });
    // a count of 0 (wrong here, on purpose) spares reading the record: nothing is copied
    await tagAs('20240103_000000', 0);
    expect(await nextHas('20240104_000000')).toBe(false);
  });

  it('target.browse: a link to the newest backup, swapped by rename; a folder of the operator\'s there is refused and left alone', async () => {
    const at = join(dir, 'view', 'latest');
    const t = new DirTarget({ kind: 'dir', path: join(dir, 'backups'), browse: at }, silentLogger);
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'one');
    for (const id of ['20240101_000000', '20240102_000000']) {
      const { path } = await t.prepareReceive(id, E);
      await run({ bin: findBinary('rsync'), args: ['-a', `${src}/`, `${path}/`], timeoutMs: 30_000 });
      await t.tag(id, '{}', [E]);
      expect(await t.showLatest(id)).toBe(at);
      expect(readlinkSync(at)).toBe(join(dir, 'backups', id));
    }
    expect(readFileSync(join(at, E, 'f'), 'utf8')).toBe('one');
    const health = async () => (await t.checks({ live: true })).find((c) => c.name === 'target-browse');
    expect(await health()).toMatchObject({ ok: true, warnOnly: true });
    // an older backup shown: a warning until the next backup
    symlinkSync(join(dir, 'backups', '20240101_000000'), `${at}.x`);
    renameSync(`${at}.x`, at);
    expect(await health()).toMatchObject({ ok: false, detail: expect.stringContaining('not to the newest backup') });
    rmSync(at);
    mkdirSync(at);
    writeFileSync(join(at, 'mine'), 'the operator\'s');
    await expect(t.showLatest('20240102_000000')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', details: { field: 'target.browse' } });
    expect(readFileSync(join(at, 'mine'), 'utf8')).toBe('the operator\'s');
    expect(await health()).toMatchObject({ ok: false, detail: expect.stringContaining('is not a symbolic link') });
    // without target.browse nothing is shown
    expect(await target.showLatest('20240102_000000')).toBeUndefined();
  });

  it('refuses to tag an incomplete or already tagged backup', async () => {
    await expect(target.tag('20240101_000000', '{}', [E])).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await target.prepareReceive('20240101_000000', E);
    await expect(target.tag('20240101_000000', '{}', [E, 'src-2@+data'])).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('src-2@+data not received'),
    });
    await target.tag('20240101_000000', '{}', [E]);
    await expect(target.tag('20240101_000000', '{}', [E])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(target.prepareReceive('20240101_000000', E)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(target.activate('20240109_000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
  it('deletes a backup: the others keep their shared (hard-linked) files; idempotent', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'ro'), { recursive: true });
    writeFileSync(join(src, 'same'), 'unchanged');
    writeFileSync(join(src, 'ro', 'f'), 'in a read-only folder');
    chmodSync(join(src, 'ro'), 0o555);
    await receive('20240101_000000', src);
    await target.tag('20240101_000000', '{}', [E]);
    await receive('20240102_000000', src);
    await target.tag('20240102_000000', '{}', [E]);
    const kept = join(dir, 'backups', '20240102_000000', E);
    expect(statSync(join(kept, 'same')).nlink).toBe(2);

    expect(await target.destroy('20240101_000000')).toBe(true);
    expect(existsSync(join(dir, 'backups', '20240101_000000'))).toBe(false);
    expect((await target.list()).map((b) => b.backupId)).toEqual(['20240102_000000']);
    expect(readFileSync(join(kept, 'same'), 'utf8')).toBe('unchanged');
    expect(readFileSync(join(kept, 'ro', 'f'), 'utf8')).toBe('in a read-only folder');
    expect(statSync(join(kept, 'same')).nlink).toBe(1);
    expect(statSync(join(kept, 'ro')).mode & 0o777).toBe(0o555); // the kept backup's modes are untouched
    expect(await target.destroy('20240101_000000')).toBe(false);
    await expect(target.destroy('../x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    chmodSync(join(src, 'ro'), 0o755);
  });

  it('finishes a deletion that crashed half-way (never listed, removed by cleanup or the next delete)', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), 'a');
    await receive('20240101_000000', src);
    await target.tag('20240101_000000', '{}', [E]);
    // what a crash between the rename and the removal leaves
    mkdirSync(join(dir, 'backups', '.deleting'));
    renameSync(join(dir, 'backups', '20240101_000000'), join(dir, 'backups', '.deleting', '20240101_000000'));
    expect(await target.list()).toEqual([]);
    expect(await target.cleanup(new Set(), true)).toEqual(['half-deleted backup 20240101_000000']);
    expect(existsSync(join(dir, 'backups', '.deleting', '20240101_000000'))).toBe(true);
    expect(await target.cleanup(new Set(), false)).toEqual(['half-deleted backup 20240101_000000']);
    expect(existsSync(join(dir, 'backups', '.deleting', '20240101_000000'))).toBe(false);
    expect(await target.cleanup(new Set(), false)).toEqual([]);
  });

  it('lists the used bytes recorded at tag time; an older backup without the record is walked once', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), Buffer.alloc(64 << 10, 1));
    await receive('20240101_000000', src);
    await target.tag('20240101_000000', '{}', [E]);
    await receive('20240102_000000', src);
    await target.tag('20240102_000000', '{}', [E], { usedBytes: 4096 });
    expect(await target.previousRoot('20240102_000000')).toBe(join(dir, 'backups', '20240101_000000'));
    expect(await target.previousRoot('20240101_000000')).toBeUndefined();

    const [first, second] = await target.list();
    expect(second!.usedBytes).toBe(4096);
    // no record: walked, and the result kept for the next listing
    // its data file is shared with the second backup: only its own manifest counts
    expect(first!.usedBytes).toBeLessThan(64 << 10);
    const usage = join(dir, 'backups', '20240101_000000', '.freezeframe', 'usage.json');
    expect(JSON.parse(readFileSync(usage, 'utf8'))).toEqual({ usedBytes: first!.usedBytes });
    writeFileSync(usage, '{"usedBytes":77}');
    expect((await target.list())[0]!.usedBytes).toBe(77);
    expect((await target.list())[0]!.entries).toEqual([E]);
  });
});
