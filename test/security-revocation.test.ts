import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { channelCredentials, entryName, findBinary, readTls, run, spawnProcess, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcAgentNode } from '@freezeframe/director/engine/core/agent-client.js';
import { certInfo, certsInit, certsIssue, certsRenew, certsRevoke } from '@freezeframe/director/engine/certs.js';
import type { Pki, TlsPaths } from './support/pki.js';
import {
  AGENT_MAIN,
  attachAgentLogs,
  call,
  logLines,
  rawClient,
  startAgent,
  stopAgent,
  stream,
  waitForLog,
  writeAgentConfig,
  type TestAgent as Agent,
} from './support/agents.js';
import { dataChannelHello } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// Attacks with a stolen key after its certificate was revoked. The PKI is made by
// `freezeframe certs` itself (real openssl); every node and the director has its own copy of
// the CRL, as in a deployment, and is sent the new one by copying it over the old (no restart).

const ARGS = ['rsync', '--server', '-lHogDtpAXre.iLsfxCIvu', '--delete', '--numeric-ids', '.', '.'];
const BACKUP_ID = '20240301_000000';

describe('security: revocation', () => {
  let root: string;
  let pkiDir: string;
  let pki: Pki;
  let alpha: Agent;
  let beta: Agent;
  let gamma: Agent;
  const agents: Agent[] = [];
  const clients: AgentClient[] = [];
  const nodes: GrpcAgentNode[] = [];

  /** Where node `name` (or the director) keeps its copy of the CRL. */
  const crlOf = (name: string) => join(root, name, 'crl.pem');
  /** Copies the CA folder's crl.pem to these nodes the way an operator should: beside it, then renamed over it. */
  const install = (...names: string[]) => {
    for (const n of names) {
      copyFileSync(join(pkiDir, 'crl.pem'), `${crlOf(n)}.new`);
      renameSync(`${crlOf(n)}.new`, crlOf(n));
    }
  };
  const files = (name: string): TlsPaths => ({ ...pki.files(name), crl: crlOf(name) });
  /** A director as the CLI makes it: the inventory's TLS files, CRL included. */
  const directorNode = (a: Agent) => {
    const n = new GrpcAgentNode({ name: a.name, address: `127.0.0.1:${a.port}` }, channelCredentials(readTls(files('director'))));
    nodes.push(n);
    return n;
  };
  /** A gRPC client holding `t` (no CRL of its own: the agent must refuse it). */
  const clientWith = (t: TlsPaths, a: Agent) => {
    const c = rawClient(a, channelCredentials(readTls({ ca: t.ca, cert: t.cert, key: t.key })));
    clients.push(c);
    return c;
  };
  /** A copy of `name`'s current certificate and key: what a thief holds. */
  const steal = (name: string): TlsPaths => {
    const dir = join(root, 'stolen', name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(pki.files(name).cert, join(dir, 'cert.pem'));
    copyFileSync(pki.files(name).key, join(dir, 'key.pem'));
    return { ca: pki.ca, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  };
  const serialOf = async (t: TlsPaths) => (await certInfo(t.cert)).serial;
  const ticket = async (tgt: Agent, peer: string, id = BACKUP_ID) =>
    (await call(clientWith(pki.files('director'), tgt), 'OpenReceive', { backup_id: id, source: peer, peer, direction: 'DIRECTION_BACKUP', entry: entryName(peer, '/data') })) as {
      ticket: string;
      data_port: number;
    };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-revoke-'));
    pkiDir = join(root, 'pki');
    await certsInit(pkiDir);
    for (const n of ['alpha', 'beta', 'gamma']) await certsIssue({ dir: pkiDir, name: n, ips: ['127.0.0.1'] });
    pki = {
      dir: pkiDir,
      ca: join(pkiDir, 'ca.pem'),
      files: (n) => ({ ca: join(pkiDir, 'ca.pem'), cert: join(pkiDir, `${n}.pem`), key: join(pkiDir, `${n}-key.pem`) }),
    };
    // a second CA, for CRLs that are not ours
    await certsInit(join(root, 'other-pki'));
    for (const n of ['director', 'alpha', 'beta', 'gamma']) mkdirSync(join(root, n), { recursive: true });
    install('director', 'alpha', 'beta', 'gamma');
    const data = join(root, 'alpha', 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'a.txt'), 'hello\n');
    for (const n of ['beta', 'gamma']) mkdirSync(join(root, n, 'backups'), { recursive: true });
    const a = writeAgentConfig(root, pki, 'alpha', `source: { kind: dir, volume: ${data} }\nfreeze: { kind: none }\n`, { tls: files('alpha') });
    const b = writeAgentConfig(root, pki, 'beta', `target: { kind: dir, path: ${join(root, 'beta', 'backups')} }\n`, { tls: files('beta') });
    const g = writeAgentConfig(root, pki, 'gamma', `target: { kind: dir, path: ${join(root, 'gamma', 'backups')} }\n`, { tls: files('gamma') });
    [alpha, beta, gamma] = await Promise.all([startAgent('alpha', a), startAgent('beta', b), startAgent('gamma', g)]);
    agents.push(alpha, beta, gamma);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) n.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents, 30);

  it("a revoked director certificate cannot call an agent: new connections at once, an open one within seconds", async () => {
    attachLogs();
    const stolen = steal('director');
    const oldSerial = await serialOf(stolen);
    // the thief connects while the certificate is still good, and keeps the connection
    const open = clientWith(stolen, alpha);
    expect((await call(open, 'Health', {})).name).toBe('alpha');

    const renewed = await certsRenew({ dir: pkiDir, name: 'director' });
    expect(renewed.old.serial).toBe(oldSerial);
    const r = await certsRevoke({ dir: pkiDir, cert: renewed.old.cert });
    expect(r).toMatchObject({ serial: oldSerial, name: 'director', alreadyRevoked: false });
    install('alpha', 'director');

    // a new connection with the stolen key: refused in the handshake, the log names it
    await expect(call(clientWith(stolen, alpha), 'Health', {}, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const refused = await waitForLog(alpha, (l) => l.msg === 'grpc: TLS handshake refused' && l.cert_serial === oldSerial);
    expect(refused.err).toBe(`certificate 'director' (serial ${oldSerial}) is revoked (${crlOf('alpha')})`);
    expect(refused.cn).toBe('director');
    // the connection opened before the revocation is closed by the agent's sweep
    await waitForLog(alpha, (l) => /^grpc: open connection closed, its certificate was revoked/.test(l.msg) && l.cert_serial === oldSerial, 10_000);
    await expect(call(open, 'Health', {}, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });

    // the renewed director works, with the CRL in its own inventory
    expect((await directorNode(alpha).health()).name).toBe('alpha');
    const audit = await waitForLog(alpha, (l) => l.audit && l.rpc === 'Health' && l.cert_serial === renewed.serial);
    expect(audit.caller).toBe('director');
  });

  it("a stolen agent key is refused once revoked: on another agent's data channel, by the director, by a sending agent's tunnel", async () => {
    attachLogs();
    const stolen = steal('gamma');
    const serial = await serialOf(stolen);
    // before: the key is good everywhere
    expect((await dataChannelHello(beta.dataPort, { ticket: (await ticket(beta, 'gamma')).ticket, direction: 'backup', args: ARGS }, stolen)).text).toBe('OK\n');
    expect((await directorNode(gamma).health()).name).toBe('gamma');

    await certsRevoke({ dir: pkiDir, name: 'gamma' });
    install('director', 'alpha', 'beta');

    // a valid ticket for gamma, presented with gamma's revoked certificate
    const t = await ticket(beta, 'gamma');
    const d = await dataChannelHello(beta.dataPort, { ticket: t.ticket, direction: 'backup', args: ARGS }, stolen);
    expect(d.text).toBe('');
    const line = await waitForLog(beta, (l) => l.msg === 'data channel: TLS handshake refused' && l.cert_serial === serial);
    expect(line.err).toBe(`certificate 'gamma' (serial ${serial}) is revoked (${crlOf('beta')})`);

    // the director does not talk to gamma (a new director: connections are checked as they open)
    await expect(directorNode(gamma).health()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(new RegExp(`^gamma: .*certificate 'gamma' \\(serial ${serial}\\) is revoked`)),
    });

    // alpha does not send to gamma, even with a ticket gamma handed out (here from a director without the CRL)
    const toAlpha = clientWith(pki.files('director'), alpha);
    const id = '20240301_000100';
    const prep = await call(toAlpha, 'PrepareSnapshot', { backup_id: id });
    const rcv = await call(clientWith(pki.files('director'), gamma), 'OpenReceive', { backup_id: id, source: 'alpha', peer: 'alpha', direction: 'DIRECTION_BACKUP', entry: prep.entry });
    const req = { backup_id: id, ticket: rcv.ticket, receiver_name: 'gamma', receiver_host: '127.0.0.1', receiver_data_port: rcv.data_port, inplace: rcv.inplace };
    const err = await stream(toAlpha, 'PerformRsync', req).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err, 'the transfer to a revoked receiver must fail').toBeDefined();
    expect(err?.details).toContain(`receiver certificate 'gamma' (serial ${serial}) is revoked (${crlOf('alpha')})`);
    // nor without the tunnel program, when told gamma takes sessions to stunnel: alpha's own connection checks it
    const direct = await stream(toAlpha, 'PerformRsync', { ...req, receiver_native: true }).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(direct?.details).toMatch(new RegExp(`^data channel of gamma \\(127\\.0\\.0\\.1:\\d+\\): receiver certificate 'gamma' \\(serial ${serial}\\) is revoked`));
    expect(readFileSync(join(root, 'gamma', 'agent.yaml'), 'utf8')).toContain('crl:');
    await call(toAlpha, 'RemoveSnapshot', { backup_id: id });
  });

  it('a replaced CRL counts on a running agent without a restart; a bad replacement keeps the revocations', async () => {
    attachLogs();
    // beta has refused gamma since its CRL was replaced above (it never restarted)
    const stolen = steal('gamma');
    const serial = await serialOf(stolen);
    const refusals = () => logLines(beta).filter((l) => l.msg === 'data channel: TLS handshake refused' && l.cert_serial === serial).length;
    const t = await ticket(beta, 'gamma');
    const attempt = async () => {
      const n = refusals();
      expect((await dataChannelHello(beta.dataPort, { ticket: t.ticket, direction: 'backup', args: ARGS }, stolen)).text).toBe('');
      await waitForLog(beta, () => refusals() > n);
    };
    // a CRL that is not the CA's (a second CA's, empty) over beta's copy: refused, gamma stays revoked
    copyFileSync(join(root, 'other-pki', 'crl.pem'), `${crlOf('beta')}.new`);
    renameSync(`${crlOf('beta')}.new`, crlOf('beta'));
    await attempt();
    const bad = await waitForLog(beta, (l) => /^tls\.crl: changed file refused/.test(l.msg));
    expect(bad.err).toBe(`tls.crl: ${crlOf('beta')}: not signed by the CA (tls.ca)`);
    // half a file (a copy caught in the middle) is refused the same way
    writeFileSync(crlOf('beta'), readFileSync(join(pkiDir, 'crl.pem')).subarray(0, 100));
    await attempt();
    await waitForLog(beta, (l) => /^tls\.crl: changed file refused/.test(l.msg) && /BEGIN X509 CRL/.test(l.err));
    // the good one again: read at the next connection
    install('beta');
    await attempt();
    await waitForLog(beta, (l) => l.msg === 'tls.crl: reloaded' && l.revoked === 2);
  });

  it('renew gives a working certificate with the same name and a new serial; revoking the old one leaves the new one working', async () => {
    attachLogs();
    const before = await certInfo(pki.files('beta').cert);
    const stolen = steal('beta');
    const renewed = await certsRenew({ dir: pkiDir, name: 'beta' });
    const after = await certInfo(renewed.cert);
    expect(after).toMatchObject({ name: 'beta', dns: before.dns, ips: before.ips, serverAuth: true });
    expect(after.serial).not.toBe(before.serial);
    expect(renewed.old).toMatchObject({ cert: `${pki.files('beta').cert}.old`, serial: before.serial, revoked: false });
    // 397 days, not 825
    expect(Math.round((after.notAfter.getTime() - Date.now()) / 86_400_000)).toBe(397);

    // beta restarts with the new files (same paths); the director reaches it and sees the new serial
    install('beta');
    await stopAgent(beta);
    agents.splice(agents.indexOf(beta), 1);
    beta = await startAgent('beta', beta.config);
    agents.push(beta);
    const presented = await new Promise<string>((res, rej) => {
      const s = tls.connect({ host: '127.0.0.1', port: beta.dataPort, ca: readFileSync(pki.ca), checkServerIdentity: () => undefined }, () => {
        res(s.getPeerCertificate().serialNumber);
        s.destroy();
      });
      s.on('error', rej);
    });
    expect(presented).toBe(after.serial);

    // now the old certificate is revoked: the new one keeps working everywhere
    const r = await certsRevoke({ dir: pkiDir, cert: renewed.old.cert });
    expect(r.serial).toBe(before.serial);
    install('director', 'alpha', 'beta', 'gamma');
    expect((await directorNode(beta).health()).name).toBe('beta');
    // the old beta certificate is refused on alpha's data channel, naming beta and the old serial
    expect((await dataChannelHello(alpha.dataPort, { ticket: 'a'.repeat(64), direction: 'restore', args: ARGS }, stolen)).text).toBe('');
    const line = await waitForLog(alpha, (l) => l.msg === 'data channel: TLS handshake refused' && l.cert_serial === before.serial);
    expect(line.err).toMatch(/^certificate 'beta' \(serial [0-9A-F]+\) is revoked/);
    // and revoking it again changes nothing
    expect(await certsRevoke({ dir: pkiDir, serial: before.serial })).toMatchObject({ alreadyRevoked: true, revoked: 3 });
  });

  describe('start-up refusals', () => {
    const start = (file: string, check = false) =>
      spawnProcess({ bin: process.execPath, args: [AGENT_MAIN, '--config', file, ...(check ? ['--check'] : [])], timeoutMs: 20_000, okExitCodes: [0, 1, 2] }).done;

    it('an expired CRL, a CRL of another CA and a revoked own certificate stop the agent and --check, naming the file', async () => {
      attachLogs();
      // an expired CRL signed by the right CA (openssl ca with dates in the past)
      const expired = join(root, 'expired-crl.pem');
      writeFileSync(join(root, 'gencrl.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${join(pkiDir, 'index.txt')}\ndefault_md = sha256\nunique_subject = no\n`);
      await run({
        bin: findBinary('openssl'),
        args: ['ca', '-gencrl', '-batch', '-config', join(root, 'gencrl.cnf'), '-cert', pki.ca, '-keyfile', join(pkiDir, 'ca-key.pem'),
          '-crl_lastupdate', '20200101000000Z', '-crl_nextupdate', '20210101000000Z', '-out', expired],
        timeoutMs: 30_000,
      });
      const cases: Array<[string, string, string]> = [
        ['expired', expired, `tls.crl: ${expired}: expired on 2021-01-01T00:00:00.000Z`],
        ['foreign', join(root, 'other-pki', 'crl.pem'), `tls.crl: ${join(root, 'other-pki', 'crl.pem')}: not signed by the CA (tls.ca)`],
      ];
      for (const [what, crl, msg] of cases) {
        const f = writeAgentConfig(join(root, `refuse-${what}`), pki, 'alpha', '', { tls: { ...pki.files('alpha'), crl } });
        for (const check of [false, true]) {
          const r = await start(f, check);
          expect(r.code, `${what} ${check}`).toBe(2);
          expect(r.stderr).toContain(msg);
        }
      }
      // a CRL others could replace (and so take revocations back) is refused like a writable CA
      const loose = join(root, 'loose', 'crl.pem');
      mkdirSync(join(root, 'loose'));
      copyFileSync(join(pkiDir, 'crl.pem'), loose);
      chmodSync(loose, 0o666);
      const l = await start(writeAgentConfig(join(root, 'refuse-loose'), pki, 'alpha', '', { tls: { ...pki.files('alpha'), crl: loose } }), true);
      expect(l.code).toBe(2);
      expect(l.stderr).toContain(`tls.crl: ${loose} is mode 0666: writable by others`);
      // gamma's own certificate is revoked: it says so instead of serving a certificate nobody accepts
      install('gamma');
      const g = await start(gamma.config, true);
      expect(g.code).toBe(2);
      expect(g.stderr).toMatch(new RegExp(`tls\\.cert: ${pki.files('gamma').cert}: certificate 'gamma' \\(serial [0-9A-F]+\\) is revoked`));
      // the director refuses them too
      expect(() => readTls({ ...pki.files('director'), crl: expired })).toThrow(`tls.crl: ${expired}: expired on`);
    });
  });
});
