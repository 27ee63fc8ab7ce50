// Certificates for simulated nodes, signed by a freezeframe CA (`freezeframe certs init`) in
// process: `certs issue` spawns openssl three times per name (~45 ms a certificate here, so
// 45 s for 1000 nodes), while a DER certificate built here and signed with node's crypto
// takes well under a millisecond. For the scale harness only: the certificates carry what
// `certs issue` puts in a node's (CN = name, SAN DNS:name and the node's IP, server and
// client auth, not a CA) and every simulated node gets a key of its own (an EC P-256 key
// pair is ~0.1 ms), but they are not recorded in the CA's index.txt (no revocation).
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function len(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag, ...parts) => {
  const body = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...p) => tlv(0x30, ...p);
const set = (...p) => tlv(0x31, ...p);
function oid(dotted) {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const digits = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      digits.unshift(v % 128);
      if (v < 128) break;
    }
    out.push(...digits.map((d, i) => (i < digits.length - 1 ? d | 0x80 : d)));
  }
  return tlv(0x06, Buffer.from(out));
}
const positiveInt = (buf) => tlv(0x02, buf[0] & 0x80 ? Buffer.concat([Buffer.from([0]), buf]) : buf);
const utcTime = (d) => tlv(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const extension = (id, critical, value) => seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), tlv(0x04, value));

/** The TLV elements inside the DER value at `buf` (which must be one constructed TLV). */
function children(buf) {
  const out = [];
  let i = buf[1] & 0x80 ? 2 + (buf[1] & 0x7f) : 2;
  while (i < buf.length) {
    const start = i;
    const l = buf[i + 1];
    let n = l;
    let hdr = 2;
    if (l & 0x80) {
      n = 0;
      for (let k = 0; k < (l & 0x7f); k++) n = n * 256 + buf[i + 2 + k];
      hdr = 2 + (l & 0x7f);
    }
    i = start + hdr + n;
    out.push(buf.subarray(start, i));
  }
  return out;
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** A signer for the CA in `pkiDir` (ca.pem, ca-key.pem, as `freezeframe certs init` made them). */
export function simCa(pkiDir) {
  const caPem = readFileSync(join(pkiDir, 'ca.pem'));
  const caKey = createPrivateKey(readFileSync(join(pkiDir, 'ca-key.pem')));
  const tbs = children(Buffer.from(new X509Certificate(caPem).raw))[0];
  const fields = children(tbs);
  // tbsCertificate: [0] version, serial, signature, issuer, validity, subject, ...
  const caSubject = fields[fields[0][0] === 0xa0 ? 5 : 4];
  return {
    caPem,
    /** A key and certificate for node `name` reachable at `ip`: PEM strings. */
    issue(name, ip) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const serial = randomBytes(16);
      serial[0] = (serial[0] & 0x3f) | 0x40; // positive, and no leading zero byte (DER wants the shortest form)
      const now = Date.now();
      const ipBytes = Buffer.from(ip.split('.').map(Number));
      const tbsCert = seq(
        tlv(0xa0, positiveInt(Buffer.from([2]))),
        positiveInt(serial),
        ECDSA_SHA256,
        caSubject,
        seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 2 * 86400_000))),
        seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(name))))),
        publicKey.export({ type: 'spki', format: 'der' }),
        tlv(
          0xa3,
          seq(
            extension('2.5.29.19', true, seq()),
            // digitalSignature + keyAgreement, as `certs issue`
            extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x03, 0x88]))),
            extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
            extension('2.5.29.17', false, seq(tlv(0x82, Buffer.from(name)), tlv(0x87, ipBytes))),
          ),
        ),
      );
      const der = seq(tbsCert, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), sign('sha256', tbsCert, caKey)));
      const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
      return { cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) };
    },
  };
}
