import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { FfError, findBinary, spawnProcess, type Logger, type Spawned } from '@freezeframe/common';
import { pinnedTrust, serverConfig } from './stunnel.js';

/** What a receiver needs to take sessions to stunnel (see stunnel.ts). */
export interface NativeReceiver {
  /** The stunnel program (stunnel4 on Debian). */
  stunnel: string;
  /** Our certificate and key files, and the CA's PEM. */
  cert: string;
  key: string;
  ca: Buffer;
  /** Address the session's port listens on: the data channel's. */
  host: string;
  /**
   * Folder in which each session makes its own (NATIVE_RUN_DIR under the agent's runDir, 0700,
   * emptied at agent start): what an agent killed mid-session leaves is removed at its next start.
   */
  dir: string;
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
   * Closes the port, lets the session's stunnels finish (up to FLUSH_WAIT_MS: what rsync wrote
   * last may still be in their buffers when rsync exits), stops what is left, and removes the
   * session's files.
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

/** How long the sender may take to connect after `OK native`. */
export const CONNECT_TIMEOUT_MS = 30_000;
const FLUSH_WAIT_MS = 5_000;
/** Connections still in their handshake at once (each has a stunnel; a silent one ends after TIMEOUTbusy). */
const MAX_HANDSHAKES = 8;

function listen(server: Server, ...at: [string] | [number, string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(at as [number, string]), () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Opens one session's port for the peer whose certificate is `peerDer` (just verified by the
 * data channel). Node listens (port 0: the kernel picks) and gives each accepted connection to
 * a stunnel of its own in inetd mode, which does the TLS handshake trusting only that
 * certificate and connects to the session's Unix socket. The first connection there is the
 * session's: the port and the Unix socket close, and later connections end at stunnel.
 */
export async function openNativeSession(n: NativeReceiver, peerDer: Buffer, log: Logger, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<NativeSession> {
  // private to root (0700): the trust file, stunnel's config and the socket rsync's bytes pass through
  const dir = await mkdtemp(join(n.dir, 'ff-native-'));
  const sock = join(dir, 's.sock');
  const trust = join(dir, 'trust.pem');
  const conf = join(dir, 'stunnel.conf');
  const unix = createServer({ pauseOnConnect: true });
  const tcp = createServer({ pauseOnConnect: true });
  const stunnels = new Set<Spawned>();
  const stopListening = () => {
    if (tcp.listening) tcp.close();
    if (unix.listening) unix.close();
  };
  const close = async () => {
    stopListening();
    const ended = () => Promise.all([...stunnels].map((p) => p.done.catch(() => undefined)));
    // all of them, not only the one that carried the session: any other is still in its
    // handshake, which TIMEOUTbusy ends anyway
    await Promise.race([ended(), new Promise((r) => setTimeout(r, FLUSH_WAIT_MS).unref())]);
    for (const p of stunnels) p.kill('SIGKILL');
    await ended();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(trust, pinnedTrust(n.ca, peerDer), { mode: 0o600, flag: 'wx' });
    await writeFile(conf, serverConfig({ connect: sock, tls: { cert: n.cert, key: n.key, trust } }), { mode: 0o600, flag: 'wx' });
    await listen(unix, sock);
    await listen(tcp, 0, n.host);
    const address = tcp.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    tcp.on('connection', (raw) => {
      if (stunnels.size >= MAX_HANDSHAKES) {
        raw.destroy();
        return;
      }
      const p = spawnProcess({
        bin: n.stunnel,
        args: [conf],
        inOut: raw,
        // the session's own limit: close() ends it sooner
        timeoutMs: 25 * 3_600_000,
        okExitCodes: [0, 1],
        logger: log,
        onStderrLine: (l) => {
          // refusals (another certificate, no TLS) and errors: the audit trail of the port
          if (/LOG[0-4]\[/.test(l)) log.warn({ remote: raw.remoteAddress, stunnel: l.replace(/^\S+ \S+ /, '') }, 'native byte path: stunnel');
        },
      });
      // stunnel has its own copy of the descriptor
      raw.destroy();
      stunnels.add(p);
      void p.done.catch(() => undefined).finally(() => stunnels.delete(p));
    });
    const connection = new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new FfError('DEADLINE_EXCEEDED', `the sender did not connect to the native byte path within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      timer.unref();
      unix.on('connection', (c) => {
        // one connection per session: anything after the first is dropped here
        if (unix.listening) {
          clearTimeout(timer);
          stopListening();
          resolve(c);
        } else {
          c.destroy();
        }
      });
    });
    connection.catch(() => undefined);
    return { port, connection, close };
  } catch (e) {
    await close();
    throw e;
  }
}
