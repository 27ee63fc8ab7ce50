// Measurement 1: the freeze window (first pause to last thaw, as the engine records it) of a
// whole backup with N btrfs sources whose writers run in freezer cgroups, against the same N
// `btrfs subvolume snapshot -r` taken at once (and the slowest single one) in the same run; the
// N sources as N nodes and, for the largest N, as one node with N volumes.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '@freezeframe/director/engine/backup.js';
import { makeCerts, startAgents, writeInventory } from '../lib/agents.mjs';
import { loopFs } from '../lib/fs.mjs';
import { nextDate } from '../lib/ids.mjs';
import { cpuShare, exec, findBinary, log, machineBusyMs, phaseCpu, phaseCpuStats, round, sleep, spawnProcess, stats, undoList } from '../lib/util.mjs';

const FREEZER = '/sys/fs/cgroup/freezer';

// a running writer: 4 KiB appends every 2 ms, file kept under 1 MiB
const WRITER = 'open(my $f, ">>", $ARGV[0]) or die "$ARGV[0]: $!"; select((select($f), $| = 1)[0]); while (1) { print $f "x" x 4096; truncate($f, 0) if tell($f) > 1048576; select(undef, undef, undef, 0.002); }';

async function startWriter(group, file) {
  const dir = join(FREEZER, group);
  mkdirSync(dir, { recursive: true });
  const proc = spawnProcess({ bin: findBinary('perl'), args: ['-e', WRITER, file], timeoutMs: 6 * 3600_000, okExitCodes: [0, -1, 137, 143] });
  proc.done.catch(() => {});
  writeFileSync(join(dir, 'cgroup.procs'), String(proc.child.pid));
  return {
    group,
    stop: async () => {
      // a frozen process cannot die: thaw first
      try {
        writeFileSync(join(dir, 'freezer.state'), 'THAWED');
      } catch {}
      proc.kill('SIGKILL');
      await proc.done.catch(() => {});
      for (let i = 0; i < 50 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await sleep(20);
        }
      }
    },
  };
}

export async function runFreeze(cfg, work, results) {
  if (!existsSync(FREEZER)) throw new Error(`${FREEZER} missing: the freeze benchmark needs the cgroup v1 freezer`);
  const maxN = Math.max(...cfg.freezeSources);
  const cleanup = undoList();
  try {
    const fs = await loopFs(join(work, 'btrfs'), { kind: 'btrfs', sizeGiB: 2 });
    cleanup.push(() => fs.destroy());
    const names = [];
    const writers = [];
    cleanup.push(async () => {
      for (const w of writers) await w.stop();
    });
    for (let i = 0; i < maxN; i++) {
      const vol = join(fs.mnt, `vol-${i}`);
      await exec('btrfs', ['subvolume', 'create', vol]);
      for (let k = 0; k < 20; k++) writeFileSync(join(vol, `data-${k}`), `source ${i} file ${k}\n`.repeat(100));
      writers.push(await startWriter(`ffbench-${process.pid}-${i}`, join(vol, 'app.log')));
      names.push(`fsrc-${i}`);
    }
    const pki = join(work, 'pki-freeze');
    await makeCerts(pki, [...names, 'ftgt', 'fmulti']);
    mkdirSync(join(fs.mnt, 'target'));
    const specs = [
      { name: 'ftgt', extra: { target: { kind: 'dir', path: join(fs.mnt, 'target') } } },
      ...names.map((name, i) => ({
        name,
        extra: {
          source: { kind: 'btrfs', volume: join(fs.mnt, `vol-${i}`), snapshotMount: join(fs.mnt, `snaps-${i}`) },
          freeze: { kind: 'cgroup', cgroups: [writers[i].group], version: 'v1' },
        },
      })),
    ];
    // the same N volumes as N nodes (an agent each, on this one machine: the control plane's
    // fan-out on 2 cores) and as one node with N volumes (sources[]: how N subvolumes of one
    // file system are backed up in practice)
    specs.push({
      name: 'fmulti',
      extra: {
        sources: names.map((_, i) => ({ name: `v${i}`, kind: 'btrfs', volume: join(fs.mnt, `vol-${i}`), snapshotMount: join(fs.mnt, `msnaps-${i}`) })),
        freeze: { kind: 'cgroup', cgroups: writers.map((w) => w.group), version: 'v1' },
      },
    });
    const root = join(work, 'freeze');
    const agents = await startAgents(root, pki, specs, cleanup);
    const byName = new Map(agents.map((a) => [a.name, a]));

    results.freezeWindow = [];
    const layouts = [
      ...cfg.freezeSources.map((n) => ({ n, nodes: n, members: names.slice(0, n) })),
      // one node holds all maxN volumes: only that N
      { n: maxN, nodes: 1, members: ['fmulti'] },
    ];
    for (const { n, nodes, members: memberNames } of layouts) {
      const members = [byName.get('ftgt'), ...memberNames.map((x) => byName.get(x))];
      const { inv } = writeInventory(root, pki, members, { concurrency: 4, name: `inventory-${n}-${nodes}.yaml` });
      const windows = [];
      const slowest = [];
      const parallel = [];
      const phaseRuns = [];
      // the window's phases bound by CPU on this machine's cores, or not (lib/util.mjs phaseCpu)
      const cpu = phaseCpu(['freeze', 'snapshot', 'thaw']);
      const cpuRuns = [];
      const rawShares = [];
      for (let r = 0; r < cfg.reps.freeze; r++) {
        const order = r % 2 === 0 ? ['raw', 'ff'] : ['ff', 'raw'];
        for (const which of order) {
          if (which === 'raw') {
            let max = 0;
            for (let i = 0; i < n; i++) {
              const snap = join(fs.mnt, `raw-snap-${i}`);
              const res = await exec('btrfs', ['subvolume', 'snapshot', '-r', join(fs.mnt, `vol-${i}`), snap]);
              max = Math.max(max, res.durationMs);
            }
            for (let i = 0; i < n; i++) await exec('btrfs', ['subvolume', 'delete', join(fs.mnt, `raw-snap-${i}`)]);
            slowest.push(max);
            // the same N snapshots at once, as the snapshot phase takes them: btrfs serializes their commits on one filesystem
            const t0 = performance.now();
            const busy0 = machineBusyMs();
            await Promise.all(names.slice(0, n).map((_, i) => exec('btrfs', ['subvolume', 'snapshot', '-r', join(fs.mnt, `vol-${i}`), join(fs.mnt, `raw-psnap-${i}`)])));
            const atOnceMs = performance.now() - t0;
            parallel.push(round(atOnceMs));
            rawShares.push(cpuShare(machineBusyMs() - busy0, atOnceMs));
            for (let i = 0; i < n; i++) await exec('btrfs', ['subvolume', 'delete', join(fs.mnt, `raw-psnap-${i}`)]);
          } else {
            const res = await backup(inv, { label: `freeze-${n}`, now: nextDate(), onEvent: cpu.onEvent });
            cpuRuns.push(cpu.take());
            const fw = res.record.freezeWindow;
            if (!fw) throw new Error(`backup ${res.backupId} recorded no freeze window`);
            windows.push(fw.durationMs);
            phaseRuns.push(Object.fromEntries(res.record.phases.map((p) => [p.phase, p.durationMs ?? 0])));
          }
        }
        log(`  freeze N=${n} on ${nodes} node${nodes === 1 ? '' : 's'} rep ${r + 1}: window ${windows.at(-1)} ms (cores ${Math.round(cpuRuns.at(-1).share * 100)}% busy in freeze, snapshot and thaw), slowest snapshot ${slowest.at(-1)} ms, ${n} at once ${parallel.at(-1)} ms (cores ${Math.round(rawShares.at(-1) * 100)}% busy)`);
      }
      const w = stats(windows);
      const s = stats(slowest);
      const phases = {};
      for (const k of ['preflight', 'freeze', 'snapshot', 'thaw']) phases[k] = stats(phaseRuns.map((p) => p[k] ?? 0)).median;
      const row = {
        sources: n,
        nodes,
        windowMs: w.median,
        slowestSnapshotMs: s.median,
        window: w,
        slowestSnapshot: s,
        parallelSnapshotsMs: stats(parallel).median,
        parallelSnapshots: stats(parallel),
        phasesMedianMs: phases,
        windowPhasesCpu: phaseCpuStats(cpuRuns),
        // the kernel's own part: how busy the cores were while the N raw snapshots ran at once
        rawAtOnceCpuShare: stats(rawShares).median,
        overSlowestSnapshotMs: round(w.median - s.median),
      };
      row.rawAtOnceMs = row.parallelSnapshotsMs;
      if (n === 20 || n === maxN) {
        row.goal = 'window <= N raw snapshots at once + 25 ms (at N = 20)';
        row.met = w.median <= row.rawAtOnceMs + 25;
      }
      results.freezeWindow.push(row);
    }
    // writers must still be running (thawed) after all this
    for (const w of writers) {
      const st = readFileSync(join(FREEZER, w.group, 'freezer.state'), 'utf8').trim();
      if (st !== 'THAWED') throw new Error(`cgroup ${w.group} left ${st} after the backups`);
    }
  } finally {
    await cleanup.run();
  }
}
