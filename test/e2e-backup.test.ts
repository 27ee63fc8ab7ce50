import { readdirSync, readFileSync } from 'node:fs';
import { open, rm, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary, run } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed, type CliResult } from './support/bed.js';
import { needsRoot } from './support/privileges.js';
import { treeListing } from './support/treesum.js';
import { claim } from './support/claim.js';

await claim('cgroup', 'docker', 'zfs');

// End-to-end through the director CLI on a multi-host bed (test/support/bed.ts): three btrfs
// sources in their own agent containers (src-a frozen through Docker, src-b through its app's
// cgroup, src-c not frozen), a ZFS target in its own container, and two app containers that
// keep writing in lockstep into src-a and src-b while the backups run.

const skip = needsRoot('multi-host bed', ['dockerd', 'btrfs', 'zfs-fuse']);

function describeRun(r: CliResult, bed: Bed): string {
  return `exit ${r.code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}\n${bed.agentLogs()}`;
}

/** What these tests read of the director's JSON (its shapes: packages/director/src/engine). */
interface TransferView {
  entry: string;
  filesTotal: number;
  filesTransferred: number;
  bytesTotal: number;
  bytesTransferred: number;
}
interface RunRecordView {
  kind: 'backup' | 'restore';
  backupId: string;
  result: 'running' | 'ok' | 'failed';
  error?: { code: string; message: string; node?: string };
  phases: { phase: string; ok?: boolean }[];
  freezeWindow?: { durationMs: number; hosts: string[] };
  transfers: Record<string, TransferView>;
  snapshot?: string;
  restored?: string[];
}
interface BackupListingView {
  id: string;
  entries: string[];
  manifest: unknown;
  complete: boolean;
}

/** `backup --json` and `restore --json` print the engine's result, which holds the run record. */
function recordOf(r: CliResult): RunRecordView {
  const rec = (r.json as { record?: RunRecordView } | undefined)?.record;
  if (!rec) throw new Error(`no run record in the JSON output: ${r.stdout.slice(0, 500)}`);
  return rec;
}

function backupsOf(r: CliResult): BackupListingView[] {
  const list = (r.json as { backups?: BackupListingView[] } | undefined)?.backups;
  if (!Array.isArray(list)) throw new Error(`list --json printed no backups: ${r.stdout.slice(0, 500)}`);
  return list;
}

async function sh(bin: string, args: string[]): Promise<string> {
  return (await run({ bin: findBinary(bin), args, timeoutMs: 30_000 })).stdout.trim();
}

/**
 * Samples the v1 freezer state of containers every millisecond while a command runs: Docker's
 * pause and the cgroup freeze both end up there, so this sees whether they were frozen at all,
 * and whether at some instant all of them were frozen at once.
 */
function watchFreezers(ids: string[]) {
  const seen = ids.map(() => new Set<string>());
  let allFrozen = false;
  const timer = setInterval(() => {
    const states = ids.map((id) => readFileSync(`/sys/fs/cgroup/freezer/docker/${id}/freezer.state`, 'utf8').trim());
    states.forEach((st, i) => seen[i]!.add(st));
    if (states.every((st) => st === 'FROZEN')) allFrozen = true;
  }, 1);
  return () => {
    clearInterval(timer);
    return { seen: seen.map((s) => [...s].sort()), allFrozen };
  };
}

describe.skipIf(skip)('multi-host backup and restore through the director CLI', () => {
  let bed: Bed;
  const ids: string[] = [];
  /** The static sample trees as they were before the first backup. */
  const sampleBefore = new Map<string, string[]>();

  const backup = async (): Promise<{ id: string; rec: RunRecordView }> => {
    const r = await bed.cli(['backup', '--json']);
    expect(r.code, describeRun(r, bed)).toBe(0);
    const rec = recordOf(r);
    const id = rec.backupId;
    expect(id).toMatch(/^[0-9]{8}_[0-9]{6}/);
    ids.push(id);
    return { id, rec };
  };

  const zfsSnapshots = async () =>
    (await bed.zfs(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-r', bed.target.dataset])).split('\n').filter(Boolean);

  const counter = (root: string) => Number(readFileSync(join(root, 'app', 'counter'), 'utf8'));

  /** No snapshot of any backup left on any source: only the volume itself is a subvolume. */
  const expectNoSourceSnapshots = async () => {
    for (const s of bed.sources) {
      expect(readdirSync(join(s.mount, 'snaps')), `snapshots left on ${s.name}`).toEqual([]);
      const subvols = (await sh('btrfs', ['subvolume', 'list', s.mount])).split('\n').filter(Boolean);
      expect(subvols.map((l) => l.split(' path ')[1]), `subvolumes on ${s.name}`).toEqual(['vol']);
    }
  };

  /** Every app runs: the Docker-paused one is unpaused, the cgroup-frozen one THAWED, both write. */
  const expectAllThawed = async () => {
    for (const s of bed.sources) {
      if (!s.app) continue;
      const state = await bed.docker(['inspect', '-f', '{{.State.Running}} {{.State.Paused}}', s.app.id]);
      expect(state, `app of ${s.name}`).toBe('true false');
      const freezer = readFileSync(`/sys/fs/cgroup/freezer/docker/${s.app.id}/freezer.state`, 'utf8').trim();
      expect(freezer, `freezer of ${s.name}'s app`).toBe('THAWED');
      expect(readFileSync(`/sys/fs/cgroup/unified/docker/${s.app.id}/cgroup.freeze`, 'utf8').trim(), `cgroup v2 freeze of ${s.name}'s app`).toBe('0');
    }
    const a = bed.source('src-a').volume;
    const before = counter(a);
    await sleep(300);
    expect(counter(a), 'the lockstep writers move again').toBeGreaterThan(before);
  };

  beforeAll(async () => {
    bed = await startBed({
      sources: [
        { name: 'src-a', freeze: 'docker', writer: 'leader' },
        { name: 'src-b', freeze: 'cgroup', writer: 'follower' },
        { name: 'src-c', freeze: 'none' },
      ],
    });
    for (const s of bed.sources) sampleBefore.set(s.name, treeListing(join(s.volume, 'sample')));
  });

  afterAll(async () => {
    await bed?.stop();
  });

  it('brings up agents that the host reaches at their container addresses', async () => {
    for (const n of [bed.target, ...bed.sources]) {
      await new Promise<void>((resolve, reject) => {
        const c = connect(7450, n.ip, () => {
          c.destroy();
          resolve();
        });
        c.on('error', (e) => reject(new Error(`${n.name} at ${n.ip}:7450: ${e.message}`)));
      });
    }
    const r = await bed.cli(['health', '--json']);
    expect(r.code, describeRun(r, bed)).toBe(0);
  });

  it('backs up three btrfs sources, frozen through Docker and the cgroup freezer, into a tagged ZFS snapshot', async () => {
    const apps = [bed.source('src-a').app!.id, bed.source('src-b').app!.id];
    const stopWatching = watchFreezers(apps);
    const { id, rec } = await backup();
    const watched = stopWatching();
    expect(watched.seen[0], 'src-a app (docker pause)').toContain('FROZEN');
    expect(watched.seen[1], 'src-b app (cgroup freezer)').toContain('FROZEN');
    expect(watched.allFrozen, 'both apps frozen at the same time').toBe(true);

    expect(await zfsSnapshots()).toContain(`${bed.target.dataset}@${id}`);
    expect(rec.result).toBe('ok');
    expect(rec.snapshot).toBe(`${bed.target.dataset}@${id}`);
    expect(rec.freezeWindow?.hosts?.sort()).toEqual(['src-a', 'src-b']);
    expect(rec.freezeWindow?.durationMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(rec.transfers).sort()).toEqual(['src-a', 'src-b', 'src-c']);

    await bed.withBackup(id, (root) => {
      expect(readdirSync(root).filter((n) => !n.startsWith('.')).sort()).toEqual(['src-a@+data+vol', 'src-b@+data+vol', 'src-c@+data+vol']);
      // the manifest lives in the tagged tree itself, so a copy of the pool alone can be understood
      const inTree = JSON.parse(readFileSync(join(root, '.freezeframe', 'manifest.json'), 'utf8')) as unknown;
      for (const s of [id, 'src-a@+data+vol', 'src-b@+data+vol', 'src-c@+data+vol']) expect(JSON.stringify(inTree)).toContain(s);
      for (const s of bed.sources) {
        expect(s.entry).toBe(`${s.name}@+data+vol`);
        expect(treeListing(join(root, s.entry, 'sample')), `sample tree of ${s.name} in the backup`).toEqual(sampleBefore.get(s.name));
      }
    });

    const prop = await bed.zfs(['zfs', 'get', '-H', '-o', 'value', 'freezeframe:manifest', `${bed.target.dataset}@${id}`]);
    expect(Buffer.from(prop, 'base64').toString('utf8'), 'manifest as a user property of the ZFS snapshot').toContain(id);

    const shown = await bed.cli(['show', id, '--json']);
    expect(shown.code, describeRun(shown, bed)).toBe(0);
    const listed = await bed.cli(['list', '--json']);
    expect(listed.code, describeRun(listed, bed)).toBe(0);
    const entry = backupsOf(listed).find((b) => b.id === id);
    expect(entry, `backup ${id} in list --json`).toBeDefined();
    expect([...entry!.entries].sort()).toEqual(['src-a@+data+vol', 'src-b@+data+vol', 'src-c@+data+vol']);
    // the manifest travels with the ZFS snapshot and names the backup and every source
    const manifest = JSON.stringify(entry!.manifest);
    for (const s of [id, 'src-a', 'src-b', 'src-c']) expect(manifest).toContain(s);

    await expectNoSourceSnapshots();
    await expectAllThawed();
  });

  it('backs up again, transferring only what changed, and lists both backups', async () => {
    const a = bed.source('src-a');
    const b = bed.source('src-b');
    // 4 KiB in the middle of a 2 MiB file, and one new small file
    const fh = await open(join(a.volume, 'sample/big.bin'), 'r+');
    await fh.write(Buffer.alloc(4096, 0x5a), 0, 4096, 1 << 20);
    await fh.close();
    await writeFile(join(b.volume, 'sample/new.txt'), 'added between backups\n');
    await sleep(1100); // backup ids have one-second resolution

    const { id, rec } = await backup();
    const t = rec.transfers;
    expect(t['src-a']!.bytesTotal).toBeGreaterThan(2 << 20);
    expect(t['src-a']!.bytesTransferred, 'delta transfer of the changed 2 MiB file').toBeLessThan(256 << 10);
    expect(t['src-b']!.bytesTransferred).toBeLessThan(256 << 10);
    expect(t['src-c']!.filesTransferred, 'nothing changed on src-c').toBe(0);
    expect(t['src-c']!.bytesTransferred).toBe(0);

    // in-place writes: the incremental ZFS stream holds about the change, not the whole file again
    const stream = Number(
      await bed.docker(['exec', bed.target.container, 'sh', '-c', `zfs send -i ${bed.target.dataset}@${ids[0]} ${bed.target.dataset}@${id} | wc -c`]),
    );
    expect(stream, 'zfs send -i between the two backups (bytes)').toBeGreaterThan(4096);
    expect(stream, 'zfs send -i between the two backups (bytes)').toBeLessThan(1 << 20);

    const listed = await bed.cli(['list', '--json']);
    expect(listed.code, describeRun(listed, bed)).toBe(0);
    const listedIds = backupsOf(listed).map((b) => b.id);
    expect(listedIds).toEqual(expect.arrayContaining(ids.slice(0, 2)));

    const shown = await bed.cli(['show', id, '--json']);
    expect(shown.code, describeRun(shown, bed)).toBe(0);
    expect(shown.stdout).toContain('bytesTransferred');
    await expectNoSourceSnapshots();
  });

  it('restores the first backup into wiped sources: contents, modes, owners, times, symlinks, hard links', async () => {
    const first = ids[0]!;
    // the restore writes into the live volumes: the apps must not write meanwhile
    await bed.stopApps();
    try {
      const expected = new Map<string, string[]>();
      await bed.withBackup(first, (root) => {
        for (const s of bed.sources) expected.set(s.name, treeListing(join(root, s.entry)));
      });
      for (const s of bed.sources) {
        for (const name of readdirSync(s.volume)) await rm(join(s.volume, name), { recursive: true, force: true });
        // a fresh root time, so the check sees the restore set it back
        await utimes(s.volume, new Date(), new Date());
      }

      const r = await bed.cli(['restore', first, '--json'], { timeoutMs: 120_000 });
      expect(r.code, describeRun(r, bed)).toBe(0);
      expect(recordOf(r).restored?.sort()).toEqual(['src-a', 'src-b', 'src-c']);

      for (const s of bed.sources) {
        expect(treeListing(s.volume), `restored tree of ${s.name}`).toEqual(expected.get(s.name));
        expect(treeListing(join(s.volume, 'sample')), `sample tree of ${s.name} after restore`).toEqual(sampleBefore.get(s.name));
      }
    } finally {
      await bed.startApps();
    }
  });

  it('keeps hosts consistent with each other: the follower is never ahead of the leader in any backup', async () => {
    await sleep(300);
    // without the freeze about one backup in three shows the follower ahead (measured): 5 backups in all
    for (let i = 0; i < 3; i++) {
      await sleep(1100);
      await backup();
    }
    const a = bed.source('src-a');
    const b = bed.source('src-b');
    for (const id of ids) {
      await bed.withBackup(id, (root) => {
        const leader = counter(join(root, a.entry));
        const follower = counter(join(root, b.entry));
        expect(leader, `leader counter in ${id}`).toBeGreaterThan(0);
        expect(leader - follower, `backup ${id}: leader ${leader}, follower ${follower}`).toBeGreaterThanOrEqual(0);
        expect(leader - follower, `backup ${id}: leader ${leader}, follower ${follower}`).toBeLessThanOrEqual(1);
      });
    }
  });

  it('thaws every node, removes every snapshot and tags nothing when one node cannot snapshot', async () => {
    const b = bed.source('src-b');
    const tagged = await zfsSnapshots();
    // an immutable snapshot folder: Health still sees the filesystem, the snapshot itself fails
    await sh('chattr', ['+i', join(b.mount, 'snaps')]);
    let r: CliResult;
    try {
      await sleep(1100);
      r = await bed.cli(['backup', '--json']);
    } finally {
      await sh('chattr', ['-i', join(b.mount, 'snaps')]);
    }
    expect(r.code, describeRun(r, bed)).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toContain('src-b');
    expect((r.json as { ok?: boolean }).ok).toBe(false);
    expect(JSON.stringify(r.json)).toContain('src-b');
    // the run record is written whatever the outcome
    const runs = readdirSync(join(bed.stateDir, 'runs')).filter((f) => f.endsWith('.json') && !ids.some((id) => f === `${id}.json`) && !f.startsWith('restore'));
    expect(runs, 'the failed run left one record').toHaveLength(1);
    const rec = JSON.parse(readFileSync(join(bed.stateDir, 'runs', runs[0]!), 'utf8')) as RunRecordView;
    expect(rec.result).toBe('failed');
    const phases = rec.phases.map((p) => `${p.phase}:${p.ok}`);
    expect(phases, 'failed in the snapshot phase, after the freeze').toEqual(expect.arrayContaining(['freeze:true', 'snapshot:false', 'thaw:true']));
    expect(JSON.stringify(rec.error)).toContain('src-b');

    await expectAllThawed();
    await expectNoSourceSnapshots();
    expect(await zfsSnapshots(), 'nothing tagged on the target').toEqual(tagged);
    const health = await bed.cli(['health', '--json']);
    expect(health.code, describeRun(health, bed)).toBe(0);
    expect(health.stdout).not.toMatch(/"frozen":\s*\[\s*"/);
  });
});
