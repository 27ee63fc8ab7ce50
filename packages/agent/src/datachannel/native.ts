import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfError, errorMessage, findBinary, spawnProcess, type Logger } from '@freezeframe/common';
import { boundPort, pinnedTrust, serverConfig } from './stunnel.js';

/** What a receiver needs to take sessions to stunnel (see stunnel.ts). */
export interface NativeReceiver {
  /** The stunnel program (stunnel4 on Debian). */
  stunnel: string;
  /** Our certificate and key files, and the CA's PEM. */
  cert: string;
  key: string;
  ca: Buffer;
  /** Address the session's stunnel listens on: the data channel's. */
  host: string;
}

export interface NativeSession {
  /** Where the sender's stunnel connects. */
  port: number;
  /**
   * The decrypted connection, once the pinned peer has connected: a Unix socket node has not
   * read from (pauseOnConnect), to be handed to rsync as its stdin and stdout.
   */
  connection: Promise<Socket>;
  /**
   * Stops stunnel and removes the session's files. After a connection, first lets stunnel
   * finish it (up to FLUSH_WAIT_MS): rsync's last words to the sender may still be in its
   * buffers when rsync exits, and killing it then cuts them off.
   */
  close(): Promise<void>;
}

/** stunnel's path (Debian names it stunnel4), or undefined when it is not installed. */
export function findStunnel(): string | undefined {
  for (const name of ['stunnel4', 'stunnel']) {
    try {
      return findBinary(name);
    } catch {
      // not this name
    }
  }
  return undefined;
}

/** How long stunnel may take to listen, and the sender to connect after `OK native`. */
const LISTEN_TIMEOUT_MS = 10_000;
const FLUSH_WAIT_MS = 5_000;
/** stunnel's notice lines (debug 5+) for the connection that reached the Unix socket, and its end. */
const SERVED_RE = /LOG\d\[(\d+)\]: Service \[session\] connected remote server/;
const ENDED_RE = /LOG\d\[(\d+)\]: Connection (?:closed|reset)/;
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Starts stunnel for one session of the peer whose certificate is `peerDer` (just verified by
 * the data channel). Only the first connection reaches the Unix socket: the socket's server
 * closes after it, so a second connection, even from the same peer, ends at stunnel.
 */
export async function openNativeSession(n: NativeReceiver, peerDer: Buffer, log: Logger, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<NativeSession> {
  // private to root (0700): the trust file and the socket rsync's bytes pass through
  const dir = await mkdtemp(join(tmpdir(), 'ff-native-'));
  const sock = join(dir, 's.sock');
  const trust = join(dir, 'trust.pem');
  const server = createServer({ pauseOnConnect: true });
  let proc: ReturnType<typeof spawnProcess> | undefined;
  let served: string | undefined;
  let onEnded = () => {};
  const ended = new Promise<void>((resolve) => (onEnded = resolve));
  const close = async () => {
    server.close();
    if (served !== undefined) await Promise.race([ended, new Promise((r) => setTimeout(r, FLUSH_WAIT_MS).unref())]);
    proc?.kill('SIGTERM');
    await proc?.done.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(trust, pinnedTrust(n.ca, peerDer), { mode: 0o600, flag: 'wx' });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => resolve());
    });
    const connection = new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new FfError('DEADLINE_EXCEEDED', `the sender did not connect to the native byte path within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      timer.unref();
      server.on('connection', (c) => {
        // one connection per session: anything after the first is dropped here
        if (server.listening) {
          clearTimeout(timer);
          server.close();
          resolve(c);
        } else {
          c.destroy();
        }
      });
    });
    connection.catch(() => undefined);
    let onPort: (p: number) => void = () => {};
    const port = new Promise<number>((resolve) => (onPort = resolve));
    proc = spawnProcess({
      bin: n.stunnel,
      args: ['-fd', '0'],
      input: serverConfig({ host: n.host, connect: sock, tls: { cert: n.cert, key: n.key, trust } }),
      // the session's own limit: stunnel lives as long as the transfer, which close() ends
      timeoutMs: 25 * 3_600_000,
      okExitCodes: [0],
      logger: log,
      onStderrLine: (l) => {
        const p = boundPort(l);
        const s = SERVED_RE.exec(l)?.[1];
        if (s !== undefined) served ??= s;
        if (served !== undefined && ENDED_RE.exec(l)?.[1] === served) onEnded();
        if (p !== undefined) onPort(p);
        else if (/LOG[0-4]\[/.test(l)) log.warn({ stunnel: l.replace(/^\S+ \S+ /, '') }, 'native byte path: stunnel');
      },
    });
    const exited = proc.done.then(
      (r) => Promise.reject(new FfError('INTERNAL', `stunnel exited (${r.code}) before it listened: ${r.stderr.trim().split('\n').slice(-3).join('; ')}`)),
      (e: unknown) => Promise.reject(new FfError('INTERNAL', `stunnel did not start: ${errorMessage(e)}`, { cause: e })),
    );
    exited.catch(() => undefined);
    const listening = await Promise.race([
      port,
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new FfError('DEADLINE_EXCEEDED', `stunnel did not listen within ${LISTEN_TIMEOUT_MS} ms`)), LISTEN_TIMEOUT_MS).unref()),
    ]);
    return { port: listening, connection, close };
  } catch (e) {
    await close();
    throw e;
  }
}
