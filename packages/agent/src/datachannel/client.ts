import type { RevocationList } from '@freezeframe/common/crl';
import * as tls from 'node:tls';
import { readLine } from './header.js';
import { NATIVE_OK_RE } from './stunnel.js';
import { DATA_CIPHERS, DATA_HIGH_WATER_MARK } from './tuning.js';

// Only node built-ins (and the CRL's type): the tunnel, started once per rsync, loads this too.

/** The CN of a certificate (the identity freezeframe names peers by). */
function certIdentity(cert: tls.PeerCertificate | undefined): string | undefined {
  const cn = cert?.subject?.CN as string | string[] | undefined;
  return Array.isArray(cn) ? cn[0] : cn || undefined;
}

export interface DataChannelPeer {
  host: string;
  port: number;
  /** The receiver's certificate identity: any other is refused. */
  peer: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Refuses a receiver whose certificate it revokes. */
  crl?: RevocationList;
}

/**
 * Opens a TLS connection to a data channel with our client certificate and resolves once the
 * handshake is done; the receiver must present `peer`'s certificate from the same CA, not revoked.
 */
export function connectDataChannel(o: DataChannelPeer): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: o.host,
      port: o.port,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      servername: o.peer,
      minVersion: 'TLSv1.2',
      ciphers: DATA_CIPHERS,
      // honoured by tls.connect (passed to the TLSSocket) though missing from @types/node's ConnectionOptions
      ...({ highWaterMark: DATA_HIGH_WATER_MARK } as object),
      checkServerIdentity: (_h, c) => {
        const got = certIdentity(c);
        if (got !== o.peer) return new Error(`receiver certificate names '${got ?? '(none)'}', expected '${o.peer}'`);
        const revoked = o.crl?.check(c);
        return revoked === undefined ? undefined : new Error(`receiver ${revoked}`);
      },
    });
    const onError = (e: Error) => reject(e);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** The first line a sender writes on the data channel. */
export interface SessionHeader {
  ticket: string;
  direction: string;
  /** rsync's remote command: `rsync --server ...`. */
  args: string[];
  /** Asks for the native byte path (the sender has stunnel). */
  native?: boolean;
}

export type SessionAnswer =
  | { kind: 'native'; port: number }
  /** node relays the session on this connection; `rest` came after the answer */
  | { kind: 'relay'; rest: Buffer }
  | { kind: 'refused'; reason: string };

/** How long the receiver may take to check a session and answer. */
const ANSWER_TIMEOUT_MS = 30_000;

/** Writes the session's header on a data-channel connection and reads the receiver's answer. */
export async function askSession(socket: tls.TLSSocket, header: SessionHeader): Promise<SessionAnswer> {
  socket.write(`${JSON.stringify(header)}\n`);
  const answer = await readLine(socket, ANSWER_TIMEOUT_MS);
  const native = header.native ? NATIVE_OK_RE.exec(answer.line) : null;
  if (native) return { kind: 'native', port: Number(native[1]) };
  if (answer.line === 'OK') return { kind: 'relay', rest: answer.rest };
  return { kind: 'refused', reason: answer.line.replace(/^ERR /, '') };
}
