// Profiling stand-ins for the data channel, to take it apart piece by piece:
//   node relay.mjs server tcp|tls <port-file> <dest>   accepts one JSON header line {args}, runs
//                                                      `rsync --server <args> . <dest>/` piped to the socket
//   node relay.mjs client                               rsync's --rsh: pipes stdin/stdout to RELAY_PORT
//   node relay.mjs sink tcp|tls <port-file>            counts bytes of every connection (throughput)
//   node relay.mjs source tcp|tls <port> <MiB> [cipher] writes MiB from memory, prints MB/s
//   node relay.mjs checker <dest>                      behind a TLS terminator (socat EXEC): reads the
//                                                      header line from fd 0 byte by byte (nothing past
//                                                      it), then runs rsync --server on the inherited fds
// TLS uses RELAY_CA/RELAY_CERT/RELAY_KEY (the bench's agent certificates).
import { spawn } from 'node:child_process';
import { readFileSync, readSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

const [mode, kind, a1, a2, a3] = process.argv.slice(2);

if (mode === 'checker') {
  const one = Buffer.alloc(1);
  const line = [];
  for (;;) {
    if (readSync(0, one, 0, 1, null) !== 1) process.exit(12);
    if (one[0] === 10) break;
    line.push(one[0]);
  }
  const { args } = JSON.parse(Buffer.from(line).toString());
  const srvArgs = args.slice(args.indexOf('--server'));
  const child = spawn('/usr/bin/rsync', [...srvArgs.slice(0, -2), '.', `${kind}/`], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
}
const creds = () => ({ ca: readFileSync(process.env.RELAY_CA), cert: readFileSync(process.env.RELAY_CERT), key: readFileSync(process.env.RELAY_KEY) });
const listen = (k, onConn) => {
  const srv = k === 'tls' ? tls.createServer({ ...creds(), requestCert: true, rejectUnauthorized: true }, onConn) : net.createServer(onConn);
  srv.listen(0, '127.0.0.1', () => writeFileSync(a1, String(srv.address().port)));
};
const connect = (k, port, extra = {}) =>
  k === 'tls' ? tls.connect({ host: '127.0.0.1', port, ...creds(), checkServerIdentity: () => undefined, ...extra }) : net.connect({ host: '127.0.0.1', port });

if (mode === 'server') {
  listen(kind, (sock) => {
    let buf = Buffer.alloc(0);
    const onData = (b) => {
      buf = Buffer.concat([buf, b]);
      const i = buf.indexOf(10);
      if (i < 0) return;
      sock.off('data', onData);
      sock.pause();
      const { args } = JSON.parse(buf.subarray(0, i).toString());
      const srvArgs = args.slice(args.indexOf('--server'));
      const child = spawn('/usr/bin/rsync', [...srvArgs.slice(0, -2), '.', `${a2}/`], { stdio: ['pipe', 'pipe', 'inherit'] });
      const rest = buf.subarray(i + 1);
      if (rest.length) child.stdin.write(rest);
      sock.pipe(child.stdin);
      child.stdout.pipe(sock);
      sock.resume();
      child.on('exit', () => sock.end());
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  });
} else if (mode === 'client') {
  const k = process.env.RELAY_KIND;
  const sock = connect(k, Number(process.env.RELAY_PORT));
  const go = () => {
    sock.write(JSON.stringify({ args: process.argv.slice(4) }) + '\n');
    process.stdin.pipe(sock);
    sock.pipe(process.stdout);
    sock.once('end', () => process.stdout.write('', () => process.exit(0)));
  };
  if (k === 'tls') sock.once('secureConnect', go);
  else sock.once('connect', go);
} else if (mode === 'sink') {
  listen(kind, (sock) => {
    sock.on('data', () => {});
    sock.on('error', () => {});
  });
} else if (mode === 'source') {
  const mib = Number(a2);
  const chunk = Buffer.alloc(1 << 20, 7);
  const sock = connect(kind, Number(a1), a3 ? { ciphers: a3 } : {});
  const ready = kind === 'tls' ? 'secureConnect' : 'connect';
  sock.once(ready, async () => {
    const t0 = performance.now();
    for (let i = 0; i < mib; i++) if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
    sock.end(() => {
      const s = (performance.now() - t0) / 1000;
      process.stdout.write(JSON.stringify({ mbPerS: (mib * 1.048576) / s, cipher: kind === 'tls' ? sock.getCipher().name : 'none' }) + '\n');
      process.exit(0);
    });
  });
}
