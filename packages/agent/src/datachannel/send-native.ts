import { FfError, errorMessage, type TlsMaterial } from '@freezeframe/common';
import { askSession, connectDataChannel } from './client.js';
import { senderConfig } from './stunnel.js';

/**
 * The sender's side of a native session, done by the agent itself (bench/PROFILE.md, fourteenth
 * pass). With the tunnel program, rsync started a node process per transfer only to make this
 * handshake and then start stunnel: ~0.1-0.2 s before rsync's first byte on a small machine. When
 * the receiver said (OpenReceive) that it takes sessions to stunnel, rsync's remote shell is
 * stunnel itself, waiting for its configuration on descriptor 3 (tools/rsync.ts), and the agent,
 * whose TLS material is loaded already, makes the handshake with rsync's remote command.
 */

export interface NativeSendTarget {
  host: string;
  port: number;
  /** The receiver's certificate identity: any other is refused. */
  peer: string;
  ticket: string;
  direction: 'backup' | 'restore';
  tls: TlsMaterial;
  /** Our certificate and key as files, for stunnel. */
  certFile: string;
  keyFile: string;
}

export interface NativeSend {
  /** stunnel's configuration for rsync's remote shell: the session's port, our certificate, trust in the receiver's alone. */
  config: string;
  /** Closes the data-channel connection; held until rsync ends (the receiver ends it when its rsync is done). */
  close(): void;
}

/** Strips what a terminal would act on from the receiver's text. */
const printable = (s: string) => s.replace(/[\0-\x1f\x7f]/g, ' ');

/**
 * Opens the session on the receiver's data channel with rsync's remote command `args`; the trust
 * file for stunnel goes in `dir` (the transfer's private folder). TRANSFER_FAILED naming the
 * receiver when it cannot be reached, is not who it must be, or refuses.
 */
export async function openNativeSend(t: NativeSendTarget, args: string[], dir: string): Promise<NativeSend> {
  const where = `data channel of ${t.peer} (${t.host}:${t.port})`;
  const socket = await connectDataChannel({ host: t.host, port: t.port, peer: t.peer, ca: t.tls.ca, cert: t.tls.cert, key: t.tls.key, ...(t.tls.crl ? { crl: t.tls.crl } : {}) }).catch(
    (e: unknown) => {
      throw new FfError('TRANSFER_FAILED', `${where}: ${errorMessage(e)}`, { details: { receiver: t.peer } });
    },
  );
  // after the answer the session's fate is rsync's and stunnel's: this connection only waits
  socket.on('error', () => undefined);
  try {
    const answer = await askSession(socket, { ticket: t.ticket, direction: t.direction, args, native: true }).catch((e: unknown) => {
      throw new FfError('TRANSFER_FAILED', `${where} did not answer: ${errorMessage(e)}`, { details: { receiver: t.peer } });
    });
    if (answer.kind === 'refused') {
      throw new FfError('TRANSFER_FAILED', `${where} refused: ${printable(answer.reason)}`, {
        details: { receiver: t.peer },
        hint: 'the receiver refused the ticket: open a new one with OpenReceive',
      });
    }
    if (answer.kind !== 'native') throw new FfError('TRANSFER_FAILED', `${where} answered without the native byte path it had offered`, { details: { receiver: t.peer } });
    const config = await senderConfig({ host: t.host, port: answer.port, ca: t.tls.ca, peerDer: socket.getPeerCertificate(true).raw, cert: t.certFile, key: t.keyFile, dir });
    return { config, close: () => socket.destroy() };
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
