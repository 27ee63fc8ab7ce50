import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary, isFfError, run } from '@freezeframe/common';
import { certsInit, certsIssue } from './certs.js';

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
