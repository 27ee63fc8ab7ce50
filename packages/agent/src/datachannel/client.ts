import type { RevocationList } from '@freezeframe/common/crl';
import * as tls from 'node:tls';
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
