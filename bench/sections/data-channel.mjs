// Measurements 2, 3, 4 and 6: full transfers (large and small files), an incremental backup,
// a restore and the storage cost of a ZFS target, each against plain rsync to an rsync daemon
// on loopback, on a fresh loop filesystem, paired A B A B.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '@freezeframe/director/engine/backup.js';
import { restore } from '@freezeframe/director/engine/restore.js';
import { RECEIVER_OPTIONS as RECEIVER_FLAGS, RESTORE_RECEIVER_OPTIONS as RESTORE_RECEIVER_FLAGS } from '@freezeframe/agent/rpc/open-receive.js';
import { agentMem, agentPid, closeAll, connectInventory, startAgents, writeInventory } from '../lib/agents.mjs';
import { countFiles, makeLargeFiles, makeSmallFiles, mutateSmallFiles } from '../lib/data.mjs';
import { loopFs, zfsDaemon, zfsPool, zfsUsed } from '../lib/fs.mjs';
import { nextDate, nextId } from '../lib/ids.mjs';
import { FF_FLAGS, rawRsync, startRsyncd } from '../lib/rsyncd.mjs';
import { startStunnelPair } from '../lib/stunnel-pair.mjs';
import { cpuProbeMs, diagStart, exec, log, machineBusyMs, machineFaults, now, procCpuMs, rmTree, round, stats, undoList } from '../lib/util.mjs';

const sync = () => exec('sync', []);
/** ms for `find` to list every regular file under `dir` as the checksum record's walk does (checksums.ts), printing nowhere. */
const listEveryFile = async (dir) => (await exec('find', [dir, '-type', 'f', '-fprintf', '/dev/null', '%s %T@ %i %b %C@ %p\\0'])).durationMs;
/** Empties the page cache: each restore reads its copy from disk, as a restore from backup storage does (restore section). */
const coldCache = async () => {
  await sync();
  writeFileSync('/proc/sys/vm/drop_caches', '3');
};

/** One PerformRsync from `src` (a dir-source agent) into `tgt`; returns ms and rsync's stats. */
async function ffTransfer(nodes, srcName, tgtName, id) {
  const src = nodes.get(srcName);
  const tgt = nodes.get(tgtName);
  const entry = (await src.describe()).source.entry;
  await src.prepareSnapshot(id);
  try {
    const t0 = now();
    const ticket = await tgt.openReceive({ backupId: id, source: srcName, direction: 'backup', peer: srcName, entry });
    const st = await src.performRsync({ backupId: id, ticket: ticket.ticket, receiverName: tgtName, receiverHost: '127.0.0.1', receiverDataPort: ticket.dataPort, inplace: ticket.inplace, ...(ticket.native ? { receiverNative: true } : {}) });
    const ms = now() - t0;
    if (st.exitCode !== 0) throw new Error(`${srcName} -> ${tgtName}: rsync exited ${st.exitCode}`);
    return { ms, stats: st, entry };
  } finally {
    await src.removeSnapshot(id).catch(() => {});
  }
}

/** Full transfer of one data set: raw rsync to the daemon vs freezeframe's data channel, paired. */
async function fullTransfer(ctx, { set, srcName, bytes, files, reps, goal, tgtName = 'tgt', ffCleanup, rawDir = 'raw' }) {
  const rawMs = [];
  const rawFlagsMs = [];
  const rawFlagsTlsMs = [];
  const rawSparseTlsMs = [];
  const ffMs = [];
  const ffRsyncMs = [];
  let ffStats;
  // untimed: the first copy onto the fresh file system is always the slowest (2-4x the next ones,
  // seventeenth pass), and whichever variant came first paid for it
  await rawRsync(join(ctx.mnt, `src-${set}`), ctx.rsyncd.url(`${rawDir}-${set}-warm-up`));
  await rmTree(join(ctx.mnt, `${rawDir}-${set}-warm-up`));
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? ['raw', 'rawF', 'rawFT', 'rawFTS', 'ff'] : ['ff', 'rawFTS', 'rawFT', 'rawF', 'raw'];
    for (const which of order) {
      await sync();
      if (which !== 'ff') {
        const dst = `${rawDir}-${set}-${which}-${i}`;
        const from = join(ctx.mnt, `src-${set}`);
        const flags = { raw: [], rawF: FF_FLAGS, rawFT: FF_FLAGS, rawFTS: [...FF_FLAGS, ...RECEIVER_FLAGS] }[which];
        const copy = which === 'rawFT' || which === 'rawFTS' ? ctx.tlsPair.push(from, dst, flags) : rawRsync(from, ctx.rsyncd.url(dst), flags);
        ({ raw: rawMs, rawF: rawFlagsMs, rawFT: rawFlagsTlsMs, rawFTS: rawSparseTlsMs })[which].push(await copy);
        await rmTree(join(ctx.mnt, dst));
      } else {
        const id = nextId(`${set}-${i}`);
        const r = await ffTransfer(ctx.nodes, srcName, tgtName, id);
        ffMs.push(r.ms);
        ffStats = r.stats;
        ffRsyncMs.push(r.stats.durationMs);
        await ffCleanup(id, r.entry);
      }
    }
    log(`  ${set} rep ${i + 1}/${reps}: raw ${round(rawMs.at(-1))} ms (with freezeframe's flags ${round(rawFlagsMs.at(-1))} ms, through stunnel ${round(rawFlagsTlsMs.at(-1))} ms, with the receiver's ${RECEIVER_FLAGS.join(' ')} ${round(rawSparseTlsMs.at(-1))} ms), freezeframe ${round(ffMs.at(-1))} ms`);
  }
  const raw = stats(rawMs);
  const ff = stats(ffMs);
  const mbps = (ms) => round(bytes / 1e6 / (ms / 1000), 1);
  return {
    files,
    bytes,
    raw: { ms: raw, mbPerS: mbps(raw.median), filesPerS: round(files / (raw.median / 1000), 0) },
    // the same rsync with freezeframe's flags to the same daemon: rsync's own share of the gap
    rawFlags: { ms: stats(rawFlagsMs), ratio: round(raw.median / stats(rawFlagsMs).median, 3), note: `rsync ${FF_FLAGS.join(' ')} to the daemon` },
    // and through stunnel on both ends: the encrypted byte path alone, what keeping TLS cannot skip
    rawFlagsTls: { ms: stats(rawFlagsTlsMs), ratio: round(raw.median / stats(rawFlagsTlsMs).median, 3), note: `rsync ${FF_FLAGS.join(' ')} through stunnel on both ends (mutual TLS) to the daemon` },
    // and with the options every freezeframe receiver adds (open-receive.ts): what keeping holes costs
    rawFlagsTlsSparse: { ms: stats(rawSparseTlsMs), ratio: round(raw.median / stats(rawSparseTlsMs).median, 3), note: `the same through stunnel with the receiver's ${RECEIVER_FLAGS.join(' ')}` },
    freezeframe: { ms: ff, mbPerS: mbps(ff.median), filesPerS: round(files / (ff.median / 1000), 0), bytesSent: ffStats?.bytesSent, senderRsyncMs: stats(ffRsyncMs) },
    ratio: round(raw.median / ff.median, 3),
    ratioToTls: round(stats(rawFlagsTlsMs).median / ff.median, 3),
    ratioToTlsSparse: round(stats(rawSparseTlsMs).median / ff.median, 3),
    goal: `>= ${goal}`,
    met: raw.median / ff.median >= goal,
  };
}

export async function runDataChannel(cfg, work, results) {
  const cleanup = undoList();
  const ctx = {};
  try {
    log(`data channel: fresh ext4 loop filesystem (${cfg.dataFsGiB} GiB sparse)`);
    const fs = await loopFs(join(work, 'datafs'), { kind: 'ext4', sizeGiB: cfg.dataFsGiB });
    cleanup.push(() => fs.destroy());
    ctx.mnt = fs.mnt;
    const t0 = now();
    const large = makeLargeFiles(join(fs.mnt, 'src-large'), cfg.largeFiles, cfg.largeFileBytes);
    const small = makeSmallFiles(join(fs.mnt, 'src-small'), cfg.smallFiles);
    const store = { files: 0, bytes: 0 };
    {
      const l = makeLargeFiles(join(fs.mnt, 'src-store'), 1, cfg.storeLargeBytes);
      const s = makeSmallFiles(join(fs.mnt, 'src-store', 'small'), cfg.storeSmallFiles);
      store.files = l.files + s.files;
      store.bytes = l.bytes + s.bytes;
    }
    await sync();
    log(`  data made in ${round((now() - t0) / 1000, 1)} s: large ${large.files} x ${cfg.largeFileBytes} B, small ${small.files} files (${small.bytes} B), store set ${store.files} files`);

    ctx.rsyncd = await startRsyncd(work, fs.mnt, cleanup);

    let zfs;
    if (cfg.storage) {
      const daemon = await zfsDaemon();
      cleanup.push(() => daemon.stop());
      const pool = await zfsPool(join(work, 'zpool'), { sizeGiB: cfg.zfsPoolGiB, name: `ffbench${process.pid}` });
      cleanup.push(() => pool.destroy());
      await exec('zfs', ['create', `${pool.name}/backup`]);
      zfs = { pool, dataset: `${pool.name}/backup`, mnt: join(pool.mnt, 'backup'), daemonStarted: daemon.started };
    }

    // the snapshotting target the incremental goal is measured on: a btrfs filesystem of its own,
    // with a second rsync daemon on it for the raw copy that is snapshotted the same way
    log(`btrfs target: fresh btrfs loop filesystem (${cfg.btrfsFsGiB} GiB sparse)`);
    const bfs = await loopFs(join(work, 'btrfsfs'), { kind: 'btrfs', sizeGiB: cfg.btrfsFsGiB });
    cleanup.push(() => bfs.destroy());
    mkdirSync(join(work, 'rsyncd-btrfs'));
    const rsyncdB = await startRsyncd(join(work, 'rsyncd-btrfs'), bfs.mnt, cleanup);
    mkdirSync(join(bfs.mnt, 'ff-target'));
    mkdirSync(join(bfs.mnt, 'ff-target-lo'));

    const pki = join(work, 'pki');
    const specs = [
      { name: 'src-large', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-large') } } },
      { name: 'src-small', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-small') }, freeze: { kind: 'none' } } },
      { name: 'src-store', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-store') } } },
      { name: 'tgt', extra: { target: { kind: 'dir', path: join(fs.mnt, 'ff-target') } } },
      // whole backups need a target no direct PerformRsync ever locked (an untagged receive holds the lock)
      { name: 'tgt-inc', extra: { target: { kind: 'dir', path: join(fs.mnt, 'ff-target-inc') } } },
      { name: 'tgt-btrfs', extra: { target: { kind: 'btrfs', path: join(bfs.mnt, 'ff-target') } } },
      // the same small files as a source that leaves out ACLs and xattrs, into a btrfs target of its own
      { name: 'src-small-lo', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-small'), leaveOut: ['acls', 'xattrs'] }, freeze: { kind: 'none' } } },
      { name: 'tgt-btrfs-lo', extra: { target: { kind: 'btrfs', path: join(bfs.mnt, 'ff-target-lo') } } },
      ...(zfs ? [{ name: 'tgt-zfs', extra: { target: { kind: 'zfs', dataset: zfs.dataset } } }] : []),
    ];
    mkdirSync(join(fs.mnt, 'ff-target'), { recursive: true });
    mkdirSync(join(fs.mnt, 'ff-target-inc'), { recursive: true });
    const { makeCerts } = await import('../lib/agents.mjs');
    await makeCerts(pki, specs.map((s) => s.name));
    const agents = await startAgents(work, pki, specs, cleanup);
    const { inv: invAll } = writeInventory(work, pki, agents.filter((a) => !['tgt-inc', 'tgt-btrfs', 'src-small-lo', 'tgt-btrfs-lo'].includes(a.name)), { name: 'inventory-all.yaml' });
    const nodeList = connectInventory(invAll);
    cleanup.push(() => closeAll(nodeList));
    ctx.nodes = new Map(nodeList.map((n) => [n.name, n]));
    const dirPartial = (id) => join(fs.mnt, 'ff-target', '.partial', id);
    const dirCleanup = async (id) => {
      // the untagged receive folder; the name of the partial folder is the dir target's business, so look
      for (const p of [dirPartial(id), join(fs.mnt, 'ff-target', id)]) if (existsSync(p)) await rmTree(p);
    };

    // the encrypted byte path alone in front of the same daemon, for the rows that keep TLS
    ctx.tlsPair = await startStunnelPair(work, pki, { rsyncd: ctx.rsyncd, sender: 'src-large', receiver: 'tgt', name: 'full' }, cleanup);

    results.transfer = {};
    log(`transfer, large files (${cfg.reps.transfer} paired runs)`);
    results.transfer.large = await fullTransfer(ctx, { set: 'large', srcName: 'src-large', bytes: large.bytes, files: large.files, reps: cfg.reps.transfer, goal: 0.9, ffCleanup: dirCleanup });
    log(`transfer, small files (${cfg.reps.transfer} paired runs)`);
    results.transfer.small = await fullTransfer(ctx, { set: 'small', srcName: 'src-small', bytes: small.bytes, files: small.files, reps: cfg.reps.transfer, goal: 0.95, ffCleanup: dirCleanup });

    if (zfs) {
      log(`storage: the same transfer into the ZFS target and into the dir target (${cfg.reps.storage} paired runs)`);
      const zfsMs = [];
      const dirMs = [];
      let zfsBytes = 0;
      for (let i = 0; i < cfg.reps.storage; i++) {
        const order = i % 2 === 0 ? ['dir', 'zfs'] : ['zfs', 'dir'];
        for (const which of order) {
          await sync();
          const id = nextId(`store-${i}`);
          if (which === 'dir') {
            const r = await ffTransfer(ctx.nodes, 'src-store', 'tgt', id);
            dirMs.push(r.ms);
            await dirCleanup(id);
          } else {
            const r = await ffTransfer(ctx.nodes, 'src-store', 'tgt-zfs', id);
            zfsMs.push(r.ms);
            await exec('sync', []);
            zfsBytes = await zfsUsed(zfs.dataset);
            // a full transfer each time: the working tree goes (it is not tagged)
            await rmTree(join(zfs.mnt, r.entry));
          }
        }
        log(`  store rep ${i + 1}: dir ${round(dirMs.at(-1))} ms, zfs ${round(zfsMs.at(-1))} ms`);
      }
      const z = stats(zfsMs);
      const d = stats(dirMs);
      const compression = (await exec('zfs', ['get', '-H', '-o', 'value', 'compression', zfs.dataset])).stdout.trim();
      results.storage = {
        files: store.files,
        bytes: store.bytes,
        zfs: { ms: z, mbPerS: round(store.bytes / 1e6 / (z.median / 1000), 1), usedBytes: zfsBytes, compression },
        dir: { ms: d, mbPerS: round(store.bytes / 1e6 / (d.median / 1000), 1) },
        zfsOverDir: round(z.median / d.median, 3),
        note: 'time of the same data-channel transfer into a zfs-fuse target divided by the time into a dir target (both full transfers)',
      };
    }

    // 3. incremental: whole backups (all phases) of src-small after the same change, into the btrfs
    // target (the goal: against rsync into the previous copy) and into the dir target (against
    // rsync --link-dest, which is what its hard-linked trees cost)
    const { inv } = writeInventory(work, pki, agents.filter((a) => a.name === 'src-small' || a.name === 'tgt-inc'), { name: 'inventory-small.yaml' });
    const { inv: invB } = writeInventory(work, pki, agents.filter((a) => a.name === 'src-small' || a.name === 'tgt-btrfs'), { name: 'inventory-btrfs.yaml' });
    const { inv: invBL } = writeInventory(work, pki, agents.filter((a) => a.name === 'src-small-lo' || a.name === 'tgt-btrfs-lo'), { name: 'inventory-btrfs-lo.yaml' });
    log('incremental: first full backups (all phases, dir and btrfs targets) and first raw copies');
    const first = await backup(inv, { label: 'base', now: nextDate() });
    const firstBackupMs = first.record.durationMs;
    const firstB = await backup(invB, { label: 'base', now: nextDate() });
    await backup(invBL, { label: 'base', now: nextDate() });
    const rawFirstMs = await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url('raw-inc'));
    await exec('btrfs', ['subvolume', 'create', join(bfs.mnt, 'raw-inc')]);
    const rawFirstBMs = await rawRsync(join(fs.mnt, 'src-small'), rsyncdB.url('raw-inc'));
    // the first tree of the raw --link-dest chain: a full copy, as the dir target's first backup is
    await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url('raw-link-base'));
    // the same work with the flags freezeframe's transfers use (hard links, ACLs, xattrs, numeric
    // ids, deletions; in place on a snapshotting target): how much of the gap is rsync's own
    await exec('btrfs', ['subvolume', 'create', join(bfs.mnt, 'raw-inc-f')]);
    await rawRsync(join(fs.mnt, 'src-small'), rsyncdB.url('raw-inc-f'), [...FF_FLAGS, '--inplace']);
    // and through stunnel on both ends (the encrypted byte path alone, as the native byte path
    // carries it): what a transfer that keeps the security model's TLS cannot skip
    const pair = await startStunnelPair(work, pki, { rsyncd: rsyncdB, sender: 'src-small', receiver: 'tgt-btrfs' }, cleanup);
    await exec('btrfs', ['subvolume', 'create', join(bfs.mnt, 'raw-inc-t')]);
    await pair.push(join(fs.mnt, 'src-small'), 'raw-inc-t', [...FF_FLAGS, '--inplace']);
    let lastId = first.backupId;
    let lastBId = firstB.backupId;
    const m = { raw: [], rawLink: [], rawLinkF: [], rawListLinkF: [], ff: [], rawB: [], rawSnapB: [], rawBF: [], rawListBF: [], rawBT: [], ffB: [], ffBL: [] };
    const phaseRuns = [];
    const phaseRunsB = [];
    const phaseRunsBL = [];
    const invOf = { ff: inv, ffB: invB, ffBL: invBL };
    const phaseRunsOf = { ff: phaseRuns, ffB: phaseRunsB, ffBL: phaseRunsBL };
    let changedFiles = 0;
    // CPU per step: the whole machine's, and for freezeframe's backup each agent's own (node) and
    // its children's (rsync, stunnel, btrfs) and the director's (this process): where a backup
    // that takes longer than the raw rsync of the same rep spends it
    const cpu = { rawBT: [], ffB: [] };
    const pidOf = (name) => agentPid(agents.find((a) => a.name === name));
    const cpuNow = () => {
      const d = process.cpuUsage();
      return { machine: machineBusyMs(), faults: machineFaults(), director: (d.user + d.system) / 1000, source: procCpuMs(pidOf('src-small')), target: procCpuMs(pidOf('tgt-btrfs')) };
    };
    const cpuSince = (a) => {
      const b = cpuNow();
      return {
        cpu: {
          machine: b.machine - a.machine,
          director: round(b.director - a.director, 0),
          sourceNode: b.source.own - a.source.own,
          sourceChildren: b.source.children - a.source.children,
          targetNode: b.target.own - a.target.own,
          targetChildren: b.target.children - a.target.children,
        },
        faults: b.faults - a.faults,
      };
    };
    // each field of cpuSince's `cpu` over the reps
    const cpuStats = (runs) => Object.fromEntries(Object.keys(runs[0]?.cpu ?? {}).map((k) => [k, stats(runs.map((c) => c.cpu[k]))]));
    const ffBackup = async (which, i) => {
      // a process start costs an agent more as its memory grows (PROFILE.md, nineteenth pass)
      if (process.env.FF_BENCH_DIAG) log(`    diag before backup ${which}: memory MB ${['src-small', which === 'ff' ? 'tgt-inc' : 'tgt-btrfs'].map((n) => `${n} ${JSON.stringify(agentMem(agents.find((a) => a.name === n)))}`).join(', ')}`);
      const c0 = cpuNow();
      const diag = diagStart();
      const t0 = now();
      const r = await backup(invOf[which], { label: `inc-${i}`, now: nextDate() });
      m[which].push(now() - t0);
      diag(`backup ${which} ${round(m[which].at(-1))} ms`);
      if (which === 'ffB') cpu.ffB.push(cpuSince(c0));
      phaseRunsOf[which].push(Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])));
      if (which === 'ff') lastId = r.backupId;
      else if (which === 'ffB') lastBId = r.backupId;
    };
    const steps = {
      raw: async () => m.raw.push(await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url('raw-inc'))),
      ff: (i) => ffBackup('ff', i),
      // what a snapshotting target does by hand: rsync into the working copy, then a read-only snapshot
      rawB: async (i) => {
        m.rawB.push(await rawRsync(join(fs.mnt, 'src-small'), rsyncdB.url('raw-inc')));
        m.rawSnapB.push((await exec('btrfs', ['subvolume', 'snapshot', '-r', join(bfs.mnt, 'raw-inc'), join(bfs.mnt, `raw-snap-${i}`)])).durationMs);
      },
      ffB: (i) => ffBackup('ffB', i),
      ffBL: (i) => ffBackup('ffBL', i),
      rawBF: async () => {
        m.rawBF.push(await rawRsync(join(fs.mnt, 'src-small'), rsyncdB.url('raw-inc-f'), [...FF_FLAGS, '--inplace']));
        m.rawListBF.push(await listEveryFile(join(bfs.mnt, 'raw-inc-f')));
      },
      rawBT: async () => {
        const c0 = cpuNow();
        const diag = diagStart();
        m.rawBT.push(await pair.push(join(fs.mnt, 'src-small'), 'raw-inc-t', [...FF_FLAGS, '--inplace']));
        cpu.rawBT.push(cpuSince(c0));
        diag(`incremental rawBT ${round(m.rawBT.at(-1))} ms`);
      },
    };
    const probes = [];
    for (let i = 0; i < cfg.reps.incremental; i++) {
      probes.push(await cpuProbeMs());
      changedFiles = mutateSmallFiles(join(fs.mnt, 'src-small'), cfg.smallFiles, i + 1).changed;
      await sync();
      const order = i % 2 === 0 ? ['raw', 'ff', 'rawB', 'rawBF', 'rawBT', 'ffB', 'ffBL'] : ['ffBL', 'ffB', 'rawBT', 'rawBF', 'rawB', 'ff', 'raw'];
      for (const which of order) {
        await steps[which](i);
        await sync();
      }
      // What a hard-linked dir target has to do: a new tree of links to the previous one, which is
      // kept, as the dir target keeps its backups and a --link-dest backup script keeps its trees.
      // The basis is never the copy `raw` just updated: against it nothing was left to send.
      const basis = `--link-dest=../${i === 0 ? 'raw-link-base' : `raw-link-${i - 1}`}`;
      const linkSteps = {
        link: async () => m.rawLink.push(await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url(`raw-link-${i}`), [basis])),
        linkF: async () => {
          m.rawLinkF.push(await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url(`raw-linkf-${i}`), [...FF_FLAGS, basis]));
          m.rawListLinkF.push(await listEveryFile(join(fs.mnt, `raw-linkf-${i}`)));
          await rmTree(join(fs.mnt, `raw-linkf-${i}`));
        },
      };
      for (const which of i % 2 === 0 ? ['link', 'linkF'] : ['linkF', 'link']) {
        await linkSteps[which]();
        await sync();
      }
      log(`  incremental rep ${i + 1} (CPU probe ${JSON.stringify(probes.at(-1))} ms): btrfs target: raw ${round(m.rawB.at(-1))} ms (+ snapshot ${round(m.rawSnapB.at(-1))} ms; with freezeframe's flags ${round(m.rawBF.at(-1))} ms, and through stunnel ${round(m.rawBT.at(-1))} ms), freezeframe ${round(m.ffB.at(-1))} ms (transfer phase ${phaseRunsB.at(-1)?.transfer} ms, tag ${phaseRunsB.at(-1)?.tag} ms; leaving out ACLs and xattrs ${round(m.ffBL.at(-1))} ms; CPU ms: ${JSON.stringify(cpu.ffB.at(-1))}, the stunnel rsync's ${cpu.rawBT.at(-1)?.cpu.machine}, its page faults ${cpu.rawBT.at(-1)?.faults}); dir target: raw --link-dest ${round(m.rawLink.at(-1))} ms (with freezeframe's flags ${round(m.rawLinkF.at(-1))} ms), freezeframe ${round(m.ff.at(-1))} ms; raw into the previous copy on ext4 ${round(m.raw.at(-1))} ms`);
    }
    const medians = (runs) => {
      const out = {};
      for (const k of Object.keys(runs[0] ?? {})) out[k] = stats(runs.map((p) => p[k] ?? 0)).median;
      return out;
    };
    const s = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, stats(v)]));
    // per rep, what no backup that keeps a checksum record in a snapshot can skip
    const floorB = stats(m.rawBF.map((x, k) => x + m.rawSnapB[k] + m.rawListBF[k]));
    const floorDir = stats(m.rawLinkF.map((x, k) => x + m.rawListLinkF[k]));
    // per rep, what no backup that keeps TLS between the nodes and a snapshot per backup can skip
    const tlsFloorB = stats(m.rawBT.map((x, k) => x + m.rawSnapB[k]));
    results.incremental = {
      files: cfg.smallFiles,
      changedFiles,
      // dir target (the fields of earlier runs keep their meaning)
      raw: { ms: s.raw },
      rawLinkDest: { ms: s.rawLink, note: 'rsync -a --link-dest into a new folder against the previous one of a chain of kept trees: the work a hard-linked dir target does' },
      rawLinkDestFlags: { ms: s.rawLinkF, note: `the same with freezeframe's flags (${FF_FLAGS.join(' ')}), against the same previous tree` },
      rawListLinkDest: { ms: s.rawListLinkF, note: 'find listing every file of that new tree with what the checksum record needs (size, mtime, inode, blocks, ctime), to /dev/null' },
      floor: { ms: floorDir, note: 'per rep: rsync --link-dest with freezeframe\'s flags + one listing of every file; what a dir target that records every file cannot skip' },
      dirOverFloor: round(s.ff.median / floorDir.median, 3),
      freezeframe: { ms: s.ff, phasesMedianMs: medians(phaseRuns) },
      firstFullBackupMs: firstBackupMs,
      firstRawCopyMs: rawFirstMs,
      btrfs: {
        raw: { ms: s.rawB, note: 'rsync -a to a daemon into the previous copy, a btrfs subvolume' },
        rawSnapshot: { ms: s.rawSnapB, note: 'btrfs subvolume snapshot -r of that copy afterwards (not in the ratio)' },
        rawFlags: { ms: s.rawBF, note: `rsync into a copy of its own with freezeframe's flags (${FF_FLAGS.join(' ')} --inplace): the same work without TLS, agents or checksums` },
        rawList: { ms: s.rawListBF, note: 'find listing every file of that copy with what the checksum record needs (size, mtime, inode, blocks, ctime), to /dev/null' },
        floor: { ms: floorB, note: 'per rep: rsync with freezeframe\'s flags + the read-only snapshot + one listing of every file; what a backup that keeps a checksum record of every file in a snapshot cannot skip' },
        overFloor: round(s.ffB.median / floorB.median, 3),
        rawFlagsTls: { ms: s.rawBT, note: `the same rsync with freezeframe's flags through stunnel on both ends (mutual TLS, AES-128-GCM, two relays on loopback) to the daemon: the encrypted byte path alone, without agents, tickets or records` },
        tlsFloor: { ms: tlsFloorB, note: 'per rep: that encrypted rsync + the read-only snapshot; what a backup that keeps TLS between the nodes and a snapshot per backup cannot skip' },
        tlsFloorRatio: round(tlsFloorB.median / s.rawB.median, 3),
        overTlsFloor: round(s.ffB.median / tlsFloorB.median, 3),
        freezeframe: { ms: s.ffB, phasesMedianMs: medians(phaseRunsB) },
        cpuMs: {
          rawFlagsTls: stats(cpu.rawBT.map((c) => c.cpu.machine)),
          freezeframe: cpuStats(cpu.ffB),
          note: "CPU of the whole machine during the encrypted rsync and during freezeframe's backup (all cores), and the backup's split: each agent's node process and its children (rsync, stunnel, btrfs), the director",
        },
        pageFaults: {
          rawFlagsTls: stats(cpu.rawBT.map((c) => c.faults)),
          freezeframe: stats(cpu.ffB.map((c) => c.faults)),
          note: "page faults of the whole machine during the encrypted rsync and during freezeframe's backup: each costs cpuProbeMs.pageUs",
        },
        cpuProbeMs: {
          child: stats(probes.map((p) => p.child)),
          own: stats(probes.map((p) => p.own)),
          pageUs: stats(probes.map((p) => p.pageUs)),
          note: 'before each rep, a fixed piece of CPU work (sha256 of 64 MiB and an integer loop) in a fresh node process and in the bench process that runs the director: how fast the machine was',
        },
        firstFullBackupMs: firstB.record.durationMs,
        firstRawCopyMs: rawFirstBMs,
        leaveOut: { ms: s.ffBL, phasesMedianMs: medians(phaseRunsBL), note: 'the same backup from the same files as a source with leaveOut: [acls, xattrs] (rsync without -A -X), into a btrfs target of its own; not the goal, which measures the default' },
      },
      ratio: round(s.ffB.median / s.rawB.median, 3),
      leaveOutRatio: round(s.ffBL.median / s.rawB.median, 3),
      goal: '<= 1.3 (btrfs target / raw rsync into the previous copy)',
      met: s.ffB.median / s.rawB.median <= 1.3,
      dirRatio: round(s.ff.median / s.rawLink.median, 3),
      dirGoal: '<= 1.2 (dir target / raw rsync --link-dest)',
      dirMet: s.ff.median / s.rawLink.median <= 1.2,
      dirOverRaw: round(s.ff.median / s.raw.median, 3),
    };

    // 4. restore of the small-file set into an emptied source vs rsync back into an empty folder:
    // from the btrfs target (its check reads a sample where btrfs proves the rest) and from the
    // dir target (its check reads every file); every variant starts with an empty page cache (a
    // btrfs snapshot's files are inodes of their own, never read before the restore)
    log(`restore (${cfg.reps.restore} paired runs)`);
    const rr = { raw: [], rawF: [], rawB: [], rawBT: [], rawBTS: [], ffB: [], ff: [] };
    const rPhases = { ffB: [], ff: [] };
    // as for the incremental: whose CPU a restore from the btrfs target needs beside the encrypted rsync's
    const rCpu = { rawBTS: [], ffB: [] };
    const rProbes = [];
    const methods = {};
    const srcSmall = join(fs.mnt, 'src-small');
    const ffRestore = async (which) => {
      for (const e of readdirSync(srcSmall)) await rmTree(join(srcSmall, e));
      await coldCache();
      const c0 = cpuNow();
      const diag = diagStart();
      const t0 = now();
      const r = await restore(which === 'ff' ? inv : invB, { backup: which === 'ff' ? lastId : lastBId });
      rr[which].push(now() - t0);
      diag(`restore ${which} ${round(rr[which].at(-1))} ms`);
      if (which === 'ffB') rCpu.ffB.push(cpuSince(c0));
      rPhases[which].push(Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])));
      methods[which] = r.record.verified?.method;
      const restored = countFiles(srcSmall);
      if (restored !== cfg.smallFiles) throw new Error(`restore left ${restored} files in ${srcSmall}, expected ${cfg.smallFiles}`);
    };
    for (let i = 0; i < cfg.reps.restore; i++) {
      rProbes.push(await cpuProbeMs());
      const order = i % 2 === 0 ? ['raw', 'rawF', 'rawB', 'rawBT', 'rawBTS', 'ffB', 'ff'] : ['ff', 'ffB', 'rawBTS', 'rawBT', 'rawB', 'rawF', 'raw'];
      for (const which of order) {
        if (which !== 'ff' && which !== 'ffB') {
          const dst = join(fs.mnt, `raw-restore-${i}`);
          mkdirSync(dst);
          await coldCache();
          // rawB reads the same files from the btrfs file system the btrfs target keeps its backups
          // on; rawBT the same through stunnel on both ends (the encrypted byte path alone), rawBTS
          // with the options a restore's receiver adds (open-receive.ts)
          const flags = which === 'raw' ? [] : which === 'rawBTS' ? [...FF_FLAGS, ...RESTORE_RECEIVER_FLAGS] : FF_FLAGS;
          const c0 = cpuNow();
          const diag = diagStart();
          const copy = which === 'rawBT' || which === 'rawBTS' ? pair.pull('raw-inc', dst, flags) : rawRsync((which === 'rawB' ? rsyncdB : ctx.rsyncd).url('raw-inc'), dst, flags);
          rr[which].push(await copy);
          if (which === 'rawBTS') rCpu.rawBTS.push(cpuSince(c0));
          diag(`restore ${which} ${round(rr[which].at(-1))} ms`);
          await rmTree(dst);
        } else {
          await ffRestore(which);
        }
      }
      log(`  restore rep ${i + 1} (CPU probe ${JSON.stringify(rProbes.at(-1))} ms; CPU ms of the restore from the btrfs target ${JSON.stringify(rCpu.ffB.at(-1))}, of the encrypted rsync with the receiver's options ${JSON.stringify(rCpu.rawBTS.at(-1))}): raw ${round(rr.raw.at(-1))} ms (with freezeframe's flags ${round(rr.rawF.at(-1))} ms; with them from the btrfs file system ${round(rr.rawB.at(-1))} ms, through stunnel ${round(rr.rawBT.at(-1))} ms, with the receiver's options ${round(rr.rawBTS.at(-1))} ms), freezeframe restore from the btrfs target ${round(rr.ffB.at(-1))} ms, from the dir target ${round(rr.ff.at(-1))} ms`);
    }
    const rs = Object.fromEntries(Object.entries(rr).map(([k, v]) => [k, stats(v)]));
    results.restore = {
      files: cfg.smallFiles,
      bytes: small.bytes,
      raw: { ms: rs.raw, filesPerS: round(cfg.smallFiles / (rs.raw.median / 1000), 0) },
      rawFlags: { ms: rs.rawF, ratio: round(rs.raw.median / rs.rawF.median, 3), note: `rsync ${FF_FLAGS.join(' ')} from the daemon` },
      rawFlagsBtrfs: { ms: rs.rawB, ratio: round(rs.raw.median / rs.rawB.median, 3), note: `rsync ${FF_FLAGS.join(' ')} from a daemon on the btrfs file system of the btrfs target (the same copy, read from where the target keeps it)` },
      rawFlagsBtrfsTls: { ms: rs.rawBT, ratio: round(rs.raw.median / rs.rawBT.median, 3), note: `the same as rawFlagsBtrfs through stunnel on both ends (mutual TLS): the encrypted byte path alone` },
      rawFlagsBtrfsTlsReceiver: { ms: rs.rawBTS, ratio: round(rs.raw.median / rs.rawBTS.median, 3), flags: RESTORE_RECEIVER_FLAGS, note: `the same with the options a restore's receiver adds` },
      // the btrfs target: the fields of earlier runs (dir target then) keep their names
      freezeframe: { ms: rs.ffB, filesPerS: round(cfg.smallFiles / (rs.ffB.median / 1000), 0), phasesMedianMs: medians(rPhases.ffB), target: 'btrfs', verify: methods.ffB },
      dir: { ms: rs.ff, filesPerS: round(cfg.smallFiles / (rs.ff.median / 1000), 0), phasesMedianMs: medians(rPhases.ff), verify: methods.ff, ratio: round(rs.raw.median / rs.ff.median, 3) },
      ratio: round(rs.raw.median / rs.ffB.median, 3),
      ratioToTls: round(rs.rawBT.median / rs.ffB.median, 3),
      ratioToTlsReceiver: round(rs.rawBTS.median / rs.ffB.median, 3),
      cpuMs: {
        rawFlagsBtrfsTlsReceiver: stats(rCpu.rawBTS.map((c) => c.cpu.machine)),
        freezeframe: cpuStats(rCpu.ffB),
        note: 'CPU ms per rep: machine = both cores (/proc/stat), director = this process, sourceNode/targetNode = the agents themselves, *Children = what they ran (rsync, stunnel, sha256sum)',
      },
      pageFaults: {
        rawFlagsBtrfsTlsReceiver: stats(rCpu.rawBTS.map((c) => c.faults)),
        freezeframe: stats(rCpu.ffB.map((c) => c.faults)),
        note: 'page faults of the whole machine during the encrypted rsync with the receiver\'s options and during freezeframe\'s restore from the btrfs target: each costs cpuProbeMs.pageUs',
      },
      cpuProbeMs: { child: stats(rProbes.map((p) => p.child)), own: stats(rProbes.map((p) => p.own)), pageUs: stats(rProbes.map((p) => p.pageUs)) },
      goal: '>= 0.9',
      met: rs.raw.median / rs.ffB.median >= 0.9,
    };
  } finally {
    await cleanup.run();
  }
}
