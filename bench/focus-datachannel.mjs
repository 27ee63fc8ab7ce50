#!/usr/bin/env node
// One data-channel transfer timed piece by piece, paired with raw rsync to a daemon (PROFILE.md,
// "Changes made"), beside the same rsync with freezeframe's flags to the daemon, and through stunnel on both
// ends: node bench/focus-datachannel.mjs [--reps N] [--large-mib M] [--small N] [--tls-extra "--sparse"]
// Needs root (a loop filesystem) and the built packages.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { closeAll, connectInventory, makeCerts, startAgents, writeInventory } from './lib/agents.mjs';
import { makeLargeFiles, makeSmallFiles } from './lib/data.mjs';
import { loopFs } from './lib/fs.mjs';
import { FF_FLAGS, rawRsync, startRsyncd } from './lib/rsyncd.mjs';
import { startStunnelPair } from './lib/stunnel-pair.mjs';
import { exec, log, now, rmTree, round, stats, undoList } from './lib/util.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, 'large-mib': { type: 'string', default: '256' }, small: { type: 'string', default: '5000' }, 'tls-extra': { type: 'string', default: '' } } });
const reps = Number(values.reps);
const work = mkdtempSync(join(tmpdir(), 'fffocus-'));
const fs = await loopFs(join(work, 'fs'), { kind: 'ext4', sizeGiB: 4 });
const cleanup = undoList();
cleanup.push(() => fs.destroy());
const out = {};
try {
  makeLargeFiles(join(fs.mnt, 'src-large'), 2, (Number(values['large-mib']) / 2) * (1 << 20));
  makeSmallFiles(join(fs.mnt, 'src-small'), Number(values.small));
  mkdirSync(join(fs.mnt, 'tgt'));
  await exec('sync', []);
  const rsyncd = await startRsyncd(work, fs.mnt, cleanup);
  const pki = join(work, 'pki');
  const specs = [
    { name: 'src-large', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-large') } } },
    { name: 'src-small', extra: { source: { kind: 'dir', volume: join(fs.mnt, 'src-small') } } },
    { name: 'tgt', extra: { target: { kind: 'dir', path: join(fs.mnt, 'tgt') } } },
  ];
  await makeCerts(pki, specs.map((s) => s.name));
  const agents = await startAgents(work, pki, specs, cleanup);
  const { inv } = writeInventory(work, pki, agents);
  const list = connectInventory(inv);
  cleanup.push(() => closeAll(list));
  const nodes = new Map(list.map((n) => [n.name, n]));
  // the encrypted byte path alone (stunnel on both ends, no agents), as the bench's floors use it
  const pair = await startStunnelPair(work, pki, { rsyncd, sender: 'src-large', receiver: 'tgt' }, cleanup);
  const tgtLog = join(work, 'nodes', 'tgt', 'agent.log');

  let seq = 0;
  for (const set of ['large', 'small']) {
    const rows = { raw: [], rawFlags: [], rawFlagsTls: [], ff: [], openReceive: [], senderRsync: [], receiverRsync: [] };
    for (let i = 0; i < reps; i++) {
      const order = i % 2 === 0 ? ['raw', 'rawFlags', 'rawFlagsTls', 'ff'] : ['ff', 'rawFlagsTls', 'rawFlags', 'raw'];
      for (const which of order) {
        await exec('sync', []);
        if (which === 'raw') {
          rows.raw.push(await rawRsync(join(fs.mnt, `src-${set}`), rsyncd.url(`raw-${set}-${i}`)));
          await rmTree(join(fs.mnt, `raw-${set}-${i}`));
          continue;
        }
        if (which === 'rawFlags' || which === 'rawFlagsTls') {
          const rel = `${which}-${set}-${i}`;
          const from = join(fs.mnt, `src-${set}`);
          rows[which].push(await (which === 'rawFlags' ? rawRsync(from, rsyncd.url(rel), FF_FLAGS) : pair.push(from, rel, [...FF_FLAGS, ...values['tls-extra'].split(' ').filter(Boolean)])));
          await rmTree(join(fs.mnt, rel));
          continue;
        }
        const id = `20260101_${String(++seq).padStart(6, '0')}`;
        const src = nodes.get(`src-${set}`);
        const tgt = nodes.get('tgt');
        const entry = (await src.describe()).source.entry;
        await src.prepareSnapshot(id);
        const t0 = now();
        const ticket = await tgt.openReceive({ backupId: id, source: src.name, direction: 'backup', peer: src.name, entry });
        const t1 = now();
        const st = await src.performRsync({ backupId: id, ticket: ticket.ticket, receiverName: 'tgt', receiverHost: '127.0.0.1', receiverDataPort: ticket.dataPort, inplace: ticket.inplace, ...(ticket.native ? { receiverNative: true } : {}) });
        rows.ff.push(now() - t0);
        rows.openReceive.push(t1 - t0);
        rows.senderRsync.push(st.durationMs);
        const recv = readFileSync(tgtLog, 'utf8').split('\n').filter((l) => l.includes('"data channel: received"') && l.includes(id)).map((l) => JSON.parse(l));
        rows.receiverRsync.push(recv.at(-1)?.duration_ms ?? NaN);
        await src.removeSnapshot(id);
        await rmTree(join(fs.mnt, 'tgt', '.partial', id));
      }
      log(`${set} ${i + 1}/${reps}: raw ${round(rows.raw.at(-1))} ms, flags ${round(rows.rawFlags.at(-1))} ms, flags+TLS ${round(rows.rawFlagsTls.at(-1))} ms, ff ${round(rows.ff.at(-1))} ms (sender rsync ${rows.senderRsync.at(-1)} ms, receiver rsync ${rows.receiverRsync.at(-1)} ms)`);
    }
    out[set] = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, stats(v).median]));
    out[set].ratio = round(out[set].raw / out[set].ff, 3);
    out[set].ratioToTls = round(out[set].rawFlagsTls / out[set].ff, 3);
  }
  console.log(JSON.stringify(out, null, 2));
} finally {
  await cleanup.run();
  await rmTree(work).catch(() => {});
}
