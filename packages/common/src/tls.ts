import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { RevocationList } from './crl.js';
import { FfError } from './errors.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  /** A CRL from `freezeframe certs revoke|crl`: peers whose certificate it lists are refused. */
  crl?: string | undefined;
}

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Present when the files name a CRL: check each peer certificate with it (it reloads itself). */
  crl?: RevocationList;
}

/**
 * Reads CA, certificate, key and the CRL if one is named; a missing file is an error naming it
 * (there is no fallback), and so is a CRL that is expired, not the CA's, or lists our own
 * certificate.
 */
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
  const material: TlsMaterial = { ca: read('ca', files.ca), cert: read('cert', files.cert), key: read('key', files.key) };
  if (files.crl === undefined) return material;
  const crl = RevocationList.load(files.crl, material.ca);
  let own: X509Certificate | undefined;
  try {
    own = new X509Certificate(material.cert);
  } catch {
    // not a certificate: the TLS layer says so when it loads it
  }
  const revoked = own && crl.check({ serialNumber: own.serialNumber, subject: { CN: /(?:^|\n)CN=([^\n]*)/.exec(own.subject)?.[1] ?? '' } });
  if (revoked) {
    throw new FfError('CONFIG_INVALID', `tls.cert: ${files.cert}: ${revoked}`, { hint: 'install a certificate from `freezeframe certs renew` (or `certs issue`)' });
  }
  return { ...material, crl };
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
 * which every channel must set): node A's certificate at node B's address is refused, and so
 * is a certificate that `tls.crl` lists.
 */
export function channelCredentials(tls: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
    // `name` is the channel's grpc.ssl_target_name_override (grpc-js passes it instead of the
    // address), so one credentials object, and one parsed key and CA, serves every node
    checkServerIdentity: (name, cert) => {
      const got = certIdentity(cert);
      if (got !== name) return new Error(`certificate names '${got ?? '(none)'}', expected node '${name}'`);
      // per connection, so a CRL replaced during a run counts for the next connection
      const revoked = tls.crl?.check(cert);
      return revoked === undefined ? undefined : new Error(revoked);
    },
  });
}
