import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@freezeframe/common';
import { afterAll, describe, expect, it } from 'vitest';
import { removeCgroupDir } from './support/cgroup.js';
import { loopDevicesUnder, mountsUnder, removeMountsUnder } from './support/loopfs.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('machine');

// The benchmark's smoke run: every measurement works end to end on small data. It asserts the
// shape of the results, never a speed (CI machines are too noisy for that).
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'ff-bench-quick-'));
const FREEZER = '/sys/fs/cgroup/freezer';

/** Processes whose command line names `path` (the bench's agents, writers and tools all do). */
function running(path: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(path)) pids.push(Number(d));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

describe.skipIf(needsRoot('the benchmark (loop mounts, btrfs, zfs-fuse, cgroup freezer)', ['btrfs', 'mkfs.btrfs', 'mkfs.ext4', 'losetup', 'zpool', 'zfs-fuse', 'rsync', 'perl']))('pnpm bench --quick', () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures everything and writes latest.json and latest.md with every field', async () => {
    // asynchronous: a minute-long spawnSync would block the test worker past vitest's RPC timeout
    const r = await run({ bin: process.execPath, args: ['bench/run.mjs', '--quick', '--out', out], cwd: repo, timeoutMs: 240_000, okExitCodes: [0, 1, 2] });
    expect(r.code, `bench exited ${r.code}:\n${r.stderr.slice(-4000)}`).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
    expect(res.errors).toEqual([]);
    expect(res.machine).toMatchObject({ cores: expect.any(Number), memoryGiB: expect.any(Number), kernel: expect.any(String), cpu: expect.any(String) });
    expect(res.versions).toMatchObject({ node: process.version, rsync: expect.stringMatching(/^\d/), zfsFuse: expect.any(String) });

    expect(res.freezeWindow.length).toBeGreaterThanOrEqual(2);
    for (const w of res.freezeWindow) {
      expect(w).toMatchObject({ sources: expect.any(Number), nodes: expect.any(Number), windowMs: expect.any(Number), slowestSnapshotMs: expect.any(Number), rawAtOnceMs: expect.any(Number) });
      expect(w.windowMs).toBeGreaterThan(0);
      expect(w.slowestSnapshotMs).toBeGreaterThan(0);
      // the machine's CPU while the window's phases ran, against what the cores could give
      expect(w.windowPhasesCpu.runs).toHaveLength(w.window.n);
      for (const c of w.windowPhasesCpu.runs) {
        expect(c.wallMs).toBeGreaterThan(0);
        expect(c.machineMs).toBeGreaterThan(c.directorMs);
        expect(c.share).toBeCloseTo(c.machineMs / (res.machine.cores * c.wallMs), 1);
      }
      expect(w.rawAtOnceCpuShare).toBeGreaterThan(0);
    }
    for (const set of ['large', 'small']) {
      expect(res.transfer[set].ratio).toBeGreaterThan(0);
      expect(res.transfer[set].raw.ms.n).toBeGreaterThanOrEqual(1);
      expect(res.transfer[set].freezeframe.ms.n).toBe(res.transfer[set].raw.ms.n);
    }
    // the N sources as one node with N volumes, beside N nodes
    expect(res.freezeWindow.some((w: { nodes: number; sources: number }) => w.nodes === 1 && w.sources > 1)).toBe(true);
    for (const set of ['large', 'small']) {
      expect(res.transfer[set].rawFlags.ms.n).toBe(res.transfer[set].raw.ms.n);
      // the encrypted byte path alone, paired with the rest
      expect(res.transfer[set].rawFlagsTls.ms.n).toBe(res.transfer[set].raw.ms.n);
      expect(res.transfer[set].ratioToTls).toBeGreaterThan(0);
      expect(res.transfer[set].rawFlagsTlsSparse.ms.n).toBe(res.transfer[set].raw.ms.n);
      expect(res.transfer[set].ratioToTlsSparse).toBeGreaterThan(0);
    }
    expect(res.incremental.ratio).toBeGreaterThan(0);
    expect(res.incremental.dirRatio).toBeGreaterThan(0);
    expect(res.incremental.btrfs.freezeframe.ms.n).toBe(res.incremental.btrfs.raw.ms.n);
    expect(res.incremental.btrfs.rawFlags.ms.n).toBe(res.incremental.btrfs.raw.ms.n);
    expect(res.incremental.btrfs.leaveOut.ms.n).toBe(res.incremental.btrfs.raw.ms.n);
    expect(res.incremental.leaveOutRatio).toBeGreaterThan(0);
    expect(res.restore.dir.ratio).toBeGreaterThan(0);
    expect(res.restore.freezeframe.verify).toMatch(/files re-read, chosen at random; read-only snapshot unchanged/);
    expect(res.restore.rawFlagsBtrfs.ms.n).toBe(res.restore.raw.ms.n);
    expect(res.restore.rawFlagsBtrfsTls.ms.n).toBe(res.restore.raw.ms.n);
    expect(res.restore.ratioToTls).toBeGreaterThan(0);
    expect(res.restore.rawFlagsBtrfsTlsReceiver.ms.n).toBe(res.restore.raw.ms.n);
    expect(res.restore.ratioToTlsReceiver).toBeGreaterThan(0);
    expect(res.restore.cpuMs.rawFlagsBtrfsTlsReceiver.median).toBeGreaterThan(0);
    for (const k of ['machine', 'director', 'sourceChildren', 'targetNode', 'targetChildren']) expect(res.restore.cpuMs.freezeframe[k].median, k).toBeGreaterThan(0);
    expect(res.incremental.changedFiles).toBeGreaterThan(0);
    // where a backup's CPU went, and how fast the machine was while the row ran
    const cpu = res.incremental.btrfs.cpuMs;
    expect(cpu.rawFlagsTls.median).toBeGreaterThan(0);
    for (const k of ['machine', 'director', 'sourceNode', 'targetNode', 'targetChildren']) expect(cpu.freezeframe[k].median, k).toBeGreaterThan(0);
    expect(cpu.freezeframe.machine.median).toBeGreaterThanOrEqual(cpu.freezeframe.targetChildren.median);
    expect(res.incremental.btrfs.cpuProbeMs.child.median).toBeGreaterThan(0);
    expect(res.incremental.btrfs.cpuProbeMs.own.median).toBeGreaterThan(0);
    // page faults: a backup's agents, rsync and stunnel touch pages; the probe prices one
    expect(res.machine.freshPageUs).toBeGreaterThan(0);
    expect(res.incremental.btrfs.cpuProbeMs.pageUs.median).toBeGreaterThan(0);
    for (const v of [res.incremental.btrfs.pageFaults.rawFlagsTls, res.incremental.btrfs.pageFaults.freezeframe, res.restore.pageFaults.rawFlagsBtrfsTlsReceiver, res.restore.pageFaults.freezeframe]) {
      expect(v.median).toBeGreaterThan(100);
    }
    expect(res.restore.ratio).toBeGreaterThan(0);
    expect(res.scale).toMatchObject({ agents: 10, freezePhaseMs: expect.any(Number), directorRssMb: expect.any(Number), agentIdleRssMb: expect.any(Number) });
    expect(res.scale.directorRssMb).toBeGreaterThan(0);
    expect(res.scale.agentIdleRssMb).toBeGreaterThan(0);
    // the packaged agent: its own pages and node's code both counted
    expect(res.scale.packagedAgentIdle).toMatchObject({ agents: 10, anonMb: expect.any(Number), fileMb: expect.any(Number) });
    expect(res.scale.packagedAgentIdle.anonMb).toBeGreaterThan(0);
    expect(res.scale.packagedAgentIdle.fileMb).toBeGreaterThan(0);
    expect(res.scale.packagedAgentIdleRssMb).toBeCloseTo(res.scale.packagedAgentIdle.rss.median, 5);
    expect(typeof res.scale.met.packagedAgentIdleRssMb).toBe('boolean');
    expect(res.scale.simulated).toMatchObject({ nodes: 100, freezePhaseMs: expect.any(Number), directorRssMb: expect.any(Number) });
    expect(res.scale.simulated.freezePhaseMs).toBeGreaterThan(0);
    for (const c of [res.scale.controlCpu, res.scale.simulated.controlCpu]) {
      expect(c.runs).toHaveLength(res.scale.freezePhase.n);
      expect(c.machineMs).toBeGreaterThan(0);
      expect(c.share).toBeGreaterThan(0);
    }
    expect(res.storage.zfsOverDir).toBeGreaterThan(0);

    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    for (const h of ['Freeze window', 'Full transfer', 'Incremental', 'Restore', 'Scale', 'Storage cost']) expect(md).toContain(h);
    expect(md).toMatch(/CPU in preflight, freeze, snapshot and thaw \(medians per backup\): \d+ ms of \d+ x \d+ ms \(\d+%\), director \d+ ms/);
    expect(md).toMatch(/CPU \(median ms, both cores\): the encrypted rsync \d+; freezeframe's backup \d+/);
    expect(md).toMatch(/Page faults \(whole machine, median per rep\): the encrypted rsync \d+, freezeframe's backup \d+; at [\d.]+ µs a page the difference is ~-?\d+ ms of CPU/);
    expect(md).toMatch(/\| large \| .* \| \d+ ms \(.*\) \(\d\.\d+\) \| \d+ ms .* \| \d\.\d+ \| \d\.\d+ \| /);
    expect(md).toContain('| the same through stunnel on both ends (the encrypted byte path alone) |');
    expect(md).toContain("| idle agent RSS, the package's (the single executable; median of 10) |");
    expect(md).toMatch(/\| btrfs, the source with `leaveOut: \[acls, xattrs\]` \| the same \| \d+ ms .* \| \d\.\d+ \| not a goal/);
    expect(md).toContain("| the same with the options a restore's receiver adds (`--sparse --ignore-times`) |");
    expect(md).toMatch(/CPU \(median ms, both cores\): the encrypted rsync with the receiver's options \d+; freezeframe's restore from the btrfs target \d+/);
  }, 300_000);

  it('stopped by SIGINT mid-run, leaves nothing running, frozen or mounted, and writes no results', async () => {
    const stopped = join(out, 'stopped');
    const bench = spawn(process.execPath, ['bench/run.mjs', '--quick', '--only', 'freeze', '--out', stopped], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
    const groups = () => readdirSync(FREEZER).filter((n) => n.startsWith(`ffbench-${bench.pid}-`));
    let log = '';
    let scratch = '';
    try {
      // the first measured rep: the writers run in their cgroups, the agents are up, btrfs is mounted
      await new Promise<void>((resolve, reject) => {
        bench.stderr.on('data', (b: Buffer) => {
          log += b.toString();
          if (/freeze N=1 on 1 node rep 1/.test(log)) resolve();
        });
        bench.on('exit', (code) => reject(new Error(`the bench ended (${code}) before its first rep:\n${log.slice(-4000)}`)));
      });
      scratch = /scratch (\S+)/.exec(log)![1]!;
      expect(groups().length).toBeGreaterThan(0);
      expect(running(scratch).length).toBeGreaterThan(0);
      const code = await new Promise<number | null>((resolve) => {
        bench.once('exit', (c) => resolve(c));
        bench.kill('SIGINT');
      });
      expect(code, log.slice(-4000)).toBe(130);
      expect(existsSync(join(stopped, 'latest.json'))).toBe(false);
      expect(existsSync(scratch)).toBe(false);
      expect(groups()).toEqual([]);
      expect(running(scratch)).toEqual([]);
      expect(mountsUnder(scratch)).toEqual([]);
      // a lazily unmounted file system's loop device goes once its last user has ended
      await expect.poll(() => loopDevicesUnder(scratch), { timeout: 20_000 }).toEqual([]);
    } finally {
      // what a failed run of this test left
      for (const pid of scratch ? running(scratch) : []) process.kill(pid, 'SIGKILL');
      for (const g of groups()) {
        writeFileSync(join(FREEZER, g, 'freezer.state'), 'THAWED');
        for (const pid of readFileSync(join(FREEZER, g, 'tasks'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
        await removeCgroupDir(join(FREEZER, g));
      }
      if (bench.exitCode === null) bench.kill('SIGKILL');
      if (scratch) {
        await removeMountsUnder(scratch);
        rmSync(scratch, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it('takes repetitions per measurement, and names the measurements when one is unknown', async () => {
    const r = await run({ bin: process.execPath, args: ['bench/run.mjs', '--reps', 'incremental=4,bogus=1', '--out', join(out, 'never')], cwd: repo, timeoutMs: 30_000, okExitCodes: [0, 1, 2] });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('--reps: bogus=1: expected one of transfer, storage, incremental, restore, freeze, scale');
  });
});
