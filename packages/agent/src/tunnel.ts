#!/usr/bin/env -S -u NODE_OPTIONS node
/**
 * The data channel's client, run by the sending rsync as its --rsh:
 * `tunnel.js <host> rsync --server ...`. Everything it needs comes from its environment
 * (FF_TUNNEL_*, FF_TLS_*, FF_TLS_CRL if the agent has a tls.crl), never from argv: argv is
 * readable by every user via ps, and the host rsync passes is a placeholder. Exit 12 when the
 * receiver refuses (or its certificate is revoked), 2 when a file cannot be used.
 *
 * With FF_TUNNEL_STUNNEL (the agent found stunnel) it asks for the native byte path; a receiver
 * that answers `OK native <port>` gets rsync's bytes from stunnel on rsync's own pipes, and this
 * process only waits (datachannel/stunnel.ts). Its files for stunnel go in FF_TUNNEL_DIR, the
 * transfer's folder under the agent's runDir, which the agent removes when rsync ends.
 */
// first: rsync sends this root process SIGUSR1 when it fails, which would open node's inspector
import '@freezeframe/common/no-inspector';
import { RevocationList } from '@freezeframe/common/crl';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { askSession, connectDataChannel, type SessionAnswer } from './datachannel/client.js';
import { senderConfig } from './datachannel/stunnel.js';

// Only node built-ins here (no-inspector is one file of them, crl two): rsync starts this program once per transfer, and loading
// @freezeframe/common (grpc, zod, pino) would add about a second to every start.

function fail(msg: string, code: number): never {
  process.stderr.write(`freezeframe tunnel: ${msg}\n`);
  process.exit(code);
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) fail(`${name} is not set (the tunnel is started by the agent's rsync, not by hand)`, 2);
  return v;
}

async function main(): Promise<void> {
  const host = env('FF_TUNNEL_HOST');
  const port = Number(env('FF_TUNNEL_PORT'));
  const ticket = env('FF_TUNNEL_TICKET');
  const peer = env('FF_TUNNEL_PEER');
  const direction = env('FF_TUNNEL_DIRECTION');
  const read = (what: string, p: string) => {
    try {
      return readFileSync(p);
    } catch (e) {
      fail(`cannot read ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 2);
    }
  };
  const ca = read('CA', env('FF_TLS_CA'));
  const cert = read('certificate', env('FF_TLS_CERT'));
  const key = read('key', env('FF_TLS_KEY'));
  let crl: RevocationList | undefined;
  try {
    const crlFile = process.env.FF_TLS_CRL;
    if (crlFile) crl = RevocationList.load(crlFile, ca);
  } catch (e) {
    fail((e as Error).message, 2);
  }
  // argv: [node, tunnel.js, <host>, rsync, --server, ...]
  const args = process.argv.slice(3);

  let socket: Awaited<ReturnType<typeof connectDataChannel>>;
  try {
    socket = await connectDataChannel({ host, port, peer, ca, cert, key, ...(crl ? { crl } : {}) });
  } catch (e) {
    fail(`${host}:${port} (${peer}): ${(e as Error).message}`, 12);
  }
  socket.on('error', (e) => fail(`${host}:${port} (${peer}): ${e.message}`, 12));
  const stunnel = process.env.FF_TUNNEL_STUNNEL;
  const dir = stunnel ? env('FF_TUNNEL_DIR') : undefined;
  let answer: SessionAnswer;
  try {
    answer = await askSession(socket, { ticket, direction, args, ...(stunnel ? { native: true } : {}) });
  } catch (e) {
    fail(`${peer} did not answer: ${(e as Error).message}`, 12);
  }
  if (answer.kind === 'native' && stunnel && dir) {
    // from here on the transfer's fate is stunnel's: the control connection closing (the
    // receiver ends it once its rsync is done) must not end this process before stunnel's
    socket.removeAllListeners('error');
    socket.on('error', () => undefined);
    const code = await viaStunnel(stunnel, socket, { host, port: answer.port, ca, cert: env('FF_TLS_CERT'), key: env('FF_TLS_KEY'), dir });
    socket.destroy();
    process.exit(code);
  }
  if (answer.kind !== 'relay') fail(`${peer} refused: ${answer.kind === 'refused' ? answer.reason : 'the native byte path, which it was not asked for'}`, 12);
  if (answer.rest.length > 0) process.stdout.write(answer.rest);
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
  socket.resume();
  socket.once('end', () => process.stdout.write('', () => process.exit(0)));
}

/**
 * Runs the sender's stunnel on this process's stdin and stdout (rsync's pipes), trusting only
 * the receiver's certificate this data-channel connection was verified with; returns the exit
 * code for rsync (12 when stunnel failed).
 */
async function viaStunnel(bin: string, socket: TLSSocket, o: { host: string; port: number; ca: Buffer; cert: string; key: string; dir: string }): Promise<number> {
  // 0700; a kill of rsync's process group skips the removal below, the agent's of o.dir does not
  const dir = mkdtempSync(join(o.dir, 'ff-tunnel-'));
  try {
    const config = await senderConfig({ ...o, peerDer: socket.getPeerCertificate(true).raw, dir });
    // not common's runner (its imports would cost every transfer about a second, see above):
    // argv array, no shell; stunnel ends when rsync closes its pipes or the receiver its socket
    const child = spawn(bin, ['-fd', '3'], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], shell: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } });
    (child.stdio[3] as NodeJS.WritableStream).end(config);
    const code = await new Promise<number>((resolve) => {
      child.once('error', (e) => {
        process.stderr.write(`freezeframe tunnel: cannot start ${bin}: ${e.message}\n`);
        resolve(12);
      });
      child.once('exit', (c) => resolve(c === 0 ? 0 : 12));
    });
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e), 12));
