import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountHolding } from '../mountinfo.js';
import { CgroupFreeze } from './freeze/cgroup.js';
import { CommandFreeze } from './freeze/command.js';
import { DockerFreeze } from './freeze/docker.js';
import { BtrfsSource } from './source/btrfs.js';
import { DirSource } from './source/dir.js';
import { DumpSource } from './source/dump.js';
import { DirTarget } from './target/dir.js';
import type { Check } from './checks.js';

// Each provider's checks() against real folders in a temp dir (no root): what passes, and
// that each failure names the config key, the path and the cause.

const failed = (checks: Check[]) => checks.filter((c) => !c.ok && !c.warnOnly).map((c) => c.detail);

describe('provider checks', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-checks-'));
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'file'), 'x');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('dir source: a folder passes; a missing path and a file fail naming source.volume', async () => {
    expect(failed(await new DirSource({ kind: 'dir', volume: join(root, 'data') }, silentLogger).checks())).toEqual([]);
    expect(failed(await new DirSource({ kind: 'dir', volume: join(root, 'nope') }, silentLogger).checks())).toEqual([`source.volume: ${join(root, 'nope')} does not exist`]);
    expect(failed(await new DirSource({ kind: 'dir', volume: join(root, 'file') }, silentLogger).checks())).toEqual([`source.volume: ${join(root, 'file')} is not a folder`]);
  });

  it('dir source, live: adds free space', async () => {
    const checks = await new DirSource({ kind: 'dir', volume: join(root, 'data') }, silentLogger).checks({ live: true });
    expect(checks.map((c) => c.name)).toEqual(['source-volume', 'source-space']);
  });

  it('btrfs source on another file system fails naming the key and the file system found', async () => {
    const m = await mountHolding(root);
    if (m?.fsType === 'btrfs') return; // the temp dir is on btrfs here: nothing to refuse
    const src = new BtrfsSource({ kind: 'btrfs', volume: join(root, 'data'), snapshotMount: join(root, 'snaps') }, silentLogger);
    const f = failed(await src.checks());
    expect(f).toHaveLength(1);
    expect(f[0]).toBe(`source.volume: ${join(root, 'data')} is on ${m!.fsType} (${m!.source} on ${m!.mountPoint}), not btrfs`);
  });

  it('dump source: a missing dump area may be made; a missing program fails naming its dump', async () => {
    const src = new DumpSource(
      { kind: 'dump', volume: join(root, 'dumps'), dumps: [{ name: 'db', argv: ['/nonexistent/pg_dump'], output: 'db.sql', timeout: 1000 }] },
      silentLogger,
    );
    expect(failed(await src.checks())).toEqual(['source.dumps[0].argv[0] (db): /nonexistent/pg_dump does not exist']);
  });

  it('cgroup freeze: every configured group must exist in the hierarchy', async () => {
    // a v2 hierarchy as the kernel shows it: cgroup.controllers at the root, cgroup.freeze per group
    const cg = join(root, 'cgroup');
    mkdirSync(join(cg, 'myapp'), { recursive: true });
    mkdirSync(join(cg, 'system.slice', 'db.service'), { recursive: true });
    writeFileSync(join(cg, 'cgroup.controllers'), '');
    writeFileSync(join(cg, 'myapp', 'cgroup.freeze'), '0\n');
    writeFileSync(join(cg, 'system.slice', 'db.service', 'cgroup.freeze'), '0\n');
    const ok = new CgroupFreeze({ kind: 'cgroup', cgroups: ['myapp'], units: ['db.service'], root: cg, version: 'auto' });
    expect(failed(await ok.checks())).toEqual([]);
    const missing = new CgroupFreeze({ kind: 'cgroup', cgroups: ['myapp', 'gone'], units: ['other.service'], root: cg, version: 'auto' });
    const f = failed(await missing.checks());
    expect(f).toHaveLength(2);
    expect(f[0]).toMatch(/^freeze\.cgroups: gone: cgroup 'gone' does not exist/);
    expect(f[1]).toMatch(/^freeze\.units: other\.service: cgroup 'system\.slice\/other\.service' does not exist/);
    // a missing group is an application down (a restore into it is not refused); no hierarchy is not
    expect((await missing.checks()).filter((c) => !c.ok).map((c) => c.application)).toEqual([true, true]);
    expect((await new CgroupFreeze({ kind: 'cgroup', cgroups: ['myapp'], units: [], root: join(root, 'data'), version: 'auto' }).checks())[0]!.application).toBeUndefined();
    const noHierarchy = new CgroupFreeze({ kind: 'cgroup', cgroups: ['myapp'], units: [], root: join(root, 'data'), version: 'auto' });
    expect(failed(await noHierarchy.checks())).toEqual([`freeze.cgroups: myapp: no cgroup freezer hierarchy is mounted under ${join(root, 'data')}`]);
  });

  it('docker freeze: the socket must exist and be a socket', async () => {
    const f = failed(await new DockerFreeze({ kind: 'docker', socket: join(root, 'docker.sock'), labels: [] }).checks());
    expect(f).toEqual([`freeze.socket: ${join(root, 'docker.sock')} does not exist (is the engine running?)`]);
    expect(failed(await new DockerFreeze({ kind: 'docker', socket: join(root, 'file'), labels: [] }).checks())).toEqual([`freeze.socket: ${join(root, 'file')} is not a socket`]);
  });

  it('command freeze: each hook program must be executable', async () => {
    const f = new CommandFreeze({ kind: 'command', pre: { argv: ['/bin/true'], timeout: 1000 }, post: { argv: [join(root, 'file')], timeout: 1000 } });
    expect(failed(await f.checks())).toEqual([`freeze.post.argv[0]: ${join(root, 'file')} is not executable`]);
  });

  it('dir target: the path must be a folder; its mount options are a warning', async () => {
    const ok = await new DirTarget({ kind: 'dir', path: join(root, 'data') }, silentLogger).checks();
    expect(failed(ok)).toEqual([]);
    expect(ok.map((c) => c.name)).toEqual(['target-path', 'target-mount']);
    expect(ok[1]!.warnOnly).toBe(true);
    expect(failed(await new DirTarget({ kind: 'dir', path: join(root, 'backups') }, silentLogger).checks())).toEqual([`target.path: ${join(root, 'backups')} does not exist`]);
  });
});
