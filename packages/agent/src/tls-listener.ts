import * as net from 'node:net';
import * as tls from 'node:tls';
import { certAudit, type Logger, type TlsMaterial } from '@freezeframe/common';

/**
 * What one listening port allows connections that have not authenticated yet. Without limits
 * a TCP connection that never finishes its TLS handshake holds a file descriptor for good:
 * node's default handshake timeout is 120 s, and a tls.Server does not even close the socket
 * when it fires (measured on the data port: still open after 150 s); grpc-js closes its
 * sockets after those 120 s and has no option to shorten them. No cap on their number either.
 */
export interface HandshakeLimits {
  /** A TLS handshake not finished by then is dropped (and logged). */
  timeoutMs: number;
  /**
   * Connections younger than `timeoutMs` the port holds at once; more are closed as they come.
   * Every unauthenticated connection is among them, and a director or peer opens only a few a
   * backup, so counting the young ones caps the unauthenticated ones without tracking which
   * socket finished its handshake.
   */
  maxPending: number;
}

export const HANDSHAKE_LIMITS: HandshakeLimits = { timeoutMs: 5_000, maxPending: 64 };

/**
 * How often connections that are already open are checked against `tls.crl` again: a new
 * connection is checked at once, an open one (a stolen key's long-lived gRPC connection, a
 * transfer) is closed within this long after its certificate was revoked.
 */
export const CRL_SWEEP_MS = 5_000;

export interface TlsListenerOptions {
  tls: TlsMaterial;
  /** false only for `insecure: true` on loopback: no client certificate is asked for. */
  requireClientCert: boolean;
  /** Names the port in log lines ("grpc", "data channel"). */
  what: string;
  log: Logger;
  limits?: HandshakeLimits;
  /** More tls.Server options (ciphers, ALPN, buffer sizes). */
  serverOptions?: tls.TlsOptions;
}

/**
 * A TCP listener in front of a TLS server: it caps and times out connections that have not
 * authenticated, logs every refused handshake with the remote address and the reason, and
 * hands `onAuthenticated` only sockets whose client certificate verified against our CA and
 * is not in `tls.crl`.
 * Listen and close with the returned net.Server.
 */
export function createTlsListener(o: TlsListenerOptions, onAuthenticated: (socket: tls.TLSSocket) => void): net.Server {
  const limits = o.limits ?? HANDSHAKE_LIMITS;
  const secure = tls.createServer({
    minVersion: 'TLSv1.2',
    ...o.serverOptions,
    ca: o.tls.ca,
    cert: o.tls.cert,
    key: o.tls.key,
    requestCert: o.requireClientCert,
    // checked below instead: node drops a certificate from another CA without an event
    // that says why, and a refused handshake must leave a log line naming its cause
    rejectUnauthorized: false,
    handshakeTimeout: limits.timeoutMs,
  });
  secure.on('tlsClientError', (e, s) => {
    o.log.warn({ remote: s.remoteAddress, err: e.message }, `${o.what}: TLS handshake refused`);
    s.destroy();
  });
  secure.on('secureConnection', (s) => {
    if (o.requireClientCert && !s.authorized) {
      const cert = s.getPeerCertificate();
      const why = cert?.raw ? { err: String(s.authorizationError), cn: cert.subject?.CN, ...certAudit(cert) } : { err: 'no client certificate' };
      o.log.warn({ remote: s.remoteAddress, ...why }, `${o.what}: TLS handshake refused`);
      s.destroy();
      return;
    }
    // the CA vouched for the certificate; the CRL (re-read when it changed) may still list it
    const revoked = revokedPeer(s);
    if (revoked) {
      o.log.warn({ remote: s.remoteAddress, ...revoked }, `${o.what}: TLS handshake refused`);
      s.destroy();
      return;
    }
    if (o.tls.crl && s.authorized) {
      live.add(s);
      s.once('close', () => live.delete(s));
    }
    onAuthenticated(s);
  });

  const live = new Set<tls.TLSSocket>();
  function revokedPeer(s: tls.TLSSocket): object | undefined {
    if (!o.tls.crl || !s.authorized) return undefined;
    const cert = s.getPeerCertificate();
    const revoked = cert?.raw ? o.tls.crl.check(cert, o.log) : undefined;
    return revoked ? { err: revoked, cn: cert.subject?.CN, ...certAudit(cert) } : undefined;
  }
  const sweep = o.tls.crl
    ? setInterval(() => {
        for (const s of live) {
          const revoked = revokedPeer(s);
          if (!revoked) continue;
          o.log.warn({ remote: s.remoteAddress, ...revoked }, `${o.what}: open connection closed, its certificate was revoked`);
          live.delete(s);
          s.destroy();
        }
      }, CRL_SWEEP_MS)
    : undefined;
  sweep?.unref();

  let young = 0;
  let refused = 0;
  const front = net.createServer((raw) => {
    if (young >= limits.maxPending) {
      // one line per burst: a flood must not become a flood of log lines
      if (refused++ === 0) o.log.warn({ max: limits.maxPending, remote: raw.remoteAddress }, `${o.what}: too many connections without a finished TLS handshake, refusing new ones`);
      raw.destroy();
      return;
    }
    if (refused > 0) {
      o.log.warn({ refused }, `${o.what}: accepting connections again`);
      refused = 0;
    }
    young++;
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      young--;
      clearTimeout(timer);
    };
    const timer = setTimeout(release, limits.timeoutMs);
    timer.unref();
    raw.once('close', release);
    secure.emit('connection', raw);
  });
  // accept() failing (EMFILE) is an 'error' on the server: without a listener it would end the agent
  front.on('error', (e) => o.log.error({ err: e.message }, `${o.what}: listener error`));
  front.on('close', () => clearInterval(sweep));
  return front;
}

/**
 * Makes `socket` answer getPeerCertificate() (the short form) from one reading taken now:
 * grpc-js asks the socket on every call (getAuthContext), and each RPC asks three times
 * (authorize and the audit line), each time building a new object from the certificate.
 * Renegotiation is refused from here on, so the certificate the answer came from is the
 * connection's for its whole life; the detailed form is still read from the socket.
 */
export function rememberPeerCertificate(socket: tls.TLSSocket): void {
  socket.disableRenegotiation();
  // node only reports the attempt (an 'error' event); the connection itself must end
  socket.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ERR_TLS_RENEGOTIATION_DISABLED') socket.destroy();
  });
  const cert = socket.getPeerCertificate();
  const read = socket.getPeerCertificate.bind(socket);
  socket.getPeerCertificate = ((detailed?: boolean) => (detailed ? read(true) : cert)) as tls.TLSSocket['getPeerCertificate'];
}
