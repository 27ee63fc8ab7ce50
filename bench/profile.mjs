#!/usr/bin/env node
// Takes freezeframe's data channel apart and times each piece alone (see PROFILE.md):
//   node bench/profile.mjs [--quick]   -> bench/results/profile.json (or results/quick/profile.json)
// Needs root (a loop filesystem) and the built packages.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCerts, startAgents, stopAgents, agentMem } from './lib/agents.mjs';
import { makeLargeFiles, makeSmallFiles } from './lib/data.mjs';
import { loopFs } from './lib/fs.mjs';
import { startRsyncd } from './lib/rsyncd.mjs';
import { exec, log, now, rmTree, round, sleep, spawnProcess, stats, undoList } from './lib/util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const REPS = quick ? 2 : 5;
const MiB = 1 << 20;
const relay = join(here, 'lib', 'relay.mjs');
const tunnel = join(here, '..', 'packages', 'agent', 'dist', 'tunnel.js');
const out = {};

async function rep(n, fn) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(await fn(i));
  return stats(xs);
}

async function startHelper(args, env) {
  const portFile = join(tmpdir(), `ffprof-port-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const p = spawnProcess({ bin: process.execPath, args: [relay, ...args.slice(0, 1), args[1], portFile, ...args.slice(2)], timeoutMs: 3600_000, env, okExitCodes: [0, -1, 143] });
  p.done.catch(() => {});
  for (let i = 0; i < 200; i++) {
    try {
      const port = Number(readFileSync(portFile, 'utf8'));
      if (port) return { port, stop: () => p.kill('SIGKILL') };
    } catch {}
    await sleep(25);
  }
  p.kill('SIGKILL');
  throw new Error(`relay ${args.join(' ')} did not listen`);
}

const work = mkdtempSync(join(tmpdir(), 'ffprof-'));
const fs = await loopFs(join(work, 'fs'), { kind: 'ext4', sizeGiB: quick ? 2 : 12 });
const cleanup = undoList();
cleanup.push(() => fs.destroy());
try {
  const pki = join(work, 'pki');
  await makeCerts(pki, ['p-a', 'p-b']);
  const env = { RELAY_CA: join(pki, 'ca.pem'), RELAY_CERT: join(pki, 'p-a.pem'), RELAY_KEY: join(pki, 'p-a-key.pem') };

  log('process start-up');
  out.startup = {
    nodeEmptyMs: await rep(REPS * 2, async () => (await exec(process.execPath, ['-e', '0'])).durationMs),
    tunnelJsMs: await rep(REPS * 2, async () => (await exec(process.execPath, [tunnel, 'h', 'rsync'], { okExitCodes: [2] })).durationMs),
    rsyncVersionMs: await rep(REPS * 2, async () => (await exec('rsync', ['--version'])).durationMs),
  };
  const agentStart = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    mkdirSync(join(fs.mnt, `p-src-${i}`), { recursive: true });
    const t0 = now();
    const [a] = await startAgents(join(work, `ag-${i}`), pki, [{ name: 'p-a', extra: { source: { kind: 'dir', volume: join(fs.mnt, `p-src-${i}`) } } }], cleanup);
    agentStart.push(now() - t0);
    await sleep(1000);
    out.agentIdleRssMb = agentMem(a)?.rssMb;
    await stopAgents([a]);
  }
  out.startup.agentToListeningMs = stats(agentStart);

  log('socket throughput: node net vs node tls, one connection, separate processes');
  const mib = quick ? 128 : 1024;
  out.socketMbPerS = {};
  for (const [label, kind, cipher] of [
    ['tcp (node net)', 'tcp', undefined],
    ['tls default', 'tls', undefined],
    ['tls TLS_AES_128_GCM_SHA256', 'tls', 'TLS_AES_128_GCM_SHA256'],
    ['tls TLS_CHACHA20_POLY1305_SHA256', 'tls', 'TLS_CHACHA20_POLY1305_SHA256'],
  ]) {
    const sink = await startHelper(['sink', kind], env);
    let name = '';
    const s = await rep(REPS, async () => {
      const r = await exec(process.execPath, [relay, 'source', kind, String(sink.port), String(mib), ...(cipher ? [cipher] : [])], { env });
      const j = JSON.parse(r.stdout);
      name = j.cipher;
      return j.mbPerS;
    });
    sink.stop();
    out.socketMbPerS[label] = { ...s, cipher: name };
  }
  out.opensslSpeed = (await exec('openssl', ['speed', '-seconds', '1', '-bytes', '16384', '-evp', 'aes-128-gcm']).catch((e) => ({ stdout: e.message }))).stdout.split('\n').filter((l) => /aes-128-gcm/i.test(l)).pop();

  log('rsync ladder: large and small files');
  const largeBytes = quick ? 256 * MiB : 1024 * MiB;
  makeLargeFiles(join(fs.mnt, 'large'), 2, largeBytes / 2);
  const small = quick ? 5000 : 50_000;
  makeSmallFiles(join(fs.mnt, 'small'), small);
  await exec('sync', []);
  const rsyncd = await startRsyncd(work, fs.mnt);
  cleanup.push(() => rsyncd.stop());
  const FF_FLAGS = ['-aHAX', '--numeric-ids', '--delete', '--info=progress2', '--stats'];
  const relays = {};
  for (const k of ['tcp', 'tls']) relays[k] = await startHelper(['server', k, join(fs.mnt, `relay-dst-${k}`)], env);
  mkdirSync(join(fs.mnt, 'relay-dst-tcp'), { recursive: true });
  mkdirSync(join(fs.mnt, 'relay-dst-tls'), { recursive: true });
  const variants = {
    'rsync -a, daemon on loopback (raw baseline)': (set) => ['-a', `${fs.mnt}/${set}/`, rsyncd.url('d-daemon/')],
    'rsync -a, local (pipe between sender and receiver)': (set) => ['-a', `${fs.mnt}/${set}/`, `${fs.mnt}/d-local/`],
    'rsync -a --numeric-ids -H, local': (set) => ['-aH', '--numeric-ids', `${fs.mnt}/${set}/`, `${fs.mnt}/d-local/`],
    'rsync -a -A -X --numeric-ids, local': (set) => ['-aAX', '--numeric-ids', `${fs.mnt}/${set}/`, `${fs.mnt}/d-local/`],
    'rsync with freezeframe flags (-aHAX --numeric-ids --delete --info=progress2 --stats), local': (set) => [...FF_FLAGS, `${fs.mnt}/${set}/`, `${fs.mnt}/d-local/`],
    'freezeframe flags over a node relay, plain TCP': (set) => [...FF_FLAGS, '--rsh', `${process.execPath} ${relay} client`, `${fs.mnt}/${set}/`, 'x:.'],
    'freezeframe flags over a node relay, TLS (the data channel minus agent and gRPC)': (set) => [...FF_FLAGS, '--rsh', `${process.execPath} ${relay} client`, `${fs.mnt}/${set}/`, 'x:.'],
  };
  const dstOf = (label) => (label.includes('daemon') ? join(fs.mnt, 'd-daemon') : label.includes('TLS') ? join(fs.mnt, 'relay-dst-tls') : label.includes('TCP') ? join(fs.mnt, 'relay-dst-tcp') : join(fs.mnt, 'd-local'));
  out.ladder = {};
  for (const set of ['large', 'small']) {
    out.ladder[set] = {};
    const labels = Object.keys(variants);
    const runs = Object.fromEntries(labels.map((l) => [l, []]));
    // interleaved: every variant once per round, so drift hits all alike
    for (let r = 0; r < REPS; r++) {
      for (const l of r % 2 ? [...labels].reverse() : labels) {
        const kind = l.includes('TLS') ? 'tls' : 'tcp';
        await exec('sync', []);
        const res = await exec('rsync', variants[l](set), { env: { ...env, RELAY_KIND: kind, RELAY_PORT: String(relays[kind].port) } });
        runs[l].push(res.durationMs);
        await rmTree(dstOf(l));
        mkdirSync(dstOf(l), { recursive: true });
      }
    }
    for (const l of labels) out.ladder[set][l] = stats(runs[l]);
    out.ladder[set].data = set === 'large' ? { files: 2, bytes: largeBytes } : { files: small };
    log(`  ${set}: ${labels.map((l) => `${l.slice(0, 40)}=${out.ladder[set][l].median}`).join('; ')}`);
  }
  for (const k of Object.keys(relays)) relays[k].stop();
} finally {
  await cleanup.run();
  await exec('rm', ['-rf', '--one-file-system', work]).catch(() => {});
}
const dir = join(here, 'results', quick ? 'quick' : '');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'profile.json'), JSON.stringify(out, null, 2) + '\n');
log(`profile: ${join(dir, 'profile.json')}`);
