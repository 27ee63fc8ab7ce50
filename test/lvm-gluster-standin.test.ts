import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryName, isFfError, loadAgentConfig } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { makeStandIns, type StandIns } from './support/standins.js';
import { claim } from './support/claim.js';

await claim();

// The lvm and gluster sources in real agents, driven by the real director CLI, with stand-ins
// for lvs/lvcreate/lvchange/lvremove/gluster/mount/umount/mountpoint (test/support/standins/):
// they check every argument and keep the LVs, snapshots and mounts as folders in a JSON state.
// What this cannot show (device-mapper, a real GlusterFS) is test/lvm-real.test.ts's and
// docs/testbed.md's to say.

const GiB = 2 ** 30;

describe('lvm and gluster sources with stand-in tools', () => {
  let rig: Rig;
  let lvm: StandIns;
  let gl: StandIns;
  let id = '';
  const live = (n: string) => join(rig.root, n, 'live');
  const backups = () => join(rig.root, 'tgt', 'backups');
  const tagged = () => (existsSync(backups()) ? readdirSync(backups()).filter((n) => /^\d{8}_\d{6}/.test(n)).sort() : []);
  const freezeLog = (n: string) => (existsSync(join(rig.root, n, 'freeze.log')) ? readFileSync(join(rig.root, n, 'freeze.log'), 'utf8') : '');
  const attachLogs = () => onTestFailed(() => console.error(rig.logs()));
  const freeze = (n: string, root: string) =>
    `freeze: { kind: command, pre: { argv: [/bin/sh, -c, "echo frozen >> ${join(root, n, 'freeze.log')}"] }, post: { argv: [/bin/sh, -c, "echo thawed >> ${join(root, n, 'freeze.log')}"] } }\n`;

  beforeAll(async () => {
    rig = await startRig(
      (root) => {
        for (const n of ['lvm-1', 'gl-1']) {
          mkdirSync(join(root, n, 'live', 'sub'), { recursive: true });
          writeFileSync(join(root, n, 'live', 'a.txt'), `${n} a\n`);
          writeFileSync(join(root, n, 'live', 'sub', 'b.bin'), Buffer.alloc(5000, n));
        }
        mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
        lvm = makeStandIns(join(root, 'standins-lvm'), {
          vgs: { vg0: { freeBytes: 20 * GiB } },
          lvs: { 'vg0/data': { dir: join(root, 'lvm-1', 'live'), sizeBytes: 10 * GiB, fsType: 'xfs' } },
        });
        gl = makeStandIns(join(root, 'standins-gl'), { gluster: { volumes: { gv0: { dir: join(root, 'gl-1', 'live'), status: 'Started' } }, snaps: {} } });
        return [
          { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
          {
            name: 'lvm-1',
            roles:
              `testStandIns: ${lvm.dir}\n` +
              `source: { kind: lvm, volumeGroup: vg0, logicalVolume: data, snapshotSize: 10%ORIGIN, mountPoint: ${join(root, 'lvm-1', 'live')}, snapshotMount: ${join(root, 'lvm-1', 'snaps')}, fsType: xfs }\n` +
              freeze('lvm-1', root),
          },
          {
            name: 'gl-1',
            roles: `testStandIns: ${gl.dir}\nsource: { kind: gluster, volume: gv0, server: gl1.example, mountPoint: ${join(root, 'gl-1', 'live')}, snapshotMount: ${join(root, 'gl-1', 'snaps')} }\n` + freeze('gl-1', root),
          },
        ];
      },
      { prefix: 'ff-lvmgl-', lease: '10s' },
    );
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('a backup snapshots the LV and the volume, sends the read-only mounts, and removes both snapshots', async () => {
    attachLogs();
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}`).toBe(0);
    id = JSON.parse(b.stdout).backupId;
    expect(tagged()).toEqual([id]);
    for (const [n, volume] of [['lvm-1', 'vg0/data'], ['gl-1', 'gv0']] as const) {
      const stored = join(backups(), id, entryName(n, volume));
      expect(readFileSync(join(stored, 'a.txt'), 'utf8')).toBe(`${n} a\n`);
      expect(readFileSync(join(stored, 'sub', 'b.bin'))).toEqual(Buffer.alloc(5000, n));
      expect(freezeLog(n)).toBe('frozen\nthawed\n');
    }

    // lvm: a classic snapshot of 10% of the origin, tagged, mounted ro,nouuid (XFS), then gone
    expect(lvm.calls('lvcreate')).toEqual([['--snapshot', '--name', `data-ff-${id}`, '--extents', '10%ORIGIN', '--activate', 'y', '--addtag', 'freezeframe', '--', 'vg0/data']]);
    expect(lvm.calls('mount')).toEqual([['-t', 'xfs', '-o', 'ro,nouuid', '--', `/dev/vg0/data-ff-${id}`, join(rig.root, 'lvm-1', 'snaps', id)]]);
    expect(lvm.calls('lvremove')).toEqual([['--yes', '--', `vg0/data-ff-${id}`]]);
    const ls = lvm.state();
    expect(Object.keys(ls.lvs)).toEqual(['vg0/data']);
    expect(ls.vgs.vg0!.freeBytes).toBe(20 * GiB);
    expect(ls.mounts).toEqual({});
    expect(existsSync(join(rig.root, 'lvm-1', 'snaps', id))).toBe(false);

    // gluster: create (no timestamp in the name), activate, mount read-only, deactivate, delete
    const g = gl.calls('gluster').map((a) => a.slice(2).join(' '));
    expect(g).toEqual(expect.arrayContaining([`snapshot create gv0-ff-${id} gv0 no-timestamp`, `snapshot activate gv0-ff-${id}`, `snapshot deactivate gv0-ff-${id}`, `snapshot delete gv0-ff-${id}`]));
    expect(g.indexOf(`snapshot deactivate gv0-ff-${id}`)).toBeLessThan(g.indexOf(`snapshot delete gv0-ff-${id}`));
    expect(gl.calls('mount')).toEqual([['-t', 'glusterfs', '-o', 'ro', '--', `gl1.example:/snaps/gv0-ff-${id}/gv0`, join(rig.root, 'gl-1', 'snaps', id)]]);
    expect(gl.state().gluster.snaps).toEqual({});
    expect(gl.state().mounts).toEqual({});
  }, 120_000);

  it('restore writes the backup back into the mounted LV and the mounted volume', async () => {
    attachLogs();
    for (const n of ['lvm-1', 'gl-1']) {
      writeFileSync(join(live(n), 'a.txt'), 'changed after the backup\n');
      writeFileSync(join(live(n), 'new.txt'), 'new\n');
    }
    const r = await rig.director(['restore', id, '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backupId: id });
    for (const n of ['lvm-1', 'gl-1']) {
      expect(readFileSync(join(live(n), 'a.txt'), 'utf8')).toBe(`${n} a\n`);
      expect(existsSync(join(live(n), 'new.txt'))).toBe(false);
    }
  }, 120_000);

  it('a failed lvcreate fails the backup, thaws, tags nothing and leaves no snapshot on either node', async () => {
    attachLogs();
    const before = tagged();
    const logBefore = freezeLog('lvm-1');
    lvm.update((s) => (s.fail.lvcreate = '  Volume group "vg0" has insufficient free space (12 extents): 2560 required.'));
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}`).not.toBe(0);
    expect(b.stderr + b.stdout).toMatch(/lvm-1.*insufficient free space/s);
    expect(tagged()).toEqual(before);
    expect(freezeLog('lvm-1').slice(logBefore.length)).toBe('frozen\nthawed\n');
    expect(freezeLog('gl-1').endsWith('thawed\n')).toBe(true);
    expect(Object.keys(lvm.state().lvs)).toEqual(['vg0/data']);
    expect(lvm.state().mounts).toEqual({});
    // the gluster node's snapshot (if it was taken before the lvm one failed) is released too
    const c = await rig.director(['cleanup', '--json']);
    expect(c.code, `${c.stdout}\n${c.stderr}`).toBe(0);
    expect(gl.state().gluster.snaps).toEqual({});
    expect(gl.state().mounts).toEqual({});
  }, 120_000);

  it('cleanup finds a leftover snapshot by the backup id in its name and removes it', async () => {
    attachLogs();
    const leftover = '20240101_000000';
    lvm.update((s) => {
      s.lvs[`vg0/data-ff-${leftover}`] = { dir: join(rig.root, 'standins-lvm', 'lv-left'), sizeBytes: GiB, origin: 'data', active: true, tags: ['freezeframe'], reserved: 0 };
      s.lvs['vg0/other-ff-20240101_000000'] = { dir: join(rig.root, 'standins-lvm', 'lv-other'), sizeBytes: GiB, origin: 'other', active: true, reserved: 0 };
      s.lvs['vg0/other'] = { dir: join(rig.root, 'standins-lvm', 'other'), sizeBytes: GiB };
    });
    const c = await rig.director(['cleanup', '--json']);
    expect(c.code, `${c.stdout}\n${c.stderr}`).toBe(0);
    expect(c.stdout).toContain(`snapshot ${leftover}`);
    // only snapshots of the configured LV are ours
    expect(Object.keys(lvm.state().lvs).sort()).toEqual(['vg0/data', 'vg0/other', 'vg0/other-ff-20240101_000000']);
  }, 60_000);

  it('Health reports the volume group, the LV, the snapshot space and the GlusterFS volume', async () => {
    attachLogs();
    const h = await rig.director(['health', '--json']);
    expect(h.code, `${h.stdout}\n${h.stderr}`).toBe(0);
    const text = h.stdout;
    expect(text).toContain('source.logicalVolume: vg0/data, classic');
    expect(text).toMatch(/source\.snapshotSize: 10%ORIGIN \(1\.00 GiB\) fits in 20\.0 GiB free in vg0/);
    expect(text).toContain('source.volume: GlusterFS volume gv0 (Replicate, 2 bricks) is started');
  }, 60_000);

  it('hostile config values are refused naming the field', () => {
    const base = (src: string, extra = '') => {
      const f = join(rig.root, `hostile-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(f, `name: n1\nlisten: 127.0.0.1:0\ntls: { ca: a, cert: b, key: c }\nauthorizedDirectors: [director]\nrunDir: /tmp/x\nsource: ${src}\n${extra}`);
      return f;
    };
    const refused = (src: string, key: string, extra = '') => {
      try {
        loadAgentConfig(base(src, extra));
      } catch (e) {
        expect(isFfError(e, 'CONFIG_INVALID'), String(e)).toBe(true);
        expect((e as Error).message).toContain(key);
        return;
      }
      throw new Error(`accepted: ${src}`);
    };
    const flow = (o: Record<string, string>) => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
    const lv = (over: string) => {
      const [k, v] = over.split(/: (.*)/s) as [string, string];
      return flow({ kind: 'lvm', volumeGroup: 'vg0', logicalVolume: 'data', snapshotSize: '2G', mountPoint: '/srv/data', snapshotMount: '/var/lib/ff/snaps', [k]: v });
    };
    refused(lv('volumeGroup: "-vg"'), 'source.volumeGroup');
    refused(lv('volumeGroup: "vg/../x"'), 'source.volumeGroup');
    refused(lv('logicalVolume: "a..b"'), 'source.logicalVolume');
    refused(lv('logicalVolume: "data@+x"'), 'source.logicalVolume');
    refused(lv('logicalVolume: "da\\0ta"'), 'source.logicalVolume');
    refused(lv('logicalVolume: "-data"'), 'source.logicalVolume');
    refused(lv('logicalVolume: "data_tmeta"'), 'source.logicalVolume');
    refused(lv('logicalVolume: snapshot1'), 'source.logicalVolume');
    refused(lv('snapshotSize: "2G; rm -rf /"'), 'source.snapshotSize');
    refused(lv('snapshotSize: "500%ORIGIN"'), 'source.snapshotSize');
    refused(lv('snapshotMount: /var/../etc'), 'source.snapshotMount');
    refused(lv('fsType: "xfs,exec"'), 'source.fsType');
    const g = (over: string) => {
      const [k, v] = over.split(/: (.*)/s) as [string, string];
      return flow({ kind: 'gluster', volume: 'gv0', mountPoint: '/mnt/gv0', snapshotMount: '/var/lib/ff/gsnaps', [k]: v });
    };
    refused(g('volume: "gv0@+x"'), 'source.volume');
    refused(g('volume: "../gv0"'), 'source.volume');
    refused(g('volume: "-gv0"'), 'source.volume');
    refused(g('volume: "g\\0v"'), 'source.volume');
    refused(g('server: "-oexec"'), 'source.server');
    refused(g('server: "host:/x"'), 'source.server');
    // the stand-in folder is for tests on loopback: never on an agent others can reach
    const f = base(lv('fsType: xfs'), 'testStandIns: /tmp/standins\n');
    writeFileSync(join(rig.root, 'exposed.yaml'), readFileSync(f, 'utf8').replace('listen: 127.0.0.1:0', 'listen: 0.0.0.0:7400'));
    expect(() => loadAgentConfig(join(rig.root, 'exposed.yaml'))).toThrow(/testStandIns: allowed only with a loopback listen address \(listen is 0\.0\.0\.0:7400\)/);
  });
});
