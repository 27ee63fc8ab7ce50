import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';

export interface TlsPaths {
  ca: string;
  cert: string;
  key: string;
  crl?: string;
}

export interface Pki {
  dir: string;
  /** CA certificate (PEM). */
  ca: string;
  /** TLS file paths for `name` (one of the names given to makePki). */
  files(name: string): TlsPaths;
}

/**
 * A throwaway CA and one certificate per name (CN = name, usable as server and client), made
 * with the system openssl: `<dir>/ca.pem`, `<dir>/<name>.pem`, `<dir>/<name>-key.pem`.
 * EC P-256 keys: fast to make, and what `freezeframe certs` makes too.
 */
export async function makePki(dir: string, names: readonly string[]): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const openssl = findBinary('openssl');
  const ossl = (args: string[]) => run({ bin: openssl, args, cwd: dir, timeoutMs: 30_000 });
  const caKey = join(dir, 'ca-key.pem');
  const ca = join(dir, 'ca.pem');
  await ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  await ossl(['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '2', '-subj', '/CN=freezeframe test CA', '-out', ca]);
  for (const name of names) {
    const key = join(dir, `${name}-key.pem`);
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(
      ext,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1`,
      ].join('\n') + '\n',
    );
    await ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    await ossl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr]);
    await ossl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', join(dir, `${name}.pem`)]);
  }
  return {
    dir,
    ca,
    files: (name) => ({ ca, cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) }),
  };
}
