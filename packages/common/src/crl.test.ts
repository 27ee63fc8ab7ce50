import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationList, crlSignedBy, loadCrl, normalizeSerial, parseCrl } from './crl.js';
import { isFfError } from './errors.js';
import { findBinary, run } from './run.js';

// CRLs made by the system openssl (`openssl ca -gencrl`, as `freezeframe certs revoke` does),
// read by our parser: serials, dates, signature and issuer checks, and the reload rules.

const dir = mkdtempSync(join(tmpdir(), 'ff-crl-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ossl = (args: string[]) => run({ bin: findBinary('openssl'), args, cwd: dir, timeoutMs: 30_000 });

async function makeCa(name: string): Promise<void> {
  await ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}-key.pem`]);
  await ossl(['req', '-x509', '-new', '-key', `${name}-key.pem`, '-sha256', '-days', '30', '-subj', `/CN=${name}`, '-out', `${name}.pem`]);
}

/** A CRL of CA `ca` revoking `serials` (hex), written to `out`; `dates` sets lastUpdate/nextUpdate. */
async function makeCrl(ca: string, serials: string[], out: string, dates?: [string, string]): Promise<string> {
  const index = `${out}.index`;
  writeFileSync(join(dir, index), serials.map((s) => `R\t301231000000Z\t240101000000Z\t${s}\tunknown\t/CN=x\n`).join(''));
  writeFileSync(join(dir, `${out}.cnf`), `[ca]\ndefault_ca = d\n[d]\ndatabase = ./${index}\ndefault_md = sha256\n`);
  await ossl([
    'ca', '-gencrl', '-batch', '-config', `${out}.cnf`, '-cert', `${ca}.pem`, '-keyfile', `${ca}-key.pem`,
    ...(dates ? ['-crl_lastupdate', dates[0], '-crl_nextupdate', dates[1]] : ['-crldays', '30']), '-out', out,
  ]);
  return join(dir, out);
}

describe('CRL (real openssl)', () => {
  let ca: Buffer;
  beforeAll(async () => {
    await Promise.all([makeCa('ca'), makeCa('other')]);
    ca = readFileSync(join(dir, 'ca.pem'));
  });

  it('normalizes serials the way openssl and node print them', () => {
    expect(normalizeSerial('0ABC')).toBe('ABC');
    expect(normalizeSerial('0a:bc')).toBe('ABC');
    expect(normalizeSerial('00')).toBe('0');
  });

  it('reads the revoked serials and dates of an openssl CRL, PEM and DER, and checks its signer', async () => {
    const pem = await makeCrl('ca', ['0ABC', '7F01', '1B39414422C2688607D9DFC9CAF1CA1F'], 'three.pem');
    const crl = parseCrl(readFileSync(pem));
    expect([...crl.revoked].sort()).toEqual(['1B39414422C2688607D9DFC9CAF1CA1F', '7F01', 'ABC']);
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).toBe(30 * 86_400_000);
    expect(crlSignedBy(crl, ca)).toBe(true);
    expect(crlSignedBy(crl, readFileSync(join(dir, 'other.pem')))).toBe(false);
    await ossl(['crl', '-in', 'three.pem', '-outform', 'DER', '-out', 'three.der']);
    expect(parseCrl(readFileSync(join(dir, 'three.der'))).revoked).toEqual(crl.revoked);
    // an empty CRL has no revokedCertificates at all
    expect(parseCrl(readFileSync(await makeCrl('ca', [], 'empty.pem'))).revoked.size).toBe(0);
  });

  it('refuses a CRL of another CA, a tampered one, an expired one and garbage, naming the file', async () => {
    const refused = (file: string, why: RegExp) => {
      let err: unknown;
      try {
        loadCrl(file, ca);
      } catch (e) {
        err = e;
      }
      expect(isFfError(err, 'CONFIG_INVALID'), file).toBe(true);
      expect((err as Error).message).toContain(`tls.crl: ${file}: `);
      expect((err as Error).message).toMatch(why);
    };
    refused(await makeCrl('other', ['0ABC'], 'foreign.pem'), /not signed by the CA/);
    refused(await makeCrl('ca', ['0ABC'], 'expired.pem', ['20200101000000Z', '20210101000000Z']), /expired on 2021-01-01/);
    // one revoked serial changed in the signed bytes
    const der = Buffer.from(readFileSync(join(dir, 'three.der')));
    const at = der.indexOf(Buffer.from([0x02, 0x02, 0x7f, 0x01]));
    der[at + 3] = 0x02;
    writeFileSync(join(dir, 'tampered.der'), der);
    refused(join(dir, 'tampered.der'), /not signed by the CA/);
    writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    refused(join(dir, 'garbage.pem'), /not a valid CRL/);
    refused(join(dir, 'missing.pem'), /cannot read: ENOENT/);
    refused(join(dir, 'ca.pem'), /no "BEGIN X509 CRL" block/);
  });

  it('a RevocationList picks up a replaced file and keeps the last good list when the new one is bad', async () => {
    const live = join(dir, 'live.pem');
    renameSync(await makeCrl('ca', [], 'v1.pem'), live);
    const list = RevocationList.load(live, ca);
    const cert = { serialNumber: '0ABC', subject: { CN: 'alpha' } };
    const lines: string[] = [];
    const log = { info: (_f: object, m: string) => lines.push(`info ${m}`), error: (f: object, m: string) => lines.push(`error ${m} ${(f as { err: string }).err}`) };
    expect(list.check(cert, log)).toBeUndefined();
    renameSync(await makeCrl('ca', ['0ABC'], 'v2.pem'), live);
    expect(list.check(cert, log)).toBe(`certificate 'alpha' (serial 0ABC) is revoked (${live})`);
    expect(lines).toEqual(['info tls.crl: reloaded']);
    // another CA's CRL without the serial: refused, the revocation stays
    renameSync(await makeCrl('other', [], 'v3.pem'), live);
    expect(list.check(cert, log)).toMatch(/is revoked/);
    expect(lines[1]).toMatch(/^error tls\.crl: changed file refused.*not signed by the CA/);
    // unchanged file: no second read, no second line
    list.check(cert, log);
    expect(lines).toHaveLength(2);
  });
});
