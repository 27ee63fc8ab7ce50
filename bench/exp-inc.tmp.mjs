// focused: incremental backup into btrfs target (and dir target), phases + agent logs kept
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '@freezeframe/director/engine/backup.js';
import { startAgents, stopAgents, writeInventory, makeCerts } from '/work/main/bench/lib/agents.mjs';
import { makeSmallFiles, mutateSmallFiles } from '/work/main/bench/lib/data.mjs';
import { loopFs } from '/work/main/bench/lib/fs.mjs';
import { nextDate } from '/work/main/bench/lib/ids.mjs';
import { rawRsync, startRsyncd } from '/work/main/bench/lib/rsyncd.mjs';
import { exec, now, round } from '/work/main/bench/lib/util.mjs';
const N = Number(process.env.N ?? 200000), REPS = Number(process.env.REPS ?? 3), DIR = process.env.DIR === '1';
const FF = ['-aHAX', '--numeric-ids', '--delete', '--inplace'];
const work = mkdtempSync('/tmp/ffinc-');
console.log('work', work);
const cleanup = [];
const sync = () => exec('sync', []);
try {
  const fs = await loopFs(join(work, 'datafs'), { kind: 'ext4', sizeGiB: 8 }); cleanup.push(() => fs.destroy());
  const bfs = await loopFs(join(work, 'btrfsfs'), { kind: 'btrfs', sizeGiB: 12 }); cleanup.push(() => bfs.destroy());
  makeSmallFiles(join(fs.mnt, 'src'), N);
  mkdirSync(join(bfs.mnt, 'ff-target')); mkdirSync(join(fs.mnt, 'ff-target'));
  mkdirSync(join(work, 'rsyncd-b')); const rd = await startRsyncd(join(work, 'rsyncd-b'), bfs.mnt); cleanup.push(() => rd.stop());
  const pki = join(work, 'pki');
  const specs = [
    { name: 'src', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src') }, freeze: { kind: 'none' } } },
    { name: 'tgtb', extra: { target: { kind: 'btrfs', path: join(bfs.mnt, 'ff-target') } } },
    { name: 'tgtd', extra: { target: { kind: 'dir', path: join(fs.mnt, 'ff-target') } } },
  ];
  await makeCerts(pki, specs.map((s) => s.name));
  const agents = await startAgents(work, pki, specs); cleanup.push(() => stopAgents(agents));
  const { inv: invB } = writeInventory(work, pki, agents.filter((a) => a.name !== 'tgtd'), { name: 'ib.yaml' });
  const { inv: invD } = writeInventory(work, pki, agents.filter((a) => a.name !== 'tgtb'), { name: 'id.yaml' });
  await sync();
  let t = now(); await backup(invB, { label: 'base', now: nextDate() }); console.log('first btrfs', round(now() - t));
  if (DIR) { t = now(); await backup(invD, { label: 'base', now: nextDate() }); console.log('first dir', round(now() - t)); }
  await exec('btrfs', ['subvolume', 'create', join(bfs.mnt, 'raw')]);
  await rawRsync(join(fs.mnt, 'src'), rd.url('raw'), FF);
  for (let i = 0; i < REPS; i++) {
    mutateSmallFiles(join(fs.mnt, 'src'), N, i + 1); await sync();
    const raw = await rawRsync(join(fs.mnt, 'src'), rd.url('raw'), FF); await sync();
    t = now(); const r = await backup(invB, { label: `inc-${i}`, now: nextDate() }); const ms = now() - t; await sync();
    console.log(`rep ${i}: raw-ff ${round(raw)} btrfs ${round(ms)} (${round(ms / raw)}x)`, JSON.stringify(Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs]))));
    if (DIR) { t = now(); const r2 = await backup(invD, { label: `inc-${i}`, now: nextDate() }); console.log(`   dir ${round(now() - t)}`, Object.fromEntries(r2.record.phases.map((p) => [p.phase, p.durationMs]))); await sync(); }
  }
} finally { if (process.env.KEEP) { console.log("kept"); } 
  for (const c of cleanup.reverse()) await c().catch((e) => console.error('cleanup', e.message));
}
