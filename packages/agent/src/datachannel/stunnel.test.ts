import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientConfig, pinnedTrust, serverConfig, NATIVE_OK_RE } from './stunnel.js';

const tls = { cert: '/etc/freezeframe/tgt.pem', key: '/etc/freezeframe/tgt-key.pem', trust: '/tmp/ff-native-x/trust.pem' };
const settings = (conf: string) => new Map(conf.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ') as [string, string]));

describe('stunnel configuration of the native byte path', () => {
  it("the receiver's stunnel runs in inetd mode (node owns the port), trusts only the pinned file, with a handshake limit", () => {
    const conf = serverConfig({ connect: '/tmp/ff-native-x/s.sock', tls });
    const s = settings(conf);
    expect(s.has('accept')).toBe(false);
    expect(conf).not.toMatch(/^\[/m);
    expect(s.get('connect')).toBe('/tmp/ff-native-x/s.sock');
    expect(s.get('CAfile')).toBe(tls.trust);
    expect([s.get('verifyChain'), s.get('verifyPeer'), s.get('requireCert')]).toEqual(['yes', 'yes', 'yes']);
    expect(s.get('TIMEOUTbusy')).toBe('10');
    expect(s.get('sslVersionMin')).toBe('TLSv1.2');
    // its log goes to stderr at notice level, where the agent reads which connection it served
    expect([s.get('foreground'), s.get('debug')]).toEqual(['yes', '5']);
    // a send buffer of 2 MiB on the Unix socket towards rsync, nothing on the network side
    expect(conf.split('\n').filter((l) => l.startsWith('socket = '))).toEqual(['socket = l:TCP_NODELAY=1', 'socket = r:SO_SNDBUF=2097152']);
  });

  it('the sender runs in inetd mode (no accept) towards the port the receiver named', () => {
    const s = settings(clientConfig({ host: '192.0.2.7', port: 40123, tls }));
    expect(s.get('client')).toBe('yes');
    expect(s.get('connect')).toBe('192.0.2.7:40123');
    expect(s.has('accept')).toBe(false);
    expect(s.get('verifyPeer')).toBe('yes');
  });

  it('refuses a value with a line break or another control character: it would add configuration lines', () => {
    expect(() => serverConfig({ connect: '/tmp/x\nexec = /bin/sh', tls })).toThrow(/stunnel connect: control character/);
    expect(() => clientConfig({ host: '127.0.0.1', port: 1, tls: { ...tls, key: '/k\r' } })).toThrow(/stunnel key: control character/);
  });

  it('the trust file holds the CA and exactly the one peer certificate', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
    const der = Buffer.from(PEER_CERT.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const trust = pinnedTrust(ca, der);
    const certs = trust.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
    expect(certs).toHaveLength(2);
    expect(certs[0]).toBe(ca.trim());
    expect(new X509Certificate(certs[1]!).subject).toBe(new X509Certificate(der).subject);
  });

  it('the receiver\'s answer that takes a session to stunnel names a port and nothing else', () => {
    expect(NATIVE_OK_RE.exec('OK native 40123')?.[1]).toBe('40123');
    expect(NATIVE_OK_RE.test('OK native 40123 extra')).toBe(false);
    expect(NATIVE_OK_RE.test('OK')).toBe(false);
  });
});

// a self-signed P-256 certificate (CN=peer, valid ten years), made once with openssl for this test; only its encoding matters here
const PEER_CERT = `-----BEGIN CERTIFICATE-----
MIIBczCCARmgAwIBAgIUBX+Mff1MZEVUQvPft8NKq1P4swwwCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEcGVlcjAeFw0yNjExMjgxOTQxNDZaFw0zNjExMjUxOTQxNDZa
MA8xDTALBgNVBAMMBHBlZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ+46ea
/zJrcY/zONmtT+7HVRGIJhkCyvjw1z17rY9LbLB84+3OrdsK3b85v/Xejs+aM9//
p31G9Am8wiXU1DVWo1MwUTAdBgNVHQ4EFgQU9na0WZ9+z6h0010sKPhrfFdJaeEw
HwYDVR0jBBgwFoAU9na0WZ9+z6h0010sKPhrfFdJaeEwDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNIADBFAiEA8bqxE/GsSNe9ZKAaoP6LPof00LYgzS6JdZA4
MPI+ryUCIAK9CY857LGcJwuAQ1KCD+dJp/mCvDHrC60NQEZ9hUAU
-----END CERTIFICATE-----`;
