import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, run, silentLogger, type SourceConfig } from '@freezeframe/common';
import { LvmSource } from '@freezeframe/agent/providers/source/lvm.js';
import { lvs, parseLvsJson } from '@freezeframe/agent/tools/lvm.js';
import { isMountPoint } from '@freezeframe/agent/tools/mount.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// The lvm source against real LVM on a loop-file volume group: the only test of freezeframe's
// LVM argv and parsers against the real programs. It needs device-mapper (/dev/mapper/control).
// Where that is missing it does not run and says so in one line: the one test allowed to (in CI
// too; docs/testbed.md lists what therefore never ran against the real tools).

const DM_CONTROL = '/dev/mapper/control';
const noDm = !existsSync(DM_CONTROL);
if (noDm) console.warn(`NOT RUN: test/lvm-real.test.ts: ${DM_CONTROL} does not exist (no device-mapper here), so the lvm source never ran against real LVM on this machine`);
const skip = noDm || needsRoot('lvm source on a loop-file volume group', ['losetup', 'pvcreate', 'vgcreate', 'lvcreate', 'lvs', 'lvremove', 'vgremove', 'pvremove', 'mkfs.ext4', 'mount', 'umount', 'mountpoint']);

describe('lvm source with real LVM', () => {
  const vg = `ffreal${process.pid}`;
  let root = '';
  let loop = '';
  const sh = (prog: string, args: string[]) => run({ bin: findBinary(prog), args, timeoutMs: 120_000 });

  beforeAll(async () => {
    if (skip) return;
    root = mkdtempSync('/tmp/ff-lvm-real-');
    const file = join(root, 'pv.img');
    writeFileSync(file, '');
    await sh('truncate', ['-s', '256M', file]);
    loop = (await sh('losetup', ['--find', '--show', file])).stdout.trim();
    await sh('pvcreate', ['-qq', loop]);
    await sh('vgcreate', ['-qq', vg, loop]);
    await sh('lvcreate', ['-qq', '--yes', '--size', '96M', '--name', 'data', vg]);
    await sh('mkfs.ext4', ['-q', `/dev/${vg}/data`]);
    await sh('mkdir', ['-p', join(root, 'live')]);
    await sh('mount', [`/dev/${vg}/data`, join(root, 'live')]);
    writeFileSync(join(root, 'live', 'a.txt'), 'before\n');
  }, 120_000);

  afterAll(async () => {
    if (skip || !root) return;
    await sh('umount', [join(root, 'live')]).catch(() => undefined);
    await sh('vgremove', ['-qq', '--yes', vg]).catch(() => undefined);
    if (loop) await sh('pvremove', ['-qq', loop]).catch(() => undefined);
    if (loop) await sh('losetup', ['--detach', loop]).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it.skipIf(skip)('snapshots, mounts read-only, lists by backup id, removes; lvs output parses as the samples do', async () => {
    const cfg: Extract<SourceConfig, { kind: 'lvm' }> = { kind: 'lvm', volumeGroup: vg, logicalVolume: 'data', snapshotSize: '32M', mountPoint: join(root, 'live'), snapshotMount: join(root, 'snaps'), fsType: 'ext4' };
    const src = new LvmSource(cfg, silentLogger);
    const checks = await src.checks({ live: true });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    const id = '20240102_030405';
    await src.prepare(id);
    writeFileSync(join(root, 'live', 'a.txt'), 'after\n');
    const path = await src.snapshotPath(id);
    expect(readFileSync(join(path, 'a.txt'), 'utf8')).toBe('before\n');
    expect(() => writeFileSync(join(path, 'x'), 'x')).toThrow(/EROFS/);
    expect(await src.listSnapshots()).toEqual([id]);
    const raw = await sh('lvs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_attr,lv_size,origin,pool_lv,data_percent,vg_free,lv_tags', '--', vg]);
    expect(parseLvsJson(raw.stdout).find((r) => r.origin === 'data')).toMatchObject({ name: `data-ff-${id}`, tags: ['freezeframe'] });
    expect(await src.remove(id)).toBe(true);
    expect(await isMountPoint(join(root, 'snaps', id)).catch(() => false)).toBe(false);
    expect((await lvs(vg, undefined)).map((r) => r.name)).toEqual(['data']);
    expect(await src.remove(id)).toBe(false);
  }, 120_000);
});
