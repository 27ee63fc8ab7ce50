// `backup --deep` versus an ordinary incremental backup: whole backups (all phases, fidelity
// check included) of the small-file set into a dir target, after the same kind of change (1% of
// the files rewritten, same size), paired A B B A on a fresh loop filesystem. The deep backup
// compares every file by content (rsync --checksum reads the source tree and the previous backup
// whole); the ordinary one trusts size and mtime. Also reports what a deep backup counted.
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '@freezeframe/director/engine/backup.js';
import { makeCerts, startAgents, writeInventory } from '../lib/agents.mjs';
import { makeSmallFiles, mutateSmallFiles, smallFilePath } from '../lib/data.mjs';
import { loopFs } from '../lib/fs.mjs';
import { nextDate } from '../lib/ids.mjs';
import { exec, log, now, round, stats, undoList } from '../lib/util.mjs';

const sync = () => exec('sync', []);
const dropCaches = () => exec('sh', ['-c', 'echo 3 > /proc/sys/vm/drop_caches']);

export async function runDeep(cfg, work, results) {
  const cleanup = undoList();
  try {
    log(`deep: fresh ext4 loop filesystem (${cfg.dataFsGiB} GiB sparse), ${cfg.smallFiles} small files`);
    const fs = await loopFs(join(work, 'deepfs'), { kind: 'ext4', sizeGiB: cfg.dataFsGiB });
    cleanup.push(() => fs.destroy());
    const src = join(fs.mnt, 'src-small');
    const small = makeSmallFiles(src, cfg.smallFiles);
    mkdirSync(join(fs.mnt, 'ff-target'), { recursive: true });
    const pki = join(work, 'pki-deep');
    const specs = [
      { name: 'src-small', extra: { source: { kind: 'dir', volume: src }, freeze: { kind: 'none' } } },
      { name: 'tgt', extra: { target: { kind: 'dir', path: join(fs.mnt, 'ff-target') } } },
    ];
    await makeCerts(pki, specs.map((s) => s.name));
    const agents = await startAgents(work, pki, specs, cleanup);
    const { inv } = writeInventory(work, pki, agents, { name: 'inventory-deep.yaml' });
    await sync();
    log('deep: first full backup');
    const first = await backup(inv, { label: 'base', now: nextDate() });
    const ms = { incremental: [], deep: [] };
    const cold = { incremental: [], deep: [] };
    const phaseRuns = { incremental: [], deep: [] };
    /** Per run: files sent, and files the second pass compared by content (an incremental backup's recheck). */
    const sent = { incremental: [], deep: [] };
    let contentOnly = 0;
    let changedFiles = 0;
    let round_ = 1;
    const one = async (which, dropped) => {
      // a change the quick check sees (1% rewritten) and one it cannot (same size, mtime put back)
      changedFiles = mutateSmallFiles(src, cfg.smallFiles, round_++).changed;
      // file 87: rounds 1-50 of mutateSmallFiles never pick it (37 r mod 100 differs from 87)
      const quiet = join(src, smallFilePath(87));
      const st = statSync(quiet);
      const b = readFileSync(quiet);
      // new content every round (an XOR would restore, every other round, what the target holds)
      b.writeUInt32LE((round_ * 2654435761) >>> 0, 0);
      writeFileSync(quiet, b);
      utimesSync(quiet, st.atime, st.mtime);
      await sync();
      if (dropped) await dropCaches();
      const t0 = now();
      const r = await backup(inv, { label: `${which}-${round_}`, now: nextDate(), ...(which === 'deep' ? { deep: true } : {}) });
      (dropped ? cold : ms)[which].push(now() - t0);
      if (!dropped) phaseRuns[which].push(Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])));
      if (which === 'deep') contentOnly = r.record.deep?.contentOnly ?? -1;
      const t = r.record.transfers['src-small'];
      sent[which].push({ files: t?.filesTransferred ?? 0, rechecked: t?.rechecked ?? 0, cold: dropped });
      log(`    ${which}${dropped ? ' (cold)' : ''}: ${round(now() - t0)} ms, ${t?.filesTransferred} files sent, ${t?.rechecked ?? 0} rechecked, phases ${r.record.phases.map((p) => `${p.phase} ${p.durationMs}`).join(' ')}`);
      await sync();
    };
    for (let i = 0; i < cfg.reps.incremental; i++) {
      for (const which of i % 2 === 0 ? ['incremental', 'deep'] : ['deep', 'incremental']) await one(which, false);
      log(`  deep rep ${i + 1}: incremental ${round(ms.incremental.at(-1))} ms, deep ${round(ms.deep.at(-1))} ms`);
    }
    // once more with the page cache dropped: what a weekly deep backup on a cold machine reads
    for (const which of ['incremental', 'deep']) await one(which, true);
    log(`  cold: incremental ${round(cold.incremental[0])} ms, deep ${round(cold.deep[0])} ms`);
    const inc = stats(ms.incremental);
    const deep = stats(ms.deep);
    const phases = (runs) => Object.fromEntries(Object.keys(runs[0] ?? {}).map((k) => [k, stats(runs.map((p) => p[k] ?? 0)).median]));
    results.deep = {
      files: cfg.smallFiles,
      bytes: small.bytes,
      changedFiles,
      firstFullBackupMs: first.record.durationMs,
      incremental: { ms: inc, phasesMedianMs: phases(phaseRuns.incremental), sent: sent.incremental },
      deep: { ms: deep, phasesMedianMs: phases(phaseRuns.deep), contentOnlyLastRun: contentOnly, sent: sent.deep },
      coldCache: { incrementalMs: cold.incremental[0], deepMs: cold.deep[0] },
      ratio: round(deep.median / inc.median, 3),
      note: 'whole `backup --deep` divided by a whole ordinary incremental backup after the same change (warm page cache); contentOnly: files a deep run found changed under the same size and mtime (1 planted per run)',
    };
  } finally {
    await cleanup.run();
  }
}
