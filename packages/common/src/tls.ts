import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { FfError } from './errors.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Reads CA, certificate and key; a missing file is an error naming it (there is no fallback). */
export function readTls(files: TlsFiles): TlsMaterial {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new FfError('CONFIG_INVALID', `tls.${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, {
        hint: 'create certificates with `freezeframe certs init` and `freezeframe certs issue`',
      });
    }
  };
  return { ca: read('ca', files.ca), cert: read('cert', files.cert), key: read('key', files.key) };
}

/** The identity a certificate speaks for: its subject common name. */
export function certIdentity(cert: PeerCertificate | undefined): string | undefined {
  const cn = cert?.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : Array.isArray(cn) ? cn[0] : undefined;
}

/**
 * A certificate's serial and SHA-256 fingerprint for audit lines, beside its common name:
 * a name can be issued twice (or by a stolen CA key), these tell which certificate it was.
 * Empty for no certificate.
 */
export function certAudit(cert: PeerCertificate | undefined): { cert_serial?: string; cert_sha256?: string } {
  if (!cert?.serialNumber) return {};
  return { cert_serial: cert.serialNumber, cert_sha256: cert.fingerprint256 };
}

/**
 * Server credentials. With `requireClientCert` (everything but the loopback demo's
 * `insecure: true`) a client without a certificate from our CA is refused in the handshake.
 * A client that does present a certificate is always verified against the CA.
 */
export function serverCredentials(tls: TlsMaterial, requireClientCert = true): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], requireClientCert);
}

/**
 * Client credentials that accept the server only if its certificate (signed by our CA, never
 * the system roots) names the node the channel expects (its grpc.ssl_target_name_override,
 * which every channel must set): node A's certificate at node B's address is refused.
 */
export function channelCredentials(tls: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
    // `name` is the channel's grpc.ssl_target_name_override (grpc-js passes it instead of the
    // address), so one credentials object, and one parsed key and CA, serves every node
    checkServerIdentity: (name, cert) => {
      const got = certIdentity(cert);
      if (got !== name) return new Error(`certificate names '${got ?? '(none)'}', expected node '${name}'`);
      return undefined;
    },
  });
}
