import * as tls from 'node:tls';
import { certIdentity, errorMessage, findBinary, isFfError, spawnProcess, type Logger, type TlsMaterial } from '@freezeframe/common';
import type { Ticket, TicketBook } from '../tickets.js';
import { validateServerArgs } from './allowlist.js';
import { readLine } from './header.js';
import { DATA_CIPHERS, DATA_HIGH_WATER_MARK } from './tuning.js';

/**
 * The receiving end of the data channel: a plain TLS listener (same CA and certificates as
 * gRPC, client certificate required). A plain socket instead of a gRPC stream because grpc-js
 * moves about 0.5 GB/s on loopback, half of what rsync alone does.
 *
 * Protocol: the client sends one JSON line {ticket, direction, args}; the server answers
 * `OK\n` or `ERR <message>\n`; after OK the connection is rsync's stdin/stdout.
 */
export interface DataChannelOptions {
  tls: TlsMaterial;
  tickets: TicketBook;
  log: Logger;
  /** Longest a single rsync may run. */
  rsyncTimeoutMs?: number;
  headerTimeoutMs?: number;
  /** Called when a session starts and ends (the target lock watches it). */
  onSession?: (t: Ticket, state: 'start' | 'end', ok: boolean) => void;
}

/** A receiving rsync that failed: the sender only sees a broken pipe; the cause is here. */
export interface ReceiveFailure {
  backupId: string;
  source: string;
  direction: Ticket['direction'];
  atMs: number;
  message: string;
}

/** Failures kept, and for how long: enough for the director to ask right after a failed transfer. */
const FAILURES_KEPT = 32;
const FAILURES_TTL_MS = 3_600_000;
/** The end of rsync's stderr carries its reason (e.g. "write failed on ...: No space left on device"). */
const FAILURE_MESSAGE_CHARS = 600;

export interface DataChannel {
  server: tls.Server;
  /** Sessions with rsync running. */
  active(): number;
  /** Receiving rsyncs that failed in the last hour, oldest first. */
  recentFailures(): ReceiveFailure[];
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

export function createDataChannel(o: DataChannelOptions): DataChannel {
  let active = 0;
  let failures: ReceiveFailure[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    ca: o.tls.ca,
    cert: o.tls.cert,
    key: o.tls.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ciphers: DATA_CIPHERS,
    honorCipherOrder: true,
    highWaterMark: DATA_HIGH_WATER_MARK,
  });
  server.on('tlsClientError', (e, s) => {
    o.log.warn({ err: e.message, remote: s.remoteAddress }, 'data channel: TLS handshake refused');
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handle(socket).catch((e: unknown) => {
      o.log.error({ err: errorMessage(e) }, 'data channel: session failed');
      socket.destroy();
    });
  });

  async function handle(socket: tls.TLSSocket): Promise<void> {
    const connected = Date.now();
    // rsync's protocol has small request/answer exchanges (file list, checksums): no Nagle delay
    socket.setNoDelay(true);
    const peer = certIdentity(socket.getPeerCertificate());
    const remote = socket.remoteAddress;
    socket.on('error', (e) => o.log.warn({ peer, remote, err: e.message }, 'data channel: socket error'));
    let header: { line: string; rest: Buffer };
    try {
      header = await readLine(socket, o.headerTimeoutMs ?? 10_000);
    } catch (e) {
      o.log.warn({ peer, remote, err: errorMessage(e) }, 'data channel: no header');
      socket.destroy();
      return;
    }
    let ticket: Ticket;
    let opts: string[];
    try {
      let msg: { ticket?: unknown; direction?: unknown; args?: unknown };
      try {
        msg = JSON.parse(header.line) as typeof msg;
      } catch {
        throw new Error('first line is not JSON');
      }
      ticket = o.tickets.redeem({ ticket: msg.ticket, peer, direction: msg.direction });
      opts = validateServerArgs(msg.args);
    } catch (e) {
      const why = errorMessage(e).replaceAll('\n', ' ').slice(0, 500);
      const result = isFfError(e) ? e.code : 'INVALID_ARGUMENT';
      o.log.warn({ audit: true, caller: peer, remote, rpc: 'DataChannel', result, duration_ms: Date.now() - connected, err: why }, 'data channel: refused');
      socket.end(`ERR ${why}\n`);
      return;
    }
    // the receiver's own options (link-dest, inplace) come from the ticket, never the client
    const extra = ticket.rsyncOptions.filter((x) => !opts.includes(x));
    const args = ['--server', ...opts, ...extra, '.', `${ticket.path.replace(/\/+$/, '')}/`];
    const log = o.log.child({ backup_id: ticket.backupId, peer, entry: ticket.entry, direction: ticket.direction });
    log.info({ args }, 'data channel: receiving');
    socket.write('OK\n');
    active++;
    o.onSession?.(ticket, 'start', true);
    const started = Date.now();
    const proc = spawnProcess({ bin: findBinary('rsync'), args, timeoutMs: o.rsyncTimeoutMs ?? 24 * 3_600_000, logger: log }, true);
    if (header.rest.length > 0) proc.child.stdin!.write(header.rest);
    socket.pipe(proc.child.stdin!);
    proc.child.stdout!.pipe(socket);
    socket.resume();
    // a peer that vanishes mid-transfer must not leave rsync waiting for the rest
    socket.once('close', () => proc.kill());
    let ok = false;
    try {
      const r = await proc.done;
      ok = true;
      log.info(
        { audit: true, caller: peer, remote, rpc: 'DataChannel', result: 'ok', code: r.code, duration_ms: Date.now() - started, bytes_in: socket.bytesRead, bytes_out: socket.bytesWritten },
        'data channel: received',
      );
    } catch (e) {
      log.error(
        { audit: true, caller: peer, remote, rpc: 'DataChannel', result: 'TRANSFER_FAILED', err: errorMessage(e).slice(0, 2000), duration_ms: Date.now() - started, bytes_in: socket.bytesRead },
        'data channel: rsync failed',
      );
      const stderr = isFfError(e) && typeof e.details?.stderr === 'string' ? e.details.stderr.trim() : '';
      const code = isFfError(e) && typeof e.details?.exitCode === 'number' ? `rsync exited with ${e.details.exitCode}` : errorMessage(e).split('\n')[0]!;
      const message = `${code}${stderr ? `: ${stderr.slice(-FAILURE_MESSAGE_CHARS)}` : ''}`;
      failures = [...failures, { backupId: ticket.backupId, source: ticket.source, direction: ticket.direction, atMs: Date.now(), message }].slice(-FAILURES_KEPT);
      socket.destroy();
    } finally {
      active--;
      o.onSession?.(ticket, 'end', ok);
    }
  }

  return {
    server,
    active: () => active,
    recentFailures: () => {
      failures = failures.filter((f) => Date.now() - f.atMs < FAILURES_TTL_MS);
      return failures;
    },
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address();
          resolve(typeof a === 'object' && a ? a.port : port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
