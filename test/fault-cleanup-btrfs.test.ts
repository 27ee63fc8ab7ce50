import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, waitFor, type Rig } from './support/fault-rig.js';
import { createLoopBtrfs, type LoopBtrfs } from './support/loopfs.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// The fault suite's "agent restarted with stale snapshots and mounts" (docs/reliability.md): a btrfs source agent on loopback
// (a real btrfs filesystem on a loop file), a director killed before it could release the
// snapshot, the agent killed -9 and restarted, and one more snapshot an even older crash left.
// `cleanup` must remove both subvolumes for real; a second run must find nothing.

const skip = needsRoot('cleanup of stale btrfs snapshots', ['btrfs', 'mkfs.btrfs', 'losetup', 'rsync']);
const LEASE_MS = 1_000;

describe.skipIf(skip)('cleanup after a crash, on real btrfs', () => {
  let fs: LoopBtrfs | undefined;
  let rig: Rig;
  const vol = () => join(fs!.mountPoint, 'vol');
  const snaps = () => join(fs!.mountPoint, 'snaps');
  const btrfs = async (args: string[]) => (await run({ bin: findBinary('btrfs'), args, timeoutMs: 30_000 })).stdout;
  const subvolumes = async () =>
    (await btrfs(['subvolume', 'list', fs!.mountPoint]))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' path ')[1])
      .sort();
  const cleanup = async (dry = false) => {
    // the killed director's target lock lapses after its lease (3 x the freeze lease)
    let r = await rig.director(['cleanup', '--json', ...(dry ? ['--dry-run'] : [])]);
    await waitFor('the dead run\'s target lock to lapse', async () => {
      if (r.code === 0 || !/locked by/.test(r.stderr)) return true;
      r = await rig.director(['cleanup', '--json', ...(dry ? ['--dry-run'] : [])]);
      return false;
    }, 15_000, 300);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout) as { nodes: { node: string; removed: string[]; problems: string[] }[] };
    return Object.fromEntries(out.nodes.map((n) => [n.node, n]));
  };

  beforeAll(async () => {
    fs = await createLoopBtrfs({ sizeMiB: 160, prefix: 'ff-cleanup-' });
    await btrfs(['subvolume', 'create', join(fs.mountPoint, 'vol')]);
    mkdirSync(join(fs.mountPoint, 'snaps'));
    writeFileSync(join(fs.mountPoint, 'vol', 'app.txt'), 'data\n');
    const mnt = fs.mountPoint;
    rig = await startRig((root) => {
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        { name: 'src-1', roles: `source: { kind: btrfs, volume: ${join(mnt, 'vol')}, snapshotMount: ${join(mnt, 'snaps')} }\n` },
      ];
    }, { lease: `${LEASE_MS}ms`, prefix: 'ff-cleanup-rig-' });
  }, 60_000);

  afterAll(async () => {
    try {
      await rig?.stop();
    } finally {
      await fs?.destroy();
    }
  });

  it('removes the snapshots a crash left on a restarted agent; a second cleanup is a no-op', async () => {
    onTestFailed(() => console.error(rig.logs()));
    // the director dies after the transfer, before tag and release: its snapshot stays
    const r = await rig.director(['backup', '--json'], { FREEZEFRAME_FAILPOINT: 'before-tag' });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const crashed = readdirSync(snaps())[0]!;
    expect(crashed).toMatch(/^\d{8}_\d{6}$/);
    // and another crash's: a read-only snapshot under a backup id nobody will release (made
    // after the run above, whose own start-of-backup cleanup would have removed it)
    const older = '20200101_000000';
    await btrfs(['subvolume', 'snapshot', '-r', vol(), join(snaps(), older)]);
    expect(readdirSync(snaps()).sort()).toEqual([older, crashed].sort());
    // and the agent is killed and restarted: nothing of the run survives in its memory
    await rig.kill9('src-1');
    await rig.start('src-1');
    expect(await subvolumes()).toEqual([`snaps/${crashed}`, `snaps/${older}`, 'vol'].sort());

    const dry = await cleanup(true);
    expect(dry['src-1']!.removed.sort()).toEqual([`snapshot ${crashed}`, `snapshot ${older}`].sort());
    expect(readdirSync(snaps()).length, 'a dry run removes nothing').toBe(2);

    const first = await cleanup();
    expect(first['src-1']!.removed.sort()).toEqual([`snapshot ${crashed}`, `snapshot ${older}`].sort());
    expect(first['src-1']!.problems).toEqual([]);
    expect(await subvolumes(), 'only the volume is left').toEqual(['vol']);
    expect(readdirSync(snaps())).toEqual([]);

    const second = await cleanup();
    for (const n of Object.values(second)) {
      expect(n.removed, `second cleanup on ${n.node}`).toEqual([]);
      expect(n.problems).toEqual([]);
    }
    expect(await subvolumes()).toEqual(['vol']);

    // and the next backup works on the cleaned node
    const again = await rig.director(['backup', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(snaps()), 'released after the backup').toEqual([]);
  });
});
