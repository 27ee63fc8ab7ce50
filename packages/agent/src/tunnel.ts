#!/usr/bin/env -S -u NODE_OPTIONS node
/**
 * The data channel's client, run by the sending rsync as its --rsh:
 * `tunnel.js <host> rsync --server ...`. Everything it needs comes from its environment
 * (FF_TUNNEL_*, FF_TLS_*, FF_TLS_CRL if the agent has a tls.crl), never from argv: argv is
 * readable by every user via ps, and the host rsync passes is a placeholder. Exit 12 when the
 * receiver refuses (or its certificate is revoked), 2 when a file cannot be used.
 */
// first: rsync sends this root process SIGUSR1 when it fails, which would open node's inspector
import '@freezeframe/common/no-inspector';
import { RevocationList } from '@freezeframe/common/crl';
import { readFileSync } from 'node:fs';
import { connectDataChannel } from './datachannel/client.js';
import { readLine } from './datachannel/header.js';

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
  socket.write(JSON.stringify({ ticket, direction, args }) + '\n');
  let answer: { line: string; rest: Buffer };
  try {
    answer = await readLine(socket, 30_000);
  } catch (e) {
    fail(`${peer} did not answer: ${(e as Error).message}`, 12);
  }
  if (answer.line !== 'OK') fail(`${peer} refused: ${answer.line.replace(/^ERR /, '')}`, 12);
  if (answer.rest.length > 0) process.stdout.write(answer.rest);
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
  socket.resume();
  socket.once('end', () => process.stdout.write('', () => process.exit(0)));
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e), 12));
