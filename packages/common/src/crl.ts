/**
 * Certificate revocation: a CRL made by `freezeframe certs revoke` (openssl, signed by the CA),
 * read here with node built-ins only (the data-channel tunnel loads this file, and rsync starts
 * the tunnel once per transfer). Node's own `crl` TLS option cannot serve every side: grpc-js
 * client credentials take no CRL, and a context's CRL is fixed until the context is replaced.
 * So every side checks the peer certificate's serial here, after the CA verified it: the agent's
 * listeners, the tunnel and the director, with one parser and the same messages.
 */
import { X509Certificate, verify } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { FfError } from './errors.js';

/** A parsed, not yet verified CRL. */
export interface Crl {
  /** DER of the issuer Name, compared byte for byte with the CA's subject. */
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serials, normalized by `normalizeSerial`. */
  revoked: Set<string>;
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
}

/** A serial as hex without separators or leading zeros, upper case ("0ABC" and "0a:bc" are "ABC"). */
export function normalizeSerial(hex: string): string {
  return hex.replace(/:/g, '').toUpperCase().replace(/^0+(?=.)/, '');
}

interface Tlv {
  tag: number;
  /** first byte of the whole element, of its content, and one past its end */
  start: number;
  body: number;
  end: number;
}

class DerError extends Error {}

function tlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body++]!;
  }
  const end = body + len;
  if (end > limit) throw new DerError('truncated');
  return { tag, start: pos, body, end };
}

function children(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.body; p < t.end; ) {
    const c = tlv(buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`${what} missing`);
  return t;
}

function oid(buf: Buffer, t: Tlv): string {
  const b = buf.subarray(t.body, t.end);
  if (b.length === 0) throw new DerError('empty OID');
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (const x of b.subarray(1)) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const TIME_UTC = 0x17;
const TIME_GENERALIZED = 0x18;

function time(buf: Buffer, t: Tlv): Date {
  const s = buf.toString('latin1', t.body, t.end);
  const m = (t.tag === TIME_UTC ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(s);
  if (!m) throw new DerError(`bad time ${JSON.stringify(s)}`);
  let year = Number(m[1]);
  if (t.tag === TIME_UTC) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function isTime(t: Tlv | undefined): t is Tlv {
  return t?.tag === TIME_UTC || t?.tag === TIME_GENERALIZED;
}

/** The DER of every PEM block labelled `label` in `text`. */
function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/** Parses one CRL, PEM (`X509 CRL`) or DER. Throws an Error saying what is wrong with it. */
export function parseCrl(data: Buffer): Crl {
  let der = data;
  if (data.subarray(0, 64).toString('latin1').includes('-----BEGIN')) {
    const blocks = pemBlocks(data.toString('latin1'), 'X509 CRL');
    if (blocks.length !== 1) throw new Error(blocks.length === 0 ? 'no "BEGIN X509 CRL" block' : `${blocks.length} CRLs in one file (one expected)`);
    der = blocks[0]!;
  }
  try {
    const top = expectTag(tlv(der, 0, der.length), 0x30, 'CertificateList');
    if (top.end !== der.length) throw new DerError('trailing bytes');
    const [tbs, alg, sig] = children(der, top);
    expectTag(tbs, 0x30, 'tbsCertList');
    expectTag(alg, 0x30, 'signatureAlgorithm');
    expectTag(sig, 0x03, 'signatureValue');
    const f = children(der, tbs!);
    let i = 0;
    if (f[i]?.tag === 0x02) i++; // version (v2)
    const innerAlg = expectTag(f[i++], 0x30, 'signature');
    if (!der.subarray(innerAlg.start, innerAlg.end).equals(der.subarray(alg!.start, alg!.end))) throw new DerError('signature algorithms differ');
    const issuer = expectTag(f[i++], 0x30, 'issuer');
    const thisUpdate = f[i++];
    if (!isTime(thisUpdate)) throw new DerError('thisUpdate missing');
    let nextUpdate: Date | undefined;
    if (isTime(f[i])) nextUpdate = time(der, f[i++]!);
    const revoked = new Set<string>();
    if (f[i]?.tag === 0x30) {
      for (const entry of children(der, f[i++]!)) {
        const serial = expectTag(children(der, expectTag(entry, 0x30, 'revoked entry'))[0], 0x02, 'serial');
        revoked.add(normalizeSerial(der.toString('hex', serial.body, serial.end)));
      }
    }
    if (f[i]?.tag === 0xa0) i++; // extensions
    if (i !== f.length) throw new DerError('unexpected field');
    if (der[sig!.body] !== 0) throw new DerError('signature has unused bits');
    return {
      issuer: Buffer.from(der.subarray(issuer.start, issuer.end)),
      thisUpdate: time(der, thisUpdate),
      ...(nextUpdate ? { nextUpdate } : {}),
      revoked,
      tbs: Buffer.from(der.subarray(tbs!.start, tbs!.end)),
      signatureOid: oid(der, expectTag(children(der, alg!)[0], 0x06, 'algorithm OID')),
      signature: Buffer.from(der.subarray(sig!.body + 1, sig!.end)),
    };
  } catch (e) {
    if (e instanceof DerError) throw new Error(`not a valid CRL (${e.message})`);
    throw e;
  }
}

/** Signature algorithms by OID: the hash for crypto.verify (null: the key type decides). */
const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256 (what `freezeframe certs` makes)
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null, // Ed25519
};

/** DER of a certificate's subject Name. */
function subjectDer(cert: X509Certificate): Buffer {
  const der = cert.raw;
  const tbs = expectTag(children(der, tlv(der, 0, der.length))[0], 0x30, 'tbsCertificate');
  const f = children(der, tbs);
  const i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  // serialNumber, signature, issuer, validity, subject
  return Buffer.from(der.subarray(f[i + 4]!.start, f[i + 4]!.end));
}

/** Whether `crl` was signed by one of the CA certificates in `caPem`. */
export function crlSignedBy(crl: Crl, caPem: Buffer): boolean {
  const hash = SIGNATURE_HASHES[crl.signatureOid];
  if (hash === undefined) return false;
  for (const der of pemBlocks(caPem.toString('latin1'), 'CERTIFICATE')) {
    let ca: X509Certificate;
    try {
      ca = new X509Certificate(der);
      if (!subjectDer(ca).equals(crl.issuer)) continue;
    } catch {
      continue;
    }
    try {
      if (verify(hash, crl.tbs, ca.publicKey, crl.signature)) return true;
    } catch {
      // a key type that does not fit the algorithm: not this CA
    }
  }
  return false;
}

const HINT = 'make it with `freezeframe certs crl --dir <the CA folder>` (or `certs revoke`) and copy it to every node';

/**
 * Reads `file` and accepts it only if it is one CRL signed by a CA in `caPem` and not expired;
 * the error (CONFIG_INVALID) names the file. `what` names the setting in messages (`tls.crl`).
 */
export function loadCrl(file: string, caPem: Buffer, what = 'tls.crl', now = new Date()): Crl {
  const refuse = (msg: string): never => {
    throw new FfError('CONFIG_INVALID', `${what}: ${file}: ${msg}`, { hint: HINT });
  };
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    return refuse(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let crl: Crl;
  try {
    crl = parseCrl(data);
  } catch (e) {
    return refuse((e as Error).message);
  }
  if (!crlSignedBy(crl, caPem)) refuse('not signed by the CA (tls.ca)');
  if (crl.nextUpdate && crl.nextUpdate.getTime() < now.getTime()) refuse(`expired on ${crl.nextUpdate.toISOString()}`);
  if (crl.thisUpdate.getTime() > now.getTime() + 5 * 60_000) refuse(`not valid before ${crl.thisUpdate.toISOString()} (check the clock)`);
  return crl;
}

/** Where a RevocationList reports reloads (a pino logger fits). */
export interface CrlLog {
  info(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** What a revocation check needs of a peer certificate (node's PeerCertificate fits). */
export interface CertLike {
  serialNumber?: string;
  subject?: { CN?: string | string[] } | Record<string, unknown>;
}

function certName(cert: CertLike): string {
  const cn = (cert.subject as { CN?: string | string[] } | undefined)?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) || '(no name)';
}

function fileState(file: string): string {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (e) {
    return `error:${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

/**
 * The revoked serials of a CRL file, kept current without a restart: each check costs one stat,
 * and the file is read again when it changed. A changed file that is not a valid, current CRL of
 * the CA (half copied, expired, another CA's) is refused with an error line, and the last good
 * list stays in force: revocations are never dropped by a bad file.
 */
export class RevocationList {
  private state: string;
  private crl: Crl;

  private constructor(
    readonly file: string,
    private readonly caPem: Buffer,
  ) {
    this.state = fileState(file);
    this.crl = loadCrl(file, caPem);
  }

  /** Loads `file` strictly (see loadCrl): a bad CRL at start is an error naming it. */
  static load(file: string, caPem: Buffer): RevocationList {
    return new RevocationList(file, caPem);
  }

  get size(): number {
    return this.crl.revoked.size;
  }

  /**
   * Undefined when `cert` is not revoked; else the refusal, naming the certificate's name and
   * serial and the CRL file. Call it for each new connection, after the CA verified `cert`.
   */
  check(cert: CertLike, log?: CrlLog): string | undefined {
    this.refresh(log);
    if (!cert.serialNumber) return undefined;
    if (!this.crl.revoked.has(normalizeSerial(cert.serialNumber))) return undefined;
    return `certificate '${certName(cert)}' (serial ${cert.serialNumber}) is revoked (${this.file})`;
  }

  private refresh(log?: CrlLog): void {
    const now = fileState(this.file);
    if (now === this.state) return;
    this.state = now;
    try {
      this.crl = loadCrl(this.file, this.caPem);
      log?.info({ crl: this.file, revoked: this.crl.revoked.size }, 'tls.crl: reloaded');
    } catch (e) {
      log?.error({ crl: this.file, err: (e as Error).message }, 'tls.crl: changed file refused, the previous revocation list stays in force');
    }
  }
}
