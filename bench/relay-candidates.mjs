#!/usr/bin/env node
// The native byte path's candidates side by side (issue 10, PROFILE.md "Fifth pass"): the same
// rsync transfer (freezeframe's flags) through each way of carrying it over mutual TLS, timed in
// interleaved rounds next to raw rsync to a daemon. Stand-ins, not the product: no agent, no
// ticket, no gRPC; each candidate is only its byte path.
//   node bench/relay-candidates.mjs [--reps N] [--large-mib M] [--small N] [--out FILE]
// Needs root (a loop filesystem), stunnel4 (scripts/setup.sh installs it) and socat (apt-get install socat).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCerts } from './lib/agents.mjs';
import { makeLargeFiles, makeSmallFiles } from './lib/data.mjs';
import { loopFs } from './lib/fs.mjs';
import { startRsyncd } from './lib/rsyncd.mjs';
import { exec, findBinary, freePort, log, rmTree, round, sleep, spawnProcess, stats } from './lib/util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const relay = join(here, 'lib', 'relay.mjs');
const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, 'large-mib': { type: 'string', default: '512' }, small: { type: 'string', default: '20000' }, out: { type: 'string' } } });
const REPS = Number(values.reps);
const MiB = 1 << 20;
const FF_FLAGS = ['-aHAX', '--numeric-ids', '--delete', '--stats'];
const rsync = findBinary('rsync');

/** A long-running helper process; returns once `port` accepts connections. */
async function daemon(bin, args, port, env) {
  const p = spawnProcess({ bin, args, timeoutMs: 3600_000, env, okExitCodes: [0, -1, 143], maxStderr: 1 << 16 }, true);
  p.done.catch(() => {});
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((res) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), res(true)));
      c.once('error', () => res(false));
    });
    if (ok) return { stop: () => p.kill('SIGKILL') };
    await sleep(25);
  }
  p.kill('SIGKILL');
  throw new Error(`${bin} ${args.join(' ')} did not listen on ${port}`);
}

const work = mkdtempSync(join(tmpdir(), 'ffcand-'));
const largeBytes = Number(values['large-mib']) * MiB;
const small = Number(values.small);
const fs = await loopFs(join(work, 'fs'), { kind: 'ext4', sizeGiB: Math.max(4, Math.ceil((largeBytes * 2.5) / 2 ** 30) + 2) });
const stopAll = [];
const out = { reps: REPS, flags: FF_FLAGS, data: { large: { files: 2, bytes: largeBytes }, small: { files: small } }, candidates: {} };
try {
  const pki = join(work, 'pki');
  await makeCerts(pki, ['sender', 'receiver']);
  const ca = join(pki, 'ca.pem');
  const tls = (who) => ({ cert: join(pki, `${who}.pem`), key: join(pki, `${who}-key.pem`) });
  makeLargeFiles(join(fs.mnt, 'large'), 2, largeBytes / 2);
  makeSmallFiles(join(fs.mnt, 'small'), small);
  await exec('sync', []);
  const rsyncd = await startRsyncd(work, fs.mnt);
  stopAll.push(() => rsyncd.stop());

  // the server argv rsync's client asks for (what the receiver would check and run)
  const argsFile = join(work, 'server-args.json');
  writeFileSync(join(work, 'print-args.mjs'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(3))); process.exit(1);\n`);
  await exec(rsync, [...FF_FLAGS, '--rsh', `${process.execPath} ${join(work, 'print-args.mjs')}`, `${fs.mnt}/small/`, 'x:.'], { okExitCodes: [12, 255, 1, 5] }).catch(() => {});
  const serverArgs = JSON.parse(readFileSync(argsFile, 'utf8')).filter((a) => a !== 'rsync');
  // serverArgs: --server <flags...> . .  -> the receiver replaces the last with its own destination
  const serverArgv = (dest) => [...serverArgs.slice(0, -1), `${dest}/`];
  log(`server argv: ${serverArgv('DEST').join(' ')}`);

  const dst = (name) => join(fs.mnt, `dst-${name}`);
  const relayEnv = { RELAY_CA: ca, RELAY_CERT: tls('sender').cert, RELAY_KEY: tls('sender').key };
  const candidates = {};

  // 0. the baseline: rsync -a to an rsync daemon on loopback, no encryption
  candidates['raw: rsync -a to an rsync daemon (no TLS)'] = { args: (set) => ['-a', `${fs.mnt}/${set}/`, rsyncd.url('dst-raw/')], dest: dst('raw') };
  // what freezeframe's flags cost without any encryption or relay: the floor of every row below
  candidates["freezeframe's flags to the same daemon (no TLS)"] = { args: (set) => [...FF_FLAGS, `${fs.mnt}/${set}/`, rsyncd.url('dst-rawff/')], dest: dst('rawff') };

  // 1. today's byte path: node TLS on both sides (the tunnel and the agent's data channel, minus ticket and gRPC)
  {
    const pf = join(work, 'node-port');
    const p = spawnProcess({ bin: process.execPath, args: [relay, 'server', 'tls', pf, dst('node')], timeoutMs: 3600_000, env: { ...process.env, ...relayEnv }, okExitCodes: [0, -1, 143] }, true);
    p.done.catch(() => {});
    let nodePort = 0;
    for (let i = 0; i < 200 && !nodePort; i++) {
      try {
        nodePort = Number(readFileSync(pf, 'utf8'));
      } catch {}
      if (!nodePort) await sleep(25);
    }
    stopAll.push(() => p.kill('SIGKILL'));
    candidates['node TLS both sides (today: tunnel + data channel)'] = {
      args: (set) => [...FF_FLAGS, '--rsh', `${process.execPath} ${relay} client`, `${fs.mnt}/${set}/`, 'x:.'],
      env: { ...relayEnv, RELAY_KIND: 'tls', RELAY_PORT: String(nodePort) },
      dest: dst('node'),
    };
  }

  const socatTls = (who) => `cert=${tls(who).cert},key=${tls(who).key},cafile=${ca}`;
  // 2. socat (OpenSSL in C) on both sides; rsync attached to socat's pipes on the receiver
  {
    const port = await freePort();
    const d = await daemon(findBinary('socat'), ['-b', String(256 << 10), '-t', '0.05', `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,verify=1,${socatTls('receiver')},commonname=sender`, `EXEC:${[rsync, ...serverArgv(dst('socat'))].join(' ')}`], port);
    stopAll.push(d.stop);
    candidates['socat both sides (OpenSSL in C; receiver EXECs rsync)'] = {
      args: (set) => [...FF_FLAGS, '--rsh', `sh -c 'exec socat -b ${256 << 10} -t 0.05 STDIO OPENSSL:127.0.0.1:${port},verify=1,${socatTls('sender')},commonname=receiver'`, `${fs.mnt}/${set}/`, 'x:.'],
      dest: dst('socat'),
    };
  }

  // 3. node TLS sender (today's tunnel) into socat on the receiver, which runs a node checker per
  //    connection: it reads the header line, then spawns rsync on its own inherited descriptors
  //    (node checks, C carries the bytes on the receiving side)
  {
    const port = await freePort();
    const d = await daemon(findBinary('socat'), ['-b', String(256 << 10), '-t', '0.05', `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,verify=1,${socatTls('receiver')}`, `EXEC:${process.execPath} ${relay} checker ${dst('checker')}`], port);
    stopAll.push(d.stop);
    candidates['node TLS sender -> socat receiver + node checker (rsync on inherited fds)'] = {
      args: (set) => [...FF_FLAGS, '--rsh', `${process.execPath} ${relay} client`, `${fs.mnt}/${set}/`, 'x:.'],
      env: { ...relayEnv, RELAY_KIND: 'tls', RELAY_PORT: String(port) },
      dest: dst('checker'),
    };
  }

  // 4. stunnel on both sides (inetd mode on the sender, exec on the receiver)
  {
    const port = await freePort();
    const srvConf = join(work, 'stunnel-server.conf');
    writeFileSync(
      srvConf,
      ['foreground = yes', 'pid =', 'debug = 3', 'TIMEOUTclose = 0', '[rsync]', `accept = 127.0.0.1:${port}`, `cert = ${tls('receiver').cert}`, `key = ${tls('receiver').key}`, `CAfile = ${ca}`, 'verifyChain = yes', 'requireCert = yes', `exec = ${rsync}`, `execArgs = rsync ${serverArgv(dst('stunnel')).join(' ')}`, ''].join('\n'),
    );
    const cliConf = join(work, 'stunnel-client.conf');
    writeFileSync(cliConf, ['pid =', 'debug = 3', 'TIMEOUTclose = 0', 'client = yes', `connect = 127.0.0.1:${port}`, `cert = ${tls('sender').cert}`, `key = ${tls('sender').key}`, `CAfile = ${ca}`, 'verifyChain = yes', 'checkHost = localhost', ''].join('\n'));
    const d = await daemon(findBinary('stunnel4'), [srvConf], port);
    stopAll.push(d.stop);
    candidates['stunnel both sides'] = { args: (set) => [...FF_FLAGS, '--rsh', `sh -c 'exec stunnel4 ${cliConf}'`, `${fs.mnt}/${set}/`, 'x:.'], dest: dst('stunnel') };
  }

  for (const set of ['large', 'small']) {
    out.candidates[set] = {};
    const labels = Object.keys(candidates);
    const runs = Object.fromEntries(labels.map((l) => [l, []]));
    for (const l of labels) mkdirSync(candidates[l].dest, { recursive: true });
    for (let r = 0; r < REPS; r++) {
      // interleaved, alternating order: drift in load hits every candidate alike
      for (const l of r % 2 ? [...labels].reverse() : labels) {
        const c = candidates[l];
        await exec('sync', []);
        const res = await exec(rsync, c.args(set), { env: { ...process.env, ...c.env } });
        runs[l].push(res.durationMs);
        await rmTree(c.dest);
        mkdirSync(c.dest, { recursive: true });
      }
    }
    const raw = stats(runs[labels[0]]).median;
    for (const l of labels) {
      const s = stats(runs[l]);
      out.candidates[set][l] = { ...s, ratioOfRaw: round(raw / s.median) };
    }
    log(`${set}:`);
    for (const l of labels) log(`  ${String(out.candidates[set][l].median).padStart(9)} ms  ratio ${String(out.candidates[set][l].ratioOfRaw).padEnd(5)} ${l}`);
  }
  out.load = loadavg().map((x) => round(x));
} finally {
  for (const s of stopAll.reverse()) await s();
  await fs.destroy();
  await exec('rm', ['-rf', '--one-file-system', work]).catch(() => {});
}
const file = values.out ?? join(here, 'results', 'relay-candidates.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
log(`relay candidates: ${file}`);
