import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { channelCredentials, findBinary, readTls, run, spawnProcess, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcAgentNode } from '@freezeframe/director/engine/core/agent-client.js';
import { makePki, type Pki } from './support/pki.js';
import {
  AGENT_MAIN,
  attachAgentLogs,
  call,
  client,
  logLines,
  rawClient,
  startAgent,
  stopAgent,
  writeAgentConfig,
  waitForLog,
  type TestAgent as Agent,
} from './support/agents.js';
import { dataChannelHello } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// Attacks on identity: who may connect at all, who may call what, and whether the director
// notices a node that is not the one the inventory names. Real agents from dist, real
// certificates from openssl, over loopback.

/** A certificate signed by the pki's CA that expired in 2020 (`openssl ca` sets the dates). */
async function issueExpired(pki: Pki, name: string, dir: string): Promise<{ ca: string; cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const openssl = findBinary('openssl');
  const ossl = (args: string[]) => run({ bin: openssl, args, cwd: dir, timeoutMs: 30_000 });
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'ext.cnf'), `[v3]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:${name},IP:127.0.0.1\n`);
  writeFileSync(
    join(dir, 'ca.cnf'),
    ['[ca]', 'default_ca = d', '[d]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256', 'policy = p', 'unique_subject = no', 'copy_extensions = none', '[p]', 'commonName = supplied', ''].join('\n'),
  );
  await ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await ossl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr]);
  await ossl([
    'ca', '-batch', '-config', 'ca.cnf', '-cert', pki.ca, '-keyfile', join(pki.dir, 'ca-key.pem'), '-in', csr, '-out', cert,
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext', '-extfile', 'ext.cnf', '-extensions', 'v3',
  ]);
  return { ca: pki.ca, cert, key };
}

describe('security: identities and TLS', () => {
  let root: string;
  let pki: Pki;
  let otherPki: Pki;
  let alpha: Agent;
  let beta: Agent;
  const agents: Agent[] = [];
  const clients: AgentClient[] = [];
  let director: AgentClient;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-tls-'));
    [pki, otherPki] = await Promise.all([makePki(join(root, 'pki'), ['director', 'alpha', 'beta']), makePki(join(root, 'other-pki'), ['director', 'alpha'])]);
    mkdirSync(join(root, 'alpha', 'data'), { recursive: true });
    mkdirSync(join(root, 'beta', 'backups'), { recursive: true });
    const a = writeAgentConfig(root, pki, 'alpha', `source: { kind: dir, volume: ${join(root, 'alpha', 'data')} }\nfreeze: { kind: none }\n`);
    const b = writeAgentConfig(root, pki, 'beta', `target: { kind: dir, path: ${join(root, 'beta', 'backups')} }\n`);
    [alpha, beta] = await Promise.all([startAgent('alpha', a), startAgent('beta', b)]);
    agents.push(alpha, beta);
    director = client(pki, 'director', alpha);
    clients.push(director);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents, 30);

  /** The agent keeps serving the director after each attack. */
  const stillServing = async (a: Agent = alpha) => {
    const c = a === alpha ? director : client(pki, 'director', a);
    expect((await call(c, 'Health', {})).name).toBe(a.name);
    if (c !== director) c.close();
  };

  it('a client without a certificate is refused in the handshake (gRPC and data channel)', async () => {
    attachLogs();
    const anon = rawClient(alpha, grpc.credentials.createSsl(readFileSync(pki.ca), null, null, { checkServerIdentity: () => undefined }));
    clients.push(anon);
    await expect(call(anon, 'Health', {}, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const d = await dataChannelHello(alpha.dataPort, { ticket: 'a'.repeat(64), direction: 'backup', args: [] }, undefined, pki.ca);
    expect(d.text).not.toMatch(/^OK/);
    expect(d.text).toBe('');
    await stillServing();
  });

  it('a certificate from another CA is refused, even with the name "director"', async () => {
    attachLogs();
    const t = readTls(otherPki.files('director'));
    // trusts our server, presents a foreign client certificate
    const foreign = rawClient(alpha, grpc.credentials.createSsl(readFileSync(pki.ca), t.key, t.cert, { checkServerIdentity: () => undefined }));
    clients.push(foreign);
    await expect(call(foreign, 'Freeze', { backup_id: '20240101_000000', lease_ms: 1000 }, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const d = await dataChannelHello(alpha.dataPort, { ticket: 'a'.repeat(64), direction: 'backup', args: [] }, { ...otherPki.files('alpha'), ca: pki.ca });
    expect(d.text).toBe('');
    expect((await call(director, 'Health', {})).frozen).toEqual([]);
    await stillServing();
  });

  it("a peer agent's certificate may not call any control RPC", async () => {
    attachLogs();
    const peer = client(pki, 'beta', alpha);
    clients.push(peer);
    const id = '20240101_000000';
    const attempts: Array<[string, object]> = [
      ['Freeze', { backup_id: id, lease_ms: 60_000 }],
      ['Thaw', { backup_id: id }],
      ['PrepareSnapshot', { backup_id: id }],
      ['RemoveSnapshot', { backup_id: id }],
      ['OpenReceive', { backup_id: id, source: 'alpha', peer: 'beta', direction: 'DIRECTION_RESTORE' }],
      ['Health', {}],
      ['Describe', {}],
      ['ListBackups', {}],
    ];
    for (const [rpc, req] of attempts) {
      await expect(call(peer, rpc, req), rpc).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: "identity 'beta' may not call node alpha",
      });
    }
    expect((await call(director, 'Health', {})).frozen).toEqual([]);
    // the audit log names the caller, the RPC and the refusal
    const line = await waitForLog(alpha, (l) => l.rpc === 'ListBackups' && l.caller === 'beta').then(() => logLines(alpha).find((l) => l.rpc === 'Freeze' && l.caller === 'beta'));
    expect(line).toMatchObject({ audit: true, result: 'PERMISSION_DENIED', backup_id: id });
    expect(typeof line!.duration_ms).toBe('number');
    await stillServing();
  });

  it("the director refuses node A's certificate at node B's address, naming both", async () => {
    attachLogs();
    const wrong = new GrpcAgentNode({ name: 'beta', address: `127.0.0.1:${alpha.port}` }, channelCredentials(readTls(pki.files('director'))));
    let err: any;
    try {
      await wrong.health();
    } catch (e) {
      err = e;
    } finally {
      wrong.close();
    }
    expect(err?.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/^beta: /);
    expect(err.message).toContain("presented a certificate for 'alpha', not for 'beta'");
    // nothing reached the agent: no audit line from that connection
    expect(logLines(alpha).filter((l) => l.rpc === 'Health' && l.caller === 'director').length).toBeLessThanOrEqual(
      logLines(alpha).filter((l) => l.rpc === 'Health').length,
    );
    await stillServing();
  });

  it('an expired director certificate is refused; an agent with an expired certificate is refused by the director', async () => {
    attachLogs();
    const expired = await issueExpired(pki, 'director', join(root, 'expired'));
    const t = readTls(expired);
    const old = rawClient(alpha, grpc.credentials.createSsl(t.ca, t.key, t.cert, { checkServerIdentity: () => undefined }));
    clients.push(old);
    await expect(call(old, 'Health', {}, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const d = await dataChannelHello(beta.dataPort, { ticket: 'a'.repeat(64), direction: 'backup', args: [] }, expired);
    expect(d.text).toBe('');
    await waitForLog(beta, (l) => l.msg === 'data channel: TLS handshake refused');

    // an agent whose own certificate has expired: the director does not talk to it
    const gammaTls = await issueExpired(pki, 'gamma', join(root, 'expired-gamma'));
    const g = writeAgentConfig(root, pki, 'gamma', '', { tls: gammaTls });
    const gamma = await startAgent('gamma', g);
    agents.push(gamma);
    const node = new GrpcAgentNode({ name: 'gamma', address: `127.0.0.1:${gamma.port}` }, channelCredentials(readTls(pki.files('director'))));
    await expect(node.health()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^gamma: .*expired/) });
    node.close();
    await stillServing();
  });

  it('writes one audit line per RPC with caller, RPC, backup id, result and duration', async () => {
    attachLogs();
    const before = logLines(alpha).length;
    await call(director, 'Freeze', { backup_id: '20240102_030405-audit', lease_ms: 60_000 });
    await call(director, 'Thaw', { backup_id: '20240102_030405-audit' });
    await expect(call(director, 'Thaw', { backup_id: 'x;id' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await waitForLog(alpha, (l) => l.backup_id === 'x;id');
    const lines = logLines(alpha).slice(before).filter((l) => l.audit);
    expect(lines.map((l) => [l.rpc, l.caller, l.backup_id, l.result])).toEqual([
      ['Freeze', 'director', '20240102_030405-audit', 'ok'],
      ['Thaw', 'director', '20240102_030405-audit', 'ok'],
      ['Thaw', 'director', 'x;id', 'INVALID_ARGUMENT'],
    ]);
    for (const l of lines) {
      expect(l).toMatchObject({ node: 'alpha', msg: 'rpc', remote: expect.stringMatching(/127\.0\.0\.1/) });
      expect(l.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  describe('start-up refusals', () => {
    const check = async (file: string) => {
      const r = await spawnProcess({ bin: process.execPath, args: [AGENT_MAIN, '--config', file], timeoutMs: 20_000, okExitCodes: [0, 1, 2] }).done;
      return r;
    };

    it('refuses to start without its key, certificate or CA, naming the key and file', async () => {
      attachLogs();
      await Promise.all(
        (['key', 'cert', 'ca'] as const).map(async (what) => {
          const files = { ...pki.files('alpha'), [what]: join(root, `missing-${what}.pem`) };
          const f = writeAgentConfig(join(root, `no-${what}`), pki, 'alpha', '', { tls: files });
          const r = await check(f);
          expect(r.code, what).toBe(2);
          expect(r.stderr).toContain(`tls.${what}: cannot read ${join(root, `missing-${what}.pem`)}: ENOENT`);
        }),
      );
      const noTls = join(root, 'no-tls.yaml');
      writeFileSync(noTls, 'name: alpha\nlisten: 127.0.0.1:0\n');
      const r = await check(noTls);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${noTls}: tls:`);
    });

    it('refuses insecure: true on a non-loopback address, naming the key', async () => {
      attachLogs();
      await Promise.all(
        ['0.0.0.0:0', '10.1.2.3:7450'].map(async (listen, i) => {
          const f = writeAgentConfig(join(root, `insecure-${i}`), pki, 'alpha', 'insecure: true\n');
          writeFileSync(f, readFileSync(f, 'utf8').replace('listen: 127.0.0.1:0', `listen: ${listen}`));
          const r = await check(f);
          expect(r.code).toBe(2);
          expect(r.stderr).toContain(`${f}: insecure: allowed only with a loopback listen address (listen is ${listen})`);
        }),
      );
      const f = writeAgentConfig(join(root, 'insecure-data'), pki, 'alpha', 'insecure: true\ndataListen: 0.0.0.0:0\n');
      const r = await check(f);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('insecure: allowed only with a loopback listen address (dataListen is 0.0.0.0:0)');
    });

    it('insecure: true on loopback treats every caller as the director (the documented cost)', async () => {
      attachLogs();
      const f = writeAgentConfig(join(root, 'demo'), pki, 'alpha', 'insecure: true\n');
      const demo = await startAgent('alpha', f);
      agents.push(demo);
      await waitForLog(demo, (l) => /insecure: true/.test(l.msg));
      const anon = rawClient(demo, grpc.credentials.createSsl(readFileSync(pki.ca), null, null, { checkServerIdentity: () => undefined }));
      clients.push(anon);
      expect((await call(anon, 'Health', {})).name).toBe('alpha');
      expect(await waitForLog(demo, (l) => l.audit && l.rpc === 'Health' && l.result === 'ok')).toMatchObject({ caller: 'insecure-loopback' });
      // the data channel keeps mutual TLS even then
      const d = await dataChannelHello(demo.dataPort, { ticket: 'a'.repeat(64), direction: 'backup', args: [] }, undefined, pki.ca);
      expect(d.text).toBe('');
      await stopAgent(demo);
    });
  });
});
