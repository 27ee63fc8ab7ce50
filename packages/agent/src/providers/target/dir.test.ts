import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    expect(await receive('20240101_000000', src)).toEqual([]);
    expect(await target.list()).toEqual([]); // not tagged yet: invisible
    const t = await target.tag('20240101_000000', '{"backup_id":"20240101_000000"}', [E]);
    expect(t.snapshot).toBe(join(dir, 'backups', '20240101_000000'));

    writeFileSync(join(src, 'changes'), 'version 2'); // another size: rsync's quick check sees it
    const opts = await receive('20240102_000000', src);
    expect(opts).toEqual([`--link-dest=${join(dir, 'backups', '20240101_000000', E)}`]);
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
});
