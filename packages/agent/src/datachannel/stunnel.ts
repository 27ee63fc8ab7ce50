import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Node built-ins only: the tunnel imports this, and its start-up is paid once per transfer.

/**
 * The native byte path (bench/PROFILE.md, "Fifth pass"). Node still takes every session on the
 * data channel: client certificate, ticket, rsync's arguments, the receiver's destination. Then,
 * instead of relaying every byte through node's one thread, the receiver answers
 * `OK native <port>` and both sides start stunnel (OpenSSL in C): the sender's in inetd mode on
 * rsync's own pipes, the receiver's (one per connection, in inetd mode) behind a port of its own
 * for this one session, handing the decrypted stream to the receiving rsync through a Unix socket. Each stunnel trusts exactly one
 * certificate, the peer's that node has just verified on the data channel (`verifyPeer`, with
 * its chain to the freezeframe CA: `verifyChain`); any other certificate, even one from the same
 * CA, is refused.
 */

/** `OK native <port>`: the receiver's answer that takes the session to stunnel. */
export const NATIVE_OK_RE = /^OK native (\d{1,5})$/;

/**
 * The folder under the agent's runDir that holds both sides' files of the native byte path (trust
 * files, stunnel's config, the receiver's Unix socket), each session's or transfer's in a folder
 * of its own. The agent empties it at start: what a killed agent or tunnel left goes then.
 */
export const NATIVE_RUN_DIR = 'native';

export interface StunnelTls {
  /** Our certificate and key (files). */
  cert: string;
  key: string;
  /** A file holding the CA and the one peer certificate this stunnel accepts (pinnedTrust). */
  trust: string;
}

/** The trust file of one session: the CA's PEM and the peer's certificate, and nothing else. */
export function pinnedTrust(caPem: Buffer | string, peerDer: Buffer): string {
  return `${String(caPem).trim()}\n${new X509Certificate(peerDer).toString().trim()}\n`;
}

function line(key: string, value: string): string {
  // a line break in a value would add configuration lines of its own
  if (/[\0-\x1f\x7f]/.test(value)) throw new Error(`stunnel ${key}: control character in ${JSON.stringify(value)}`);
  return `${key} = ${value}`;
}

const TLS_LINES = [
  'sslVersionMin = TLSv1.2',
  // the data channel's preference (tuning.ts): AES-128-GCM first, nothing weaker than OpenSSL's defaults
  'ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
  'ciphers = ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384',
  'verifyChain = yes',
  'verifyPeer = yes',
  'requireCert = yes',
  // rsync ends the session itself: no wait for the peer's close_notify after it
  'TIMEOUTclose = 0',
  // the handshake's limit (stunnel uses TIMEOUTidle, default 12 h, once data flows): a
  // connection that does not authenticate within it is closed, as on the data channel
  'TIMEOUTbusy = 10',
];

/** Bytes of the receiver's Unix socket send buffer (serverConfig). */
const RECEIVER_SOCKET_BUFFER = 2 << 20;

function tlsLines(t: StunnelTls): string[] {
  return [line('cert', t.cert), line('key', t.key), line('CAfile', t.trust), ...TLS_LINES];
}

/**
 * The receiver's stunnel for one connection of a session, in inetd mode: the accepted TCP
 * connection is its stdin and stdout, and the decrypted stream goes to the Unix socket
 * `connect`. One process per connection (native.ts owns the listening port): nothing of a
 * session outlives its agent except a connection still running.
 */
export function serverConfig(o: { connect: string; tls: StunnelTls }): string {
  return [
    'pid =',
    'syslog = no',
    // foreground: the log goes to stderr, which the agent reads (native.ts logs levels 0-4)
    'foreground = yes',
    'debug = 5',
    line('connect', o.connect),
    'socket = l:TCP_NODELAY=1',
    // the Unix socket stunnel writes the decrypted stream to: with the default buffer (208 KiB)
    // stunnel stalls whenever rsync pauses to write to disk; with 2 MiB a transfer took 12-16%
    // less time here (PROFILE.md, seventeenth pass). The kernel caps it at net.core.wmem_max.
    `socket = r:SO_SNDBUF=${RECEIVER_SOCKET_BUFFER}`,
    ...tlsLines(o.tls),
    '',
  ].join('\n');
}

/** The sender's stunnel, in inetd mode: rsync's pipes on one side, `host:port` on the other (foreground: its log goes to stderr, which rsync passes on). */
export function clientConfig(o: { host: string; port: number; tls: StunnelTls }): string {
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return ['pid =', 'syslog = no', 'foreground = yes', 'debug = 4', 'client = yes', line('connect', `${host}:${o.port}`), 'socket = r:TCP_NODELAY=1', ...tlsLines(o.tls), ''].join('\n');
}

/**
 * The sender's stunnel configuration for the session port `port`, trusting only `peerDer` (the
 * receiver's certificate its data-channel connection was verified with); the trust file goes in
 * `dir`, the transfer's private folder.
 */
export async function senderConfig(o: { host: string; port: number; ca: Buffer; peerDer: Buffer; cert: string; key: string; dir: string }): Promise<string> {
  const trust = join(o.dir, 'trust.pem');
  await writeFile(trust, pinnedTrust(o.ca, o.peerDer), { mode: 0o600, flag: 'wx' });
  return clientConfig({ host: o.host, port: o.port, tls: { cert: o.cert, key: o.key, trust } });
}
