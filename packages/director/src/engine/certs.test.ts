import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary, isFfError, run } from '@freezeframe/common';
import { certInfo, certsInit, certsIssue, certsRenew, certsRevoke, parseCertInfo, writeCrl } from './certs.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-certs-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function x509Text(file: string): Promise<string> {
  return (await run({ bin: findBinary('openssl'), args: ['x509', '-noout', '-text', '-in', file], timeoutMs: 10_000 })).stdout;
}

describe('certs (real openssl)', () => {
  it('init makes a CA and a director client certificate with private keys mode 0600', async () => {
    const r = await certsInit(dir);
    const ca = await x509Text(r.cert);
    expect(ca).toMatch(/Subject: CN ?= ?freezeframe-ca/);
    expect(ca).toMatch(/CA:TRUE/);
    expect(ca).toMatch(/ASN1 OID: prime256v1/);
    const director = await x509Text(r.director.cert);
    expect(director).toMatch(/Subject: CN ?= ?director/);
    expect(director).toMatch(/TLS Web Client Authentication/);
    for (const key of [r.key, r.director.key]) expect(statSync(key).mode & 0o777).toBe(0o600);
  });

  it('issue makes a node certificate with CN, SANs and both TLS usages, verifiable against the CA', async () => {
    const r = await certsIssue({ dir, name: 'cassandra-1', ips: ['10.0.0.21', '127.0.0.1'], dns: ['cassandra-1.internal'] });
    const text = await x509Text(r.cert);
    expect(text).toMatch(/Subject: CN ?= ?cassandra-1/);
    expect(text).toMatch(/Issuer: CN ?= ?freezeframe-ca/);
    expect(text).toContain('DNS:cassandra-1');
    expect(text).toContain('DNS:cassandra-1.internal');
    expect(text).toContain('IP Address:10.0.0.21');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(statSync(r.key).mode & 0o777).toBe(0o600);
    const v = await run({ bin: findBinary('openssl'), args: ['verify', '-CAfile', join(dir, 'ca.pem'), r.cert], timeoutMs: 10_000 });
    expect(v.stdout).toContain(': OK');
  });

  it('refuses to overwrite, bad names and bad IPs', async () => {
    await expect(certsIssue({ dir, name: 'cassandra-1' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'ALREADY_EXISTS'));
    await expect(certsIssue({ dir, name: '../evil' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'INVALID_ARGUMENT'));
    await expect(certsIssue({ dir, name: 'n2', ips: ['not-an-ip'] })).rejects.toSatisfy((e: unknown) => isFfError(e, 'INVALID_ARGUMENT'));
    await expect(certsInit(dir)).rejects.toSatisfy((e: unknown) => isFfError(e, 'ALREADY_EXISTS'));
  });

  it('issue without a CA says how to make one', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    await expect(certsIssue({ dir: empty, name: 'x' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'NOT_FOUND') && /certs init/.test(e.hint ?? ''));
  });
});

describe('certs revoke and renew (real openssl)', () => {
  const pki = mkdtempSync(join(dir, 'revoke-'));
  const crlText = async () => (await run({ bin: findBinary('openssl'), args: ['crl', '-in', join(pki, 'crl.pem'), '-CAfile', join(pki, 'ca.pem'), '-noout', '-text'], timeoutMs: 10_000 }));
  const revokedLines = () => readFileSync(join(pki, 'index.txt'), 'utf8').split('\n').filter((l) => l.startsWith('R\t'));

  it('init writes an empty CRL signed by the CA; issue lasts 397 days unless --days says otherwise', async () => {
    const r = await certsInit(pki);
    expect(r.crl).toBe(join(pki, 'crl.pem'));
    const crl = await crlText();
    expect(crl.stderr).toContain('verify OK');
    expect(crl.stdout).toContain('No Revoked Certificates');
    const days = (iso: string) => Math.round((Date.parse(iso) - Date.now()) / 86_400_000);
    expect(days(r.director.notAfter)).toBe(397);
    expect(days((await certsIssue({ dir: pki, name: 'short', days: 30 })).notAfter)).toBe(30);
    await expect(certsIssue({ dir: pki, name: 'n', days: 0 })).rejects.toSatisfy((e: unknown) => isFfError(e, 'INVALID_ARGUMENT') && /--days/.test((e as Error).message));
  });

  it('revoke lists the serial in a CRL signed by the CA, once however often it is run', async () => {
    const a = await certsIssue({ dir: pki, name: 'alpha', ips: ['127.0.0.1'] });
    const r = await certsRevoke({ dir: pki, name: 'alpha' });
    expect(r).toMatchObject({ serial: a.serial, name: 'alpha', alreadyRevoked: false, revoked: 1, crl: join(pki, 'crl.pem') });
    const crl = await crlText();
    expect(crl.stderr).toContain('verify OK');
    expect(crl.stdout).toContain(`Serial Number: ${a.serial}`);
    // again, by name, by serial (any spelling) and by file: nothing new
    for (const again of [{ name: 'alpha' }, { serial: a.serial.toLowerCase() }, { serial: `0x${a.serial}` }, { cert: a.cert }]) {
      expect(await certsRevoke({ dir: pki, ...again })).toMatchObject({ serial: a.serial, alreadyRevoked: true, revoked: 1 });
    }
    expect(revokedLines()).toHaveLength(1);
  });

  it('revoke refuses an unknown serial, a certificate of another CA and ambiguous arguments', async () => {
    await expect(certsRevoke({ dir: pki, serial: '0BADC0DE' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'NOT_FOUND') && /--cert/.test(e.hint ?? ''));
    await expect(certsRevoke({ dir: pki, serial: 'zz' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'INVALID_ARGUMENT'));
    await expect(certsRevoke({ dir: pki, cert: join(dir, 'cassandra-1.pem') })).rejects.toSatisfy((e: unknown) => isFfError(e, 'FAILED_PRECONDITION'));
    await expect(certsRevoke({ dir: pki, name: 'alpha', serial: '01' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'INVALID_ARGUMENT'));
    await expect(certsRevoke({ dir: pki })).rejects.toSatisfy((e: unknown) => isFfError(e, 'INVALID_ARGUMENT'));
    expect(revokedLines()).toHaveLength(1);
  });

  it('renew keeps name, SANs and usages with a new key and serial, keeps the old files, and never overwrites them', async () => {
    const first = await certsIssue({ dir: pki, name: 'beta', ips: ['10.0.0.2', '::1'], dns: ['beta.internal'] });
    const r = await certsRenew({ dir: pki, name: 'beta', days: 100 });
    expect(r.serial).not.toBe(first.serial);
    expect(r.old).toEqual({ cert: `${first.cert}.old`, key: `${first.key}.old`, serial: first.serial, revoked: false });
    const [before, after] = [await certInfo(r.old.cert), await certInfo(r.cert)];
    expect(after).toMatchObject({ name: 'beta', dns: before.dns, ips: before.ips, serverAuth: true });
    expect(before.dns).toEqual(['beta', 'beta.internal']);
    expect(readFileSync(r.key, 'utf8')).not.toBe(readFileSync(r.old.key, 'utf8'));
    expect(statSync(r.key).mode & 0o777).toBe(0o600);
    // a second renew would overwrite the .old files: refused, nothing changed
    await expect(certsRenew({ dir: pki, name: 'beta' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'ALREADY_EXISTS') && /certs revoke --cert/.test(e.hint ?? ''));
    expect((await certInfo(r.cert)).serial).toBe(r.serial);
    // the old one revoked, the new one not
    await certsRevoke({ dir: pki, cert: r.old.cert });
    const crl = (await crlText()).stdout;
    expect(crl).toContain(`Serial Number: ${first.serial}`);
    expect(crl).not.toContain(`Serial Number: ${r.serial}`);
    // the director stays client-only; --revoke-old revokes at once
    const d = await certsRenew({ dir: pki, name: 'director', revokeOld: true });
    expect(d.old.revoked).toBe(true);
    expect((await certInfo(d.cert)).serverAuth).toBe(false);
    expect((await crlText()).stdout).toContain(`Serial Number: ${d.old.serial}`);
    await expect(certsRenew({ dir: pki, name: 'nobody' })).rejects.toSatisfy((e: unknown) => isFfError(e, 'NOT_FOUND') && /certs issue/.test(e.hint ?? ''));
    expect(existsSync(join(pki, 'nobody.pem.old'))).toBe(false);
  });

  it('crl writes a fresh CRL with the same revocations', async () => {
    const r = await writeCrl(pki);
    expect(r.revoked).toBe(3);
    expect((await crlText()).stderr).toContain('verify OK');
  });

  it('parses what openssl x509 prints (recorded, OpenSSL 3.0)', () => {
    const text = [
      'serial=0ABC',
      'notAfter=Dec  1 09:00:41 2026 GMT',
      'subject=CN=alpha',
      'X509v3 Extended Key Usage: ',
      '    TLS Web Server Authentication, TLS Web Client Authentication',
      'X509v3 Subject Alternative Name: ',
      '    DNS:alpha, DNS:a.b, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:x@y',
      '',
    ].join('\n');
    expect(parseCertInfo(text)).toEqual({
      serial: '0ABC',
      notAfter: new Date('2026-12-01T09:00:41Z'),
      name: 'alpha',
      dns: ['alpha', 'a.b'],
      ips: ['127.0.0.1', '0:0:0:0:0:0:0:1'],
      otherSans: ['email:x@y'],
      serverAuth: true,
    });
  });
});
