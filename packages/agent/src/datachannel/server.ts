import type * as net from 'node:net';
import type { Readable } from 'node:stream';
import * as tls from 'node:tls';
import { FfError, certAudit, certIdentity, errorMessage, findBinary, isFfError, spawnProcess, type Logger, type TlsMaterial } from '@freezeframe/common';
import { journalArgs, startJournalRun } from '../receive-journal.js';
import { hasInsecureLinks } from '../rsync-version.js';
import type { Ticket, TicketBook } from '../tickets.js';
import { createTlsListener, type HandshakeLimits } from '../tls-listener.js';
import { rsyncVersion } from '../tools/rsync.js';
import { validateServerArgs } from './allowlist.js';
import { readLine } from './header.js';
import { openNativeSession, type NativeReceiver } from './native.js';
import { ReceiveResults, judge } from './receive-results.js';
import { VIEW_AT, openShortView, type ShortView } from './short-view.js';
import { DATA_CIPHERS, DATA_HIGH_WATER_MARK } from './tuning.js';

/**
 * The receiving end of the data channel: a plain TLS listener (same CA and certificates as
 * gRPC, client certificate required). A plain socket instead of a gRPC stream because grpc-js
 * moves about 0.5 GB/s on loopback, half of what rsync alone does.
 *
 * Protocol: the client sends one JSON line {ticket, direction, args}; the server answers
 * `OK\n` or `ERR <message>\n`; after OK the connection is rsync's stdin/stdout.
 *
 * Native mode (stunnel.ts): a client that can run stunnel adds `native: true`; a receiver that
 * can too answers `OK native <port>` instead, and rsync's bytes go through both sides' stunnel
 * on that port. This connection then carries nothing more and is closed when rsync ends.
 *
 * Stream mode (replication): the line is {ticket, direction: 'replicate', backup, base}, whose
 * backup and base must be the ticket's; after OK the connection carries a zfs/btrfs send stream
 * into `receiveReplica` (the target decides where and how it lands), and the server ends with
 * `DONE\n` or `ERR <message>\n` once the stream is received and checked.
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
  /** Handshake timeout and cap on unauthenticated connections (default HANDSHAKE_LIMITS). */
  handshake?: HandshakeLimits;
  /** Receives a replication stream (the target's replicaReceive); absent: stream mode is refused. */
  receiveReplica?: ReplicaReceiver;
  /** Takes rsync sessions to stunnel when the sender asks (native.ts); absent: node relays. */
  native?: NativeReceiver;
}

/** Receives one replication stream from `input` for `ticket`; rejects with the reason it was not kept. */
export type ReplicaReceiver = (o: { ticket: Ticket; input: Readable; signal: AbortSignal; timeoutMs: number; log: Logger; resume: boolean }) => Promise<void>;

/** A stream header must repeat what its ticket was issued for: the sender cannot pick another backup or base. */
function checkStreamHeader(msg: { args?: unknown; backup?: unknown; base?: unknown }, t: Ticket): void {
  const shown = (v: unknown) => JSON.stringify(v ?? null).slice(0, 80);
  if (msg.args !== undefined) throw new FfError('INVALID_ARGUMENT', 'args: a replication stream takes no rsync arguments', { details: { field: 'args' } });
  if (msg.backup !== t.backupId) {
    throw new FfError('PERMISSION_DENIED', `backup: the ticket is for backup ${t.backupId}, the header names ${shown(msg.backup)}`, { details: { field: 'backup' } });
  }
  if ((msg.base ?? '') !== (t.baseId ?? '')) {
    const want = t.baseId ? `a stream incremental from ${t.baseId}` : 'a full stream';
    throw new FfError('PERMISSION_DENIED', `base: the ticket is for ${want}, the header names base ${shown(msg.base)}`, { details: { field: 'base' } });
  }
}

/** A receiving rsync that failed: the sender only sees a broken pipe; the cause is here. */
export interface ReceiveFailure {
  backupId: string;
  source: string;
  direction: Ticket['direction'];
  atMs: number;
  message: string;
}

const LINK_DEST = '--link-dest=';

/**
 * Turns off rsync 3.5's symlink walk: it opens every --link-dest basis path from `/`, one
 * checked component at a time, twice per file (4.5-6 s of an incremental backup of 200 000
 * files: bench/PROFILE.md, thirty-fourth pass). Given only inside the chrooted view of a target
 * whose links are all stored munged (Ticket.linksMunged): there no link leads anywhere, and one
 * that did would stay inside the target.
 */
const NO_SYMLINK_WALK = '--insecure-links';

/**
 * The receiving rsync's argv, and the folder it writes as rsync sees it (through `view`, when
 * the receiver has one). The receiver's own options (link-dest, inplace, ignore-times) come from
 * the ticket and go first: nothing the sender puts after them can be read as their value (a
 * cluster ending in 'e' takes the next argument).
 */
function receiverCommand(ticket: Ticket, senderOptions: readonly string[], view: ShortView | undefined, walkOff: boolean): { bin: string; args: string[]; dest: string } {
  const seen = (p: string) => (view ? view.see(p) : p);
  const dest = seen(ticket.path.replace(/\/+$/, ''));
  const own = [
    ...ticket.rsyncOptions.map((x) => (x.startsWith(LINK_DEST) ? LINK_DEST + seen(x.slice(LINK_DEST.length)) : x)),
    ...(ticket.journal ? journalArgs(ticket.journal) : []),
    ...(view && walkOff ? [NO_SYMLINK_WALK] : []),
  ];
  const args = ['--server', ...own, ...senderOptions.filter((x) => !ticket.rsyncOptions.includes(x)), '.', `${dest}/`];
  return { ...(view ? view.wrap(findBinary('rsync'), args) : { bin: findBinary('rsync'), args }), dest };
}

/** Failures kept, and for how long: enough for the director to ask right after a failed transfer. */
const FAILURES_KEPT = 32;
const FAILURES_TTL_MS = 3_600_000;
/** The end of rsync's stderr carries its reason (e.g. "write failed on ...: No space left on device"). */
const FAILURE_MESSAGE_CHARS = 600;

export interface DataChannel {
  server: net.Server;
  /** Sessions with rsync running. */
  active(): number;
  /** Receiving rsyncs that failed in the last hour, oldest first. */
  recentFailures(): ReceiveFailure[];
  /** How each session ended, by ticket (ReceiveResult). */
  results: ReceiveResults;
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

export function createDataChannel(o: DataChannelOptions): DataChannel {
  let active = 0;
  let failures: ReceiveFailure[] = [];
  const results = new ReceiveResults();
  const sockets = new Set<tls.TLSSocket>();
  let noView: string | undefined;

  /**
   * The receiver's short view of the target (short-view.ts), or none where this host cannot make
   * one (e.g. a container without CAP_SYS_ADMIN): rsync then resolves the longer path, slower
   * but to the same files.
   */
  async function shortView(root: string, log: Logger): Promise<ShortView | undefined> {
    if (noView !== undefined) return undefined;
    try {
      return await openShortView(root, log);
    } catch (e) {
      noView = errorMessage(e);
      log.warn({ err: noView }, 'data channel: receiving without a short view of the target (a slower --link-dest); not tried again until the agent restarts');
      return undefined;
    }
  }
  const tlsOptions = { ciphers: DATA_CIPHERS, honorCipherOrder: true, highWaterMark: DATA_HIGH_WATER_MARK };
  const listener = { tls: o.tls, requireClientCert: true, what: 'data channel', log: o.log, serverOptions: tlsOptions };
  const server = createTlsListener(o.handshake ? { ...listener, limits: o.handshake } : listener, (socket) => {
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
    const peerCert = certAudit(socket.getPeerCertificate());
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
    let stream: { resume?: unknown } | undefined;
    let wantsNative = false;
    try {
      let msg: { ticket?: unknown; direction?: unknown; args?: unknown; backup?: unknown; base?: unknown; resume?: unknown; native?: unknown };
      try {
        msg = JSON.parse(header.line) as typeof msg;
      } catch {
        throw new Error('first line is not JSON');
      }
      const redeemed = o.tickets.redeem({ ticket: msg.ticket, peer, direction: msg.direction });
      ticket = redeemed;
      try {
        if (redeemed.direction === 'replicate') {
          checkStreamHeader(msg, redeemed);
          stream = msg;
          opts = [];
        } else {
          opts = validateServerArgs(msg.args, redeemed.rsyncOptions);
          wantsNative = msg.native === true;
        }
      } catch (e) {
        // the ticket is spent: its session ends here, and the director learns why
        results.finish(redeemed.ticket, { exitCode: -1, ok: false, message: `refused: ${errorMessage(e)}`, notStored: [], notStoredTotal: 0 });
        throw e;
      }
    } catch (e) {
      const why = errorMessage(e).replaceAll('\n', ' ').slice(0, 500);
      const result = isFfError(e) ? e.code : 'INVALID_ARGUMENT';
      o.log.warn({ audit: true, caller: peer, ...peerCert, remote, rpc: 'DataChannel', result, duration_ms: Date.now() - connected, err: why }, 'data channel: refused');
      socket.end(`ERR ${why}\n`);
      return;
    }
    if (ticket.direction === 'replicate') {
      await receiveStream(socket, ticket, header.rest, { peer, peerCert, remote, resume: stream?.resume === true });
      return;
    }
    results.start(ticket.ticket);
    const log = o.log.child({ backup_id: ticket.backupId, peer, entry: ticket.entry, direction: ticket.direction });
    let native: Awaited<ReturnType<typeof openNativeSession>> | undefined;
    if (wantsNative && o.native) {
      try {
        native = await openNativeSession(o.native, socket.getPeerCertificate(true).raw, log);
      } catch (e) {
        // the session is spent with its ticket: it ends here, and the director learns why
        const message = `native byte path: ${errorMessage(e)}`;
        log.error({ err: message }, 'data channel: cannot start stunnel');
        results.finish(ticket.ticket, { exitCode: -1, ok: false, message, notStored: [], notStoredTotal: 0 });
        socket.end(`ERR ${message.replaceAll('\n', ' ').slice(0, 500)}\n`);
        return;
      }
    }
    // a journal is written outside the view's root: no view for a receive that keeps one
    const view = ticket.viewRoot && !ticket.journal ? await shortView(ticket.viewRoot, log) : undefined;
    let rsync: ReturnType<typeof receiverCommand>;
    try {
      // an rsync whose version cannot be read keeps its walk
      const walkOff = ticket.linksMunged === true && hasInsecureLinks(await rsyncVersion().catch(() => ''));
      rsync = receiverCommand(ticket, opts, view, walkOff);
    } catch (e) {
      view?.close();
      await native?.close();
      throw e;
    }
    const { dest } = rsync;
    log.info({ args: rsync.args, native: native !== undefined, ...(view ? { view: `${ticket.viewRoot} at ${VIEW_AT}` } : {}) }, 'data channel: receiving');
    socket.write(native ? `OK native ${native.port}\n` : 'OK\n');
    active++;
    o.onSession?.(ticket, 'start', true);
    const started = Date.now();
    let ok = false;
    let journal: Awaited<ReturnType<typeof startJournalRun>> | undefined;
    let pid: number | undefined;
    try {
      let conn: net.Socket | undefined;
      if (native) {
        // the sender closing this connection before its stunnel connects ends the wait
        const closed = new Promise<never>((_, reject) => socket.once('close', () => reject(new Error('the sender closed the data channel before its stunnel connected'))));
        closed.catch(() => undefined);
        conn = await Promise.race([native.connection, closed]);
      }
      if (ticket.journal) journal = await startJournalRun(ticket.journal);
      const proc = spawnProcess({ bin: rsync.bin, args: rsync.args, timeoutMs: o.rsyncTimeoutMs ?? 24 * 3_600_000, logger: log, maxStderr: 1 << 20, ...(conn ? { inOut: conn } : {}) }, true);
      pid = proc.child.pid;
      if (conn) {
        // rsync has its own copy of the descriptor; node's is closed without reading a byte
        conn.destroy();
      } else {
        if (header.rest.length > 0) proc.child.stdin!.write(header.rest);
        socket.pipe(proc.child.stdin!);
        proc.child.stdout!.pipe(socket);
        socket.resume();
        // a peer that vanishes mid-transfer must not leave rsync waiting for the rest (native: stunnel
        // closes rsync's socket when its TLS connection breaks)
        socket.once('close', () => proc.kill());
      }
      const r = await proc.done;
      await journal?.end(pid, r.code);
      ok = true;
      results.finish(ticket.ticket, judge(0, r.stderr, dest, ticket.allowNotStored ?? []));
      log.info(
        { audit: true, caller: peer, ...peerCert, remote, rpc: 'DataChannel', result: 'ok', code: r.code, duration_ms: Date.now() - started, ...(native ? { native: true } : { bytes_in: socket.bytesRead, bytes_out: socket.bytesWritten }) },
        'data channel: received',
      );
    } catch (e) {
      log.error(
        { audit: true, caller: peer, ...peerCert, remote, rpc: 'DataChannel', result: 'TRANSFER_FAILED', err: errorMessage(e).slice(0, 2000), duration_ms: Date.now() - started, bytes_in: socket.bytesRead },
        'data channel: rsync failed',
      );
      const stderr = isFfError(e) && typeof e.details?.stderr === 'string' ? e.details.stderr.trim() : '';
      // -1: killed (timeout, the peer went away) rather than an exit of its own
      const exitCode = isFfError(e) && typeof e.details?.exitCode === 'number' ? e.details.exitCode : -1;
      const code = exitCode >= 0 ? `rsync exited with ${exitCode}` : errorMessage(e).split('\n')[0]!;
      const message = `${code}${stderr ? `: ${stderr.slice(-FAILURE_MESSAGE_CHARS)}` : ''}`;
      await journal?.end(pid, exitCode).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'data channel: cannot note the end of a journaled receive'));
      const verdict = judge(exitCode, stderr, dest, ticket.allowNotStored ?? []);
      results.finish(ticket.ticket, exitCode === -1 ? { ...verdict, message } : verdict);
      ok = verdict.ok;
      failures = [...failures, { backupId: ticket.backupId, source: ticket.source, direction: ticket.direction, atMs: Date.now(), message }].slice(-FAILURES_KEPT);
      socket.destroy();
    } finally {
      active--;
      view?.close();
      await native?.close();
      if (native) socket.end();
      o.onSession?.(ticket, 'end', ok);
    }
  }

  async function receiveStream(socket: tls.TLSSocket, ticket: Ticket, rest: Buffer, who: { peer: string | undefined; peerCert: object; remote: string | undefined; resume: boolean }): Promise<void> {
    const log = o.log.child({ backup_id: ticket.backupId, base_id: ticket.baseId || undefined, peer: who.peer, direction: ticket.direction });
    if (!o.receiveReplica) {
      const message = 'refused: this agent receives no replication streams';
      results.finish(ticket.ticket, { exitCode: -1, ok: false, message, notStored: [], notStoredTotal: 0 });
      socket.end(`ERR ${message}\n`);
      return;
    }
    results.start(ticket.ticket);
    log.info('data channel: receiving a replication stream');
    socket.write('OK\n');
    active++;
    o.onSession?.(ticket, 'start', true);
    const started = Date.now();
    if (rest.length > 0) socket.unshift(rest);
    // a sender that goes away mid-stream ends the receiving command (the target discards what it got)
    const ac = new AbortController();
    const onClose = () => ac.abort();
    socket.once('close', onClose);
    let ok = false;
    try {
      await o.receiveReplica({ ticket, input: socket, signal: ac.signal, timeoutMs: o.rsyncTimeoutMs ?? 24 * 3_600_000, log, resume: who.resume });
      ok = true;
      results.finish(ticket.ticket, { exitCode: 0, ok: true, message: '', notStored: [], notStoredTotal: 0 });
      log.info(
        { audit: true, caller: who.peer, ...who.peerCert, remote: who.remote, rpc: 'DataChannel', result: 'ok', duration_ms: Date.now() - started, bytes_in: socket.bytesRead },
        'data channel: replication stream received',
      );
      socket.end('DONE\n');
    } catch (e) {
      const stderr = isFfError(e) && typeof e.details?.stderr === 'string' ? e.details.stderr.trim() : '';
      const exitCode = isFfError(e) && typeof e.details?.exitCode === 'number' ? e.details.exitCode : -1;
      const first = errorMessage(e).split('\n')[0]!;
      const message = `${first}${stderr && !first.includes(stderr.split('\n').pop() ?? '') ? `: ${stderr.slice(-FAILURE_MESSAGE_CHARS)}` : ''}`;
      log.error(
        { audit: true, caller: who.peer, ...who.peerCert, remote: who.remote, rpc: 'DataChannel', result: isFfError(e) ? e.code : 'INTERNAL', err: message.slice(0, 2000), duration_ms: Date.now() - started, bytes_in: socket.bytesRead },
        'data channel: replication stream not kept',
      );
      results.finish(ticket.ticket, { exitCode, ok: false, message, notStored: [], notStoredTotal: 0 });
      failures = [...failures, { backupId: ticket.backupId, source: ticket.source, direction: ticket.direction, atMs: Date.now(), message }].slice(-FAILURES_KEPT);
      if (!socket.destroyed) socket.end(`ERR ${message.replaceAll('\n', ' ').slice(0, 2000)}\n`);
    } finally {
      socket.off('close', onClose);
      active--;
      o.onSession?.(ticket, 'end', ok);
    }
  }

  return {
    server,
    results,
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
