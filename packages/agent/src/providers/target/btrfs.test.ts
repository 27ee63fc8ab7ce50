import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@freezeframe/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BtrfsTarget } from './btrfs.js';

// What needs no btrfs (this runs as any user on any file system); the real thing is in
// test/btrfs-target.test.ts, on a btrfs loop filesystem.

describe('BtrfsTarget off btrfs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ff-btrfstarget-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('nothing stored yet: no backups, nothing to activate or delete', async () => {
    const t = new BtrfsTarget({ kind: 'btrfs', path: join(dir, 'missing') }, silentLogger);
    expect(await t.list()).toEqual([]);
    await expect(t.activate('20240101_000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.destroy('20240101_000000')).toBe(false);
    expect(await t.deactivate()).toBe(false);
    await expect(t.activate('../x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a folder named like a backup is not one', async () => {
    mkdirSync(join(dir, 'backups', '20240101_000000'), { recursive: true });
    const t = new BtrfsTarget({ kind: 'btrfs', path: join(dir, 'backups') }, silentLogger);
    expect(await t.list()).toEqual([]);
    expect(await t.destroy('20240101_000000')).toBe(false);
  });

  it('refuses to receive where the path is not on btrfs; checks say so, naming the key', async () => {
    const t = new BtrfsTarget({ kind: 'btrfs', path: join(dir, 'backups') }, silentLogger);
    // a machine whose /tmp is btrfs would make this a different test
    const onBtrfs = (await t.checks()).find((c) => c.name === 'target-path')!.ok;
    if (onBtrfs) return;
    await expect(t.prepareReceive('20240101_000000', 'src-1@+data')).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: `target.path ${join(dir, 'backups')} is not on a btrfs file system`,
    });
    const checks = await t.checks({ live: true });
    expect(checks.map((c) => c.name)).toEqual(['target-path', 'target-mount']);
    expect(checks[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/^target\.path: .* is on .*, not btrfs$/) });
  });
});
