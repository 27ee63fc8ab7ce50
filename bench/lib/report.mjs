// latest.md from the results object: machine, versions, command, then one table per measurement.
const f = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : String(x ?? '-'));
const ms = (s) => (s ? `${f(s.median)} ms (${f(s.min)}–${f(s.max)}, ±${f(s.spreadPct / 2, 0)}%, n=${s.n})` : '-');
/** The machine's CPU in some phases against what its cores could give in that time (phaseCpu). */
const cpuShare = (c, cores) => (c ? `${f(c.machineMs)} ms of ${cores} x ${f(c.wallMs)} ms (${f(c.share * 100)}%), director ${f(c.directorMs)} ms` : '-');
/** The probe's cost of a fresh page, when the run measured it. */
const pageCost = (probe) => (probe?.pageUs ? `; a page touched for the first time ${f(probe.pageUs.median, 1)} µs` : '');
/** Page faults of two steps of one row, and what the difference cost at the probe's price per page. */
const faultsLine = (rawName, raw, ffName, ff, probe) =>
  `Page faults (whole machine, median per rep): ${rawName} ${f(raw.median)}, ${ffName} ${f(ff.median)}${probe?.pageUs ? `; at ${f(probe.pageUs.median, 1)} µs a page the difference is ~${f(((ff.median - raw.median) * probe.pageUs.median) / 1000)} ms of CPU` : ''}.`;
const met = (m, ok, by) => (m === undefined ? '-' : ok ? 'met' : `not met (${by})`);

export function renderMarkdown(r) {
  const L = [];
  L.push(`# freezeframe benchmark (${r.kind})`, '');
  L.push(`Run ${r.startedAt}, ${r.durationS} s. Command: \`${r.command}\`.`, '');
  L.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, kernel ${r.machine.kernel}, load at start ${r.machine.loadavgAtStart}${r.machine.freshPageUs ? `, a page touched for the first time ${f(r.machine.freshPageUs, 1)} µs` : ''}.`);
  L.push(`Versions: freezeframe ${r.versions.freezeframe} (${r.versions.commit}), node ${r.versions.node}, rsync ${r.versions.rsync}, zfs-fuse ${r.versions.zfsFuse}, btrfs-progs ${r.versions.btrfsProgs}.`, '');
  L.push('Times are medians of paired runs (raw tool and freezeframe alternating A B B A ... in the same run); (min–max, ±half the spread relative to the median, n runs).', '');
  if (r.errors?.length) {
    L.push('## Errors', '');
    for (const e of r.errors) L.push(`- ${e.section}: ${e.message}`);
    L.push('');
  }
  if (r.freezeWindow) {
    L.push('## 1. Freeze window (btrfs sources, cgroup-frozen writers)', '', 'Goal: window <= the same N raw snapshots taken at once + 25 ms, at N = 20 (btrfs serializes snapshot commits on one filesystem: that column is what the kernel itself needs).', '');
    L.push('| sources | nodes | freeze window | slowest raw snapshot | N raw snapshots at once | window − N at once | preflight / freeze / snapshot / thaw phases (ms) | CPU in freeze, snapshot and thaw: the machine\'s, of what its cores could give | goal |', '|---|---|---|---|---|---|---|---|---|');
    for (const w of r.freezeWindow) {
      const p = w.phasesMedianMs;
      L.push(`| ${w.sources} | ${w.nodes ?? w.sources}${w.nodes === 1 && w.sources > 1 ? ` (${w.sources} volumes)` : ''} | ${ms(w.window)} | ${ms(w.slowestSnapshot)} | ${w.parallelSnapshots ? ms(w.parallelSnapshots) : '-'}${w.rawAtOnceCpuShare !== undefined ? `, cores ${f(w.rawAtOnceCpuShare * 100)}% busy` : ''} | ${f(w.windowMs - (w.rawAtOnceMs ?? w.parallelSnapshotsMs))} ms | ${f(p.preflight)} / ${f(p.freeze)} / ${f(p.snapshot)} / ${f(p.thaw)} | ${cpuShare(w.windowPhasesCpu, r.machine.cores)} | ${met(w.goal, w.met, `${f(w.windowMs - (w.rawAtOnceMs ?? w.parallelSnapshotsMs) - 25)} ms over`)} |`);
    }
    L.push('', 'The CPU column (medians per backup) counts every process and kernel thread of the machine while those phases ran; near 100% they are bound by the CPU of these cores, not by waiting.', '');
  }
  if (r.transfer) {
    L.push('## 2. Full transfer: data channel vs rsync daemon on loopback', '', 'Goals: freezeframe throughput >= 0.9 of raw for large files, >= 0.95 for small files. Fresh ext4 loop filesystem; dir source -> dir target (PerformRsync between two agents) vs `rsync -a` to an rsync daemon.', '');
    L.push('| set | data | raw rsync | raw with freezeframe\'s flags (ratio) | the same through stunnel on both ends (ratio) | and with the receiver\'s options (ratio) | freezeframe | raw | freezeframe | ratio | freezeframe / through stunnel | freezeframe / with the receiver\'s options | goal |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [k, t] of Object.entries(r.transfer)) {
      const rate = (x) => (k === 'small' ? `${f(x.filesPerS)} files/s, ${f(x.mbPerS)} MB/s` : `${f(x.mbPerS)} MB/s`);
      L.push(`| ${k} | ${t.files} files, ${f(t.bytes / 1e6)} MB | ${ms(t.raw.ms)} | ${t.rawFlags ? `${ms(t.rawFlags.ms)} (${f(t.rawFlags.ratio, 3)})` : '-'} | ${t.rawFlagsTls ? `${ms(t.rawFlagsTls.ms)} (${f(t.rawFlagsTls.ratio, 3)})` : '-'} | ${t.rawFlagsTlsSparse ? `${ms(t.rawFlagsTlsSparse.ms)} (${f(t.rawFlagsTlsSparse.ratio, 3)})` : '-'} | ${ms(t.freezeframe.ms)} | ${rate(t.raw)} | ${rate(t.freezeframe)} | ${f(t.ratio, 3)} | ${t.ratioToTls !== undefined ? f(t.ratioToTls, 3) : '-'} | ${t.ratioToTlsSparse !== undefined ? f(t.ratioToTlsSparse, 3) : '-'} | ${met(t.goal, t.met, `${f((Number(String(t.goal).replace(/[^0-9.]/g, '')) - t.ratio) * 100, 1)} points short`)} |`);
    }
    L.push('', 'The stunnel column is the encrypted byte path alone (mutual TLS as the native byte path carries it, without agents, tickets or records): what a transfer that keeps the security model\'s encryption cannot skip on these cores. The next column adds the options every freezeframe receiver gives its rsync (`--sparse`: holes stay holes; rsync 3.5 looks for runs of zeros a byte at a time in everything it writes). "freezeframe / ..." is that column\'s time divided by freezeframe\'s.', '');
  }
  if (r.incremental) {
    const i = r.incremental;
    const phases = (x) => Object.entries(x).map(([k, v]) => `${k} ${f(v)}`).join(', ');
    L.push('## 3. Incremental backup (1% of the small files changed)', '', 'Goals: the whole freezeframe backup (all phases) into the btrfs target <= 1.3x a plain `rsync -a` of the same change into the previous copy; into the dir target <= 1.2x `rsync -a --link-dest` (what its hard-linked trees cost).', '');
    L.push('| target | raw | freezeframe backup, all phases | ratio | goal |', '|---|---|---|---|---|');
    if (i.btrfs) L.push(`| btrfs | \`rsync -a\` into the previous copy: ${ms(i.btrfs.raw.ms)} (then \`btrfs subvolume snapshot -r\`: ${ms(i.btrfs.rawSnapshot.ms)}; with freezeframe's flags: ${ms(i.btrfs.rawFlags?.ms)}) | ${ms(i.btrfs.freezeframe.ms)} | ${f(i.ratio, 3)} | ${met(i.goal, i.met, `${f(i.ratio / 1.3, 2)}x the goal`)} |`);
    if (i.leaveOutRatio !== undefined) L.push(`| btrfs, the source with \`leaveOut: [acls, xattrs]\` | the same | ${ms(i.btrfs.leaveOut.ms)} | ${f(i.leaveOutRatio, 3)} | not a goal: the goal measures the default, which keeps both |`);
    if (i.dirRatio !== undefined) L.push(`| dir | \`rsync -a --link-dest\` into a new folder: ${ms(i.rawLinkDest.ms)} (with freezeframe's flags: ${ms(i.rawLinkDestFlags?.ms)}) | ${ms(i.freezeframe.ms)} | ${f(i.dirRatio, 3)} | ${met(i.dirGoal, i.dirMet, `${f(i.dirRatio / 1.2, 2)}x the goal`)} |`);
    L.push('', `freezeframe's flags: \`-aHAX --numeric-ids --delete\` (hard links, ACLs, xattrs), as its transfers give rsync; the raw rows with them are the same rsync work without TLS, agents or checksums.`);
    if (i.btrfs?.floor) L.push('', `The floor (per rep, what a backup that records every file's checksum by listing every file cannot skip; the btrfs target's record of an incremental backup lists only what its receivers journaled, so it can go below it): btrfs target: rsync with freezeframe's flags + \`btrfs subvolume snapshot -r\` + one \`find\` listing of every file (${ms(i.btrfs.rawList.ms)}) = ${ms(i.btrfs.floor.ms)}, ${f(i.btrfs.floor.ms.median / i.btrfs.raw.ms.median, 2)}x raw \`rsync -a\`; freezeframe is **${f(i.btrfs.overFloor, 2)}x the floor**. Dir target: \`--link-dest\` with freezeframe's flags + one listing of the new tree (${ms(i.rawListLinkDest.ms)}) = ${ms(i.floor.ms)}, ${f(i.floor.ms.median / i.rawLinkDest.ms.median, 2)}x raw \`--link-dest\`; freezeframe is **${f(i.dirOverFloor, 2)}x the floor**.`);
    if (i.btrfs?.tlsFloor) L.push('', `The encrypted floor (per rep): rsync with freezeframe's flags through stunnel on both ends to the daemon (mutual TLS, the native byte path without agents: ${ms(i.btrfs.rawFlagsTls.ms)}) + \`btrfs subvolume snapshot -r\` = ${ms(i.btrfs.tlsFloor.ms)}, **${f(i.btrfs.tlsFloorRatio, 2)}x raw \`rsync -a\`** (the goal is 1.3x); freezeframe is ${f(i.btrfs.overTlsFloor, 2)}x it.`);
    const c = i.btrfs?.cpuMs;
    if (c?.freezeframe?.machine) {
      const med = (k) => Math.round(c.freezeframe[k].median);
      L.push('', `CPU (median ms, both cores): the encrypted rsync ${Math.round(c.rawFlagsTls.median)}; freezeframe's backup ${med('machine')}, of it the source agent ${med('sourceNode')} + its rsync and stunnel ${med('sourceChildren')}, the target agent ${med('targetNode')} + its rsync, stunnel and btrfs ${med('targetChildren')}, the director ${med('director')}.`);
      if (i.btrfs.cpuProbeMs) L.push('', `CPU probe before each rep (the same fixed work; ${Math.round(i.btrfs.cpuProbeMs.child.median)} ms in a fresh process, ${Math.round(i.btrfs.cpuProbeMs.own.median)} ms in the bench process${pageCost(i.btrfs.cpuProbeMs)}): how fast the machine was while this row ran.`);
      if (i.btrfs.pageFaults) L.push('', faultsLine('the encrypted rsync', i.btrfs.pageFaults.rawFlagsTls, "freezeframe's backup", i.btrfs.pageFaults.freezeframe, i.btrfs.cpuProbeMs));
    }
    L.push('', `Changed ${i.changedFiles} of ${i.files} files. Raw \`rsync -a\` into the previous copy on the ext4 source filesystem: ${ms(i.raw.ms)} (the dir target is ${f(i.dirOverRaw ?? i.ratio, 2)}x that).`);
    if (i.btrfs) L.push('', `Phases (median ms), btrfs target: ${phases(i.btrfs.freezeframe.phasesMedianMs)}. First full backup ${f(i.btrfs.firstFullBackupMs)} ms, first raw copy ${f(i.btrfs.firstRawCopyMs)} ms.`);
    L.push('', `Phases (median ms), dir target: ${phases(i.freezeframe.phasesMedianMs)}. First full backup ${f(i.firstFullBackupMs)} ms, first raw copy ${f(i.firstRawCopyMs)} ms.`, '');
  }
  if (r.restore) {
    const x = r.restore;
    const phases = (p) => Object.entries(p).map(([k, v]) => `${k} ${f(v)}`).join(', ');
    L.push('## 4. Restore of the small-file set', '', 'Goal: >= 0.9 of raw throughput. freezeframe `restore` (all phases, its integrity check included) into the emptied source vs `rsync -a` from the daemon into an empty folder. Each starts with an empty page cache (a restore reads its backup from disk).', '');
    L.push('| | time | files/s | ratio (raw time / time) | goal |', '|---|---|---|---|---|');
    L.push(`| raw rsync back | ${ms(x.raw.ms)} | ${f(x.raw.filesPerS)} | | |`);
    if (x.rawFlags) L.push(`| raw rsync back with freezeframe's flags | ${ms(x.rawFlags.ms)} | | ${f(x.rawFlags.ratio, 3)} | |`);
    if (x.rawFlagsBtrfs) L.push(`| raw rsync back with freezeframe's flags, read from the btrfs file system the btrfs target is on | ${ms(x.rawFlagsBtrfs.ms)} | | ${f(x.rawFlagsBtrfs.ratio, 3)} | |`);
    if (x.rawFlagsBtrfsTls) L.push(`| the same through stunnel on both ends (the encrypted byte path alone) | ${ms(x.rawFlagsBtrfsTls.ms)} | | ${f(x.rawFlagsBtrfsTls.ratio, 3)} | |`);
    if (x.rawFlagsBtrfsTlsReceiver) L.push(`| the same with the options a restore's receiver adds (\`${x.rawFlagsBtrfsTlsReceiver.flags.join(' ')}\`) | ${ms(x.rawFlagsBtrfsTlsReceiver.ms)} | | ${f(x.rawFlagsBtrfsTlsReceiver.ratio, 3)} | |`);
    L.push(`| freezeframe restore${x.freezeframe.target ? ` from the ${x.freezeframe.target} target` : ''} | ${ms(x.freezeframe.ms)} | ${f(x.freezeframe.filesPerS)} | **${f(x.ratio, 3)}**${x.ratioToTls !== undefined ? ` (${f(x.ratioToTls, 3)} of the stunnel row${x.ratioToTlsReceiver !== undefined ? `, ${f(x.ratioToTlsReceiver, 3)} of the one with the receiver's options` : ''})` : ''} | ${met(x.goal, x.met, `${f((0.9 - x.ratio) * 100, 1)} points short`)} |`);
    if (x.dir) L.push(`| freezeframe restore from the dir target | ${ms(x.dir.ms)} | ${f(x.dir.filesPerS)} | ${f(x.dir.ratio, 3)} | |`);
    if (x.cpuMs) {
      const med = (k) => Math.round(x.cpuMs.freezeframe[k]?.median ?? NaN);
      L.push('', `CPU (median ms, both cores): the encrypted rsync with the receiver's options ${Math.round(x.cpuMs.rawFlagsBtrfsTlsReceiver.median)}; freezeframe's restore from the btrfs target ${med('machine')}, of it the target agent ${med('targetNode')} + its rsync, stunnel and checks ${med('targetChildren')}, the source agent ${med('sourceNode')} + its rsync and stunnel ${med('sourceChildren')}, the director ${med('director')}. CPU probe before each rep: ${Math.round(x.cpuProbeMs.child.median)} ms in a fresh process, ${Math.round(x.cpuProbeMs.own.median)} ms in the bench process${pageCost(x.cpuProbeMs)}.`);
      if (x.pageFaults) L.push('', faultsLine("the encrypted rsync with the receiver's options", x.pageFaults.rawFlagsBtrfsTlsReceiver, "freezeframe's restore", x.pageFaults.freezeframe, x.cpuProbeMs));
    }
    L.push('', `Phases (median ms)${x.freezeframe.target ? `, ${x.freezeframe.target} target` : ''}: ${phases(x.freezeframe.phasesMedianMs)}${x.freezeframe.verify ? `; its check: ${x.freezeframe.verify}` : ''}.`);
    if (x.dir) L.push('', `Phases (median ms), dir target: ${phases(x.dir.phasesMedianMs)}${x.dir.verify ? `; its check: ${x.dir.verify}` : ''}.`);
    L.push('');
  }
  if (r.scale) {
    const s = r.scale;
    L.push(`## 5. Scale: one director, ${s.agents} agents on loopback`, '', 'Goals: preflight+freeze+snapshot+thaw < 1 s in every rep, director peak RSS < 200 MB, idle agent RSS < 60 MB.', '');
    L.push('| | measured | goal |', '|---|---|---|');
    L.push(`| preflight+freeze+snapshot+thaw | ${ms(s.freezePhase)} | ${met(1, s.met.freezePhaseMs, `slowest rep ${f(s.freezePhase.max - 1000)} ms over`)} |`);
    L.push(`| director peak RSS (the highest of ${s.freezePhase.n} backups, each in a director process of its own) | ${f(s.directorRssMb, 1)} MB | ${met(1, s.met.directorRssMb, `${f(s.directorRssMb - 200, 1)} MB over`)} |`);
    L.push(`| idle agent RSS, the checkout's (node + dist/main.js; median of ${s.agents}) | ${f(s.agentIdleRssMb, 1)} MB (${f(s.agentIdleRss.min, 1)}–${f(s.agentIdleRss.max, 1)}) | ${met(1, s.met.agentIdleRssMb, `${f(s.agentIdleRssMb - 60, 1)} MB over`)} |`);
    const p = s.packagedAgentIdle;
    if (p) L.push(`| idle agent RSS, the package's (the single executable; median of ${p.agents}) | ${f(s.packagedAgentIdleRssMb, 1)} MB (${f(p.rss.min, 1)}–${f(p.rss.max, 1)}): ${f(p.fileMb, 1)} MB file-backed, ${f(p.anonMb, 1)} MB its own | ${met(1, s.met.packagedAgentIdleRssMb, `${f(s.packagedAgentIdleRssMb - 60, 1)} MB over`)} |`);
    L.push('', `Whole backup wall time ${ms(s.backupWallMs)} (transfer concurrency ${s.transferConcurrency}); agents started in ${s.agentsStartS} s; agent peak RSS after the backup ${f(s.agentPeakRssMbAfterBackup, 1)} MB. CPU in preflight, freeze, snapshot and thaw (medians per backup): ${cpuShare(s.controlCpu, r.machine.cores)}. Of an idle checkout agent's RSS, ${f(s.agentIdleFileMb, 1)} MB are file-backed pages (node's code, shared by all agents on a machine) and ${f(s.agentIdleAnonMb, 1)} MB its own (heap, compiled code).${p ? ` The package's agents: ${p.note}.` : ''} ${s.note}.`, '');
    const m = s.simulated;
    if (m) {
      L.push(`### Simulated: one director, ${m.nodes} nodes`, '', `Goals: preflight+freeze+snapshot+thaw < 3 s, director peak RSS < 250 MB. ${m.nodes} gRPC servers with mutual TLS in ${m.processes} processes on this machine (lib/sim-nodes.mjs), answering without doing the work.`, '');
      L.push('| | measured | goal |', '|---|---|---|');
      L.push(`| preflight+freeze+snapshot+thaw | ${ms(m.freezePhase)} | ${met(1, m.met.freezePhaseMs, `${f(m.freezePhaseMs - 3000)} ms over`)} |`);
      L.push(`| director peak RSS (the highest of ${m.freezePhase.n} runs, each in a director process of its own) | ${f(m.directorRssMb, 1)} MB | ${met(1, m.met.directorRssMb, `${f(m.directorRssMb - 250, 1)} MB over`)} |`);
      L.push('', `Director CPU per run ${ms(m.directorCpuMs)}; the simulated nodes' CPU per run ${f(m.simulatedNodesCpuMsPerRun)} ms (same cores). CPU in preflight, freeze, snapshot and thaw (medians per run): ${cpuShare(m.controlCpu, r.machine.cores)}. Up to thaw including lock, clean-up and release: ${ms(m.untilThawWallMs)}. ${m.nodes} certificates in ${f(m.certificatesMs)} ms. Phases per run: ${m.phasesPerRun.map((p) => Object.entries(p).map(([k, v]) => `${k} ${f(v)}`).join(', ')).join(' / ')}.`, '');
    }
  }
  if (r.storage) {
    const s = r.storage;
    L.push('## 6. Storage cost: ZFS target (zfs-fuse) vs dir target', '', `${s.files} files, ${f(s.bytes / 1e6)} MB, full data-channel transfer each time.`, '');
    L.push('| target | time | MB/s |', '|---|---|---|');
    L.push(`| dir (ext4 loop) | ${ms(s.dir.ms)} | ${f(s.dir.mbPerS)} |`);
    L.push(`| zfs (zfs-fuse, compression ${s.zfs.compression}) | ${ms(s.zfs.ms)} | ${f(s.zfs.mbPerS)} |`);
    L.push('', `zfs / dir time: **${f(s.zfsOverDir, 2)}x**; dataset used ${f(s.zfs.usedBytes / 1e6)} MB. No goal: this shows what the storage layer costs.`, '');
  }
  if (r.deep) {
    const d = r.deep;
    const sent = (x) => (x ?? []).map((s) => `${s.files}${s.rechecked ? ` (${s.rechecked} rechecked)` : ''}${s.cold ? ' cold' : ''}`).join(', ');
    L.push('## backup --deep versus an incremental backup', '', 'Whole backups (all phases) of the small-file set into a dir target after the same change (1% rewritten, plus one file rewritten under the same size and mtime), paired; one more pair with the page cache dropped.', '');
    L.push('| | time (warm cache) | cold cache | files sent per run |', '|---|---|---|---|');
    L.push(`| incremental backup | ${ms(d.incremental.ms)} | ${f(d.coldCache.incrementalMs)} ms | ${sent(d.incremental.sent)} |`);
    L.push(`| \`backup --deep\` | ${ms(d.deep.ms)} | ${f(d.coldCache.deepMs)} ms | ${sent(d.deep.sent)} |`);
    L.push('', `Ratio (deep / incremental): **${f(d.ratio, 3)}**. Files a deep run found changed under the same size and mtime (last run): ${f(d.deep.contentOnlyLastRun)}. Phases (median ms), incremental: ${Object.entries(d.incremental.phasesMedianMs).map(([k, v]) => `${k} ${f(v)}`).join(', ')}; deep: ${Object.entries(d.deep.phasesMedianMs).map(([k, v]) => `${k} ${f(v)}`).join(', ')}.`, '');
  }
  return L.join('\n') + '\n';
}
