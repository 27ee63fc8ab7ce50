#!/usr/bin/env node
// A hostile sender's --rsh: like packages/agent/dist/tunnel.js (same header, real TLS with a
// peer's certificate), but it rewrites the stream the local rsync sends, so a real rsync can
// deliver a file list no honest rsync would send. Test code only.
//   FF_TUNNEL_HOST/PORT/TICKET/DIRECTION, FF_TLS_CA/CERT/KEY: as for the real tunnel
//   FF_HOSTILE_REPLACE: JSON [[from, to], ...], equal lengths, replaced in sender->receiver bytes
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

// rsync sends its --rsh child SIGUSR1 when it fails: without a listener node would open an inspector (see no-inspector.ts)
process.on('SIGUSR1', () => undefined);

const env = (k) => {
  const v = process.env[k];
  if (!v) {
    process.stderr.write(`hostile tunnel: ${k} not set\n`);
    process.exit(2);
  }
  return v;
};
const pairs = JSON.parse(process.env.FF_HOSTILE_REPLACE ?? '[]').map(([a, b]) => {
  if (a.length !== b.length) throw new Error(`replacement ${a} -> ${b} changes the length`);
  return [Buffer.from(a), Buffer.from(b)];
});
const args = process.argv.slice(3);

const socket = tls.connect({
  host: env('FF_TUNNEL_HOST'),
  port: Number(env('FF_TUNNEL_PORT')),
  ca: readFileSync(env('FF_TLS_CA')),
  cert: readFileSync(env('FF_TLS_CERT')),
  key: readFileSync(env('FF_TLS_KEY')),
  checkServerIdentity: () => undefined,
});
socket.on('error', (e) => {
  process.stderr.write(`hostile tunnel: ${e.message}\n`);
  process.exit(12);
});
socket.once('secureConnect', () => {
  socket.write(JSON.stringify({ ticket: env('FF_TUNNEL_TICKET'), direction: env('FF_TUNNEL_DIRECTION'), args }) + '\n');
  let head = '';
  const onHead = (b) => {
    head += b.toString('latin1');
    const i = head.indexOf('\n');
    if (i < 0) return;
    socket.off('data', onHead);
    const line = head.slice(0, i);
    if (line !== 'OK') {
      process.stderr.write(`hostile tunnel: refused: ${line}\n`);
      process.exit(12);
    }
    const rest = Buffer.from(head.slice(i + 1), 'latin1');
    if (rest.length) process.stdout.write(rest);
    socket.pipe(process.stdout);
    pump();
  };
  socket.on('data', onHead);
});

// Holds back only a tail that could start a marker, so the interactive protocol never stalls.
function pump() {
  let carry = Buffer.alloc(0);
  process.stdin.on('data', (b) => {
    const buf = Buffer.concat([carry, b]);
    for (const [from, to] of pairs) {
      for (let k = buf.indexOf(from); k >= 0; k = buf.indexOf(from, k + to.length)) to.copy(buf, k);
    }
    let keep = 0;
    for (const [from] of pairs) {
      for (let n = Math.min(from.length - 1, buf.length); n > keep; n--) {
        if (buf.subarray(buf.length - n).equals(from.subarray(0, n))) {
          keep = n;
          break;
        }
      }
    }
    socket.write(buf.subarray(0, buf.length - keep));
    carry = Buffer.from(buf.subarray(buf.length - keep));
  });
  process.stdin.on('end', () => socket.end(carry));
  socket.once('end', () => process.stdout.write('', () => process.exit(0)));
}
