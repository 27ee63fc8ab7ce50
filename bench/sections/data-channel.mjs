// Measurements 2, 3, 4 and 6: full transfers (large and small files), an incremental backup,
// a restore and the storage cost of a ZFS target, each against plain rsync to an rsync daemon
// on loopback, on a fresh loop filesystem, paired A B A B.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '@freezeframe/director/engine/backup.js';
import { restore } from '@freezeframe/director/engine/restore.js';
import { closeAll, connectInventory, startAgents, stopAgents, writeInventory } from '../lib/agents.mjs';
import { countFiles, makeLargeFiles, makeSmallFiles, mutateSmallFiles } from '../lib/data.mjs';
import { loopFs, zfsDaemon, zfsPool, zfsUsed } from '../lib/fs.mjs';
import { nextDate, nextId } from '../lib/ids.mjs';
import { rawRsync, startRsyncd } from '../lib/rsyncd.mjs';
import { exec, log, now, rmTree, round, stats } from '../lib/util.mjs';

const sync = () => exec('sync', []);

/** One PerformRsync from `src` (a dir-source agent) into `tgt`; returns ms and rsync's stats. */
async function ffTransfer(nodes, srcName, tgtName, id) {
  const src = nodes.get(srcName);
  const tgt = nodes.get(tgtName);
  const entry = (await src.describe()).source.entry;
  await src.prepareSnapshot(id);
  try {
    const t0 = now();
    const ticket = await tgt.openReceive({ backupId: id, source: srcName, direction: 'backup', peer: srcName, entry });
    const st = await src.performRsync({ backupId: id, ticket: ticket.ticket, receiverName: tgtName, receiverHost: '127.0.0.1', receiverDataPort: ticket.dataPort, inplace: ticket.inplace });
    const ms = now() - t0;
    if (st.exitCode !== 0) throw new Error(`${srcName} -> ${tgtName}: rsync exited ${st.exitCode}`);
    return { ms, stats: st, entry };
  } finally {
    await src.removeSnapshot(id).catch(() => {});
  }
}

/** Full transfer of one data set: raw rsync to the daemon vs freezeframe's data channel, paired. */
async function fullTransfer(ctx, { set, srcName, bytes, files, reps, tgtName = 'tgt', ffCleanup, rawDir = 'raw' }) {
  const rawMs = [];
  const ffMs = [];
  const ffRsyncMs = [];
  let ffStats;
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? ['raw', 'ff'] : ['ff', 'raw'];
    for (const which of order) {
      await sync();
      if (which === 'raw') {
        const dst = `${rawDir}-${set}-${i}`;
        rawMs.push(await rawRsync(join(ctx.mnt, `src-${set}`), ctx.rsyncd.url(dst)));
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
    log(`  ${set} rep ${i + 1}/${reps}: raw ${round(rawMs.at(-1))} ms, freezeframe ${round(ffMs.at(-1))} ms`);
  }
  const raw = stats(rawMs);
  const ff = stats(ffMs);
  const mbps = (ms) => round(bytes / 1e6 / (ms / 1000), 1);
  return {
    files,
    bytes,
    raw: { ms: raw, mbPerS: mbps(raw.median), filesPerS: round(files / (raw.median / 1000), 0) },
    freezeframe: { ms: ff, mbPerS: mbps(ff.median), filesPerS: round(files / (ff.median / 1000), 0), bytesSent: ffStats?.bytesSent, senderRsyncMs: stats(ffRsyncMs) },
    ratio: round(raw.median / ff.median, 3),
    goal: '>= 0.9',
    met: raw.median / ff.median >= 0.9,
  };
}

export async function runDataChannel(cfg, work, results) {
  const cleanup = [];
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

    ctx.rsyncd = await startRsyncd(work, fs.mnt);
    cleanup.push(() => ctx.rsyncd.stop());

    let zfs;
    if (cfg.storage) {
      const daemon = await zfsDaemon();
      cleanup.push(() => daemon.stop());
      const pool = await zfsPool(join(work, 'zpool'), { sizeGiB: cfg.zfsPoolGiB, name: `ffbench${process.pid}` });
      cleanup.push(() => pool.destroy());
      await exec('zfs', ['create', `${pool.name}/backup`]);
      zfs = { pool, dataset: `${pool.name}/backup`, mnt: join(pool.mnt, 'backup'), daemonStarted: daemon.started };
    }

    const pki = join(work, 'pki');
    const specs = [
      { name: 'src-large', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-large') } } },
      { name: 'src-small', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-small') }, freeze: { kind: 'none' } } },
      { name: 'src-store', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-store') } } },
      { name: 'tgt', extra: { target: { kind: 'dir', path: join(fs.mnt, 'ff-target') } } },
      // whole backups need a target no direct PerformRsync ever locked (an untagged receive holds the lock)
      { name: 'tgt-inc', extra: { target: { kind: 'dir', path: join(fs.mnt, 'ff-target-inc') } } },
      ...(zfs ? [{ name: 'tgt-zfs', extra: { target: { kind: 'zfs', dataset: zfs.dataset } } }] : []),
    ];
    mkdirSync(join(fs.mnt, 'ff-target'), { recursive: true });
    mkdirSync(join(fs.mnt, 'ff-target-inc'), { recursive: true });
    const { makeCerts } = await import('../lib/agents.mjs');
    await makeCerts(pki, specs.map((s) => s.name));
    const agents = await startAgents(work, pki, specs);
    cleanup.push(() => stopAgents(agents));
    const { inv: invAll } = writeInventory(work, pki, agents.filter((a) => a.name !== 'tgt-inc'), { name: 'inventory-all.yaml' });
    const nodeList = connectInventory(invAll);
    cleanup.push(() => closeAll(nodeList));
    ctx.nodes = new Map(nodeList.map((n) => [n.name, n]));
    const dirPartial = (id) => join(fs.mnt, 'ff-target', '.partial', id);
    const dirCleanup = async (id) => {
      // the untagged receive folder; the name of the partial folder is the dir target's business, so look
      for (const p of [dirPartial(id), join(fs.mnt, 'ff-target', id)]) if (existsSync(p)) await rmTree(p);
    };

    results.transfer = {};
    log(`transfer, large files (${cfg.reps.transfer} paired runs)`);
    results.transfer.large = await fullTransfer(ctx, { set: 'large', srcName: 'src-large', bytes: large.bytes, files: large.files, reps: cfg.reps.transfer, ffCleanup: dirCleanup });
    log(`transfer, small files (${cfg.reps.transfer} paired runs)`);
    results.transfer.small = await fullTransfer(ctx, { set: 'small', srcName: 'src-small', bytes: small.bytes, files: small.files, reps: cfg.reps.transfer, ffCleanup: dirCleanup });

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

    // 3. incremental: whole backups (all phases) of src-small into the dir target vs rsync of the same change
    const { inv } = writeInventory(work, pki, agents.filter((a) => a.name === 'src-small' || a.name === 'tgt-inc'), { name: 'inventory-small.yaml' });
    log('incremental: first full backup (all phases) and first raw copy');
    const first = await backup(inv, { label: 'base', now: nextDate() });
    const firstBackupMs = first.record.durationMs;
    const rawFirstMs = await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url('raw-inc'));
    let lastId = first.backupId;
    const rawInc = [];
    const rawLink = [];
    const ffInc = [];
    const phaseRuns = [];
    let changedFiles = 0;
    for (let i = 0; i < cfg.reps.incremental; i++) {
      changedFiles = mutateSmallFiles(join(fs.mnt, 'src-small'), cfg.smallFiles, i + 1).changed;
      await sync();
      const order = i % 2 === 0 ? ['raw', 'ff'] : ['ff', 'raw'];
      for (const which of order) {
        if (which === 'raw') {
          rawInc.push(await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url('raw-inc')));
        } else {
          const t0 = now();
          const r = await backup(inv, { label: `inc-${i}`, now: nextDate() });
          ffInc.push(now() - t0);
          phaseRuns.push(Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])));
          lastId = r.backupId;
        }
        await sync();
      }
      // what a hard-linked dir target has to do: a new tree of links to the previous one
      rawLink.push(await rawRsync(join(fs.mnt, 'src-small'), ctx.rsyncd.url(`raw-link-${i}`), ['--link-dest=../raw-inc']));
      await rmTree(join(fs.mnt, `raw-link-${i}`));
      log(`  incremental rep ${i + 1}: raw ${round(rawInc.at(-1))} ms, raw --link-dest ${round(rawLink.at(-1))} ms, freezeframe backup ${round(ffInc.at(-1))} ms`);
    }
    const ri = stats(rawInc);
    const fi = stats(ffInc);
    const phases = {};
    for (const k of Object.keys(phaseRuns[0] ?? {})) phases[k] = stats(phaseRuns.map((p) => p[k] ?? 0)).median;
    results.incremental = {
      files: cfg.smallFiles,
      changedFiles,
      raw: { ms: ri },
      rawLinkDest: { ms: stats(rawLink), note: 'rsync -a --link-dest into a new folder: the work a hard-linked dir target does' },
      freezeframe: { ms: fi, phasesMedianMs: phases },
      firstFullBackupMs: firstBackupMs,
      firstRawCopyMs: rawFirstMs,
      ratio: round(fi.median / ri.median, 3),
      goal: '<= 1.3',
      met: fi.median / ri.median <= 1.3,
    };

    // 4. restore of the small-file set into an emptied source vs rsync back into an empty folder
    log(`restore (${cfg.reps.restore} paired runs)`);
    const rawR = [];
    const ffR = [];
    const rPhases = [];
    const srcSmall = join(fs.mnt, 'src-small');
    for (let i = 0; i < cfg.reps.restore; i++) {
      const order = i % 2 === 0 ? ['raw', 'ff'] : ['ff', 'raw'];
      for (const which of order) {
        if (which === 'raw') {
          const dst = join(fs.mnt, `raw-restore-${i}`);
          mkdirSync(dst);
          await sync();
          rawR.push(await rawRsync(ctx.rsyncd.url('raw-inc'), dst));
          await rmTree(dst);
        } else {
          for (const e of readdirSync(srcSmall)) await rmTree(join(srcSmall, e));
          await sync();
          const t0 = now();
          const r = await restore(inv, { backup: lastId });
          ffR.push(now() - t0);
          rPhases.push(Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])));
        }
      }
      log(`  restore rep ${i + 1}: raw ${round(rawR.at(-1))} ms, freezeframe restore ${round(ffR.at(-1))} ms`);
    }
    const restored = countFiles(srcSmall);
    if (restored !== cfg.smallFiles) throw new Error(`restore left ${restored} files in ${srcSmall}, expected ${cfg.smallFiles}`);
    const rr = stats(rawR);
    const fr = stats(ffR);
    const rph = {};
    for (const k of Object.keys(rPhases[0] ?? {})) rph[k] = stats(rPhases.map((p) => p[k] ?? 0)).median;
    results.restore = {
      files: cfg.smallFiles,
      bytes: small.bytes,
      raw: { ms: rr, filesPerS: round(cfg.smallFiles / (rr.median / 1000), 0) },
      freezeframe: { ms: fr, filesPerS: round(cfg.smallFiles / (fr.median / 1000), 0), phasesMedianMs: rph },
      ratio: round(rr.median / fr.median, 3),
      goal: '>= 0.9',
      met: rr.median / fr.median >= 0.9,
    };
  } finally {
    for (const c of cleanup.reverse()) {
      try {
        await c();
      } catch (e) {
        log(`cleanup: ${e.message}`);
      }
    }
  }
}
