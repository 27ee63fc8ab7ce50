// The encrypted byte path alone, for the raw rows: rsync -> stunnel (client) -> stunnel (server)
// -> an rsync daemon, all on loopback, mutual TLS with the bench's certificates. It is what the
// native byte path carries rsync's bytes through (two stunnels, AES-128-GCM first), without
// agents, tickets, node or records.
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { rawRsync } from './rsyncd.mjs';
import { findBinary, freePort, sleep, spawnProcess } from './util.mjs';

// the product's preference (packages/agent/src/datachannel/stunnel.ts)
const TLS = ['sslVersionMin = TLSv1.2', 'ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384', 'verifyChain = yes', 'TIMEOUTclose = 0'];

async function listening(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((res) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), res(true)));
      c.once('error', () => res(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`stunnel did not listen on ${port}`);
}

/**
 * Starts both stunnels in front of the daemon `o.rsyncd` (lib/rsyncd.mjs). `pki` holds ca.pem and
 * `<name>.pem`/`<name>-key.pem`; `o.name` tells apart the configuration files of pairs in one
 * folder. The pair runs its own copies, so every copy through it, and only those, carries what
 * both stunnels logged in its error: `push(from, rel, flags)` copies the folder `from` to the
 * daemon's `rel`, `pull(rel, to, flags)` the other way; both resolve to rsync's milliseconds.
 * The pair's stop goes onto `undo` (an undoList) before a stunnel starts.
 */
export async function startStunnelPair(dir, pki, o, undo) {
  const serverPort = await freePort();
  let port = await freePort();
  while (port === serverPort) port = await freePort();
  const logs = { server: [], client: [] };
  const logText = () => Object.entries(logs).map(([who, lines]) => `stunnel ${who}: ${lines.length ? lines.join(' | ') : 'nothing logged'}`).join('\n');
  const cert = (who) => [`cert = ${join(pki, `${who}.pem`)}`, `key = ${join(pki, `${who}-key.pem`)}`, `CAfile = ${join(pki, 'ca.pem')}`];
  const conf = (name, lines) => {
    const file = join(dir, `stunnel-${o.name ? `${o.name}-` : ''}${name}.conf`);
    writeFileSync(file, ['foreground = yes', 'pid =', 'syslog = no', 'debug = 5', 'socket = l:TCP_NODELAY=1', 'socket = r:TCP_NODELAY=1', `[${name}]`, ...lines, ...TLS, ''].join('\n'));
    return file;
  };
  const server = conf('server', [`accept = 127.0.0.1:${serverPort}`, `connect = 127.0.0.1:${o.rsyncd.port}`, ...cert(o.receiver), 'requireCert = yes']);
  const client = conf('client', ['client = yes', `accept = 127.0.0.1:${port}`, `connect = 127.0.0.1:${serverPort}`, ...cert(o.sender)]);
  const procs = [];
  const stop = async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.done.catch(() => undefined)));
  };
  undo?.push(stop);
  try {
    for (const [who, file, p] of [['server', server, serverPort], ['client', client, port]]) {
      const onStderrLine = (line) => {
        logs[who].push(line);
        if (logs[who].length > 20) logs[who].shift();
      };
      const s = spawnProcess({ bin: findBinary('stunnel4'), args: [file], timeoutMs: 24 * 3600_000, okExitCodes: [0, -1], onStderrLine }, true);
      s.done.catch(() => undefined);
      procs.push(s);
      await listening(p);
      // another program on the port would have answered for a stunnel that could not bind it
      if (s.child.exitCode !== null) throw new Error(`stunnel ${who} exited (${s.child.exitCode}) on port ${p}:\n${logText()}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const url = (rel) => o.rsyncd.url(rel).replace(`:${o.rsyncd.port}/`, `:${port}/`);
  // the hop that failed is in the stunnels' logs (a refused connect, a TLS alert), not in rsync's
  const explained = (promise) =>
    promise.catch((e) => {
      e.message = `${e.message}\n${logText()}`;
      throw e;
    });
  return {
    push: (from, rel, flags) => explained(rawRsync(from, url(rel), flags)),
    pull: (rel, to, flags) => explained(rawRsync(url(rel), to, flags)),
    stop,
  };
}
