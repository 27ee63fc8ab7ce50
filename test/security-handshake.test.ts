import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { readTls, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './support/pki.js';
import { attachAgentLogs, call, client, logLines, rawClient, sleep, startAgent, stopAgent, waitForLog, writeAgentConfig, type TestAgent as Agent } from './support/agents.js';
import { dataChannelHello } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// Attacks on the TLS ports before anyone has authenticated (docs/security.md, "A network attacker"):
// connections that never finish their handshake must not pile up file descriptors, a flood of
// them must be capped, and refused handshakes and accepted callers must leave audit lines that
// say who it was. A real agent from dist over loopback, its fds read from /proc.

/** The agent's handshake timeout (HANDSHAKE_LIMITS in packages/agent/src/tls-listener.ts) and cap. */
const HANDSHAKE_TIMEOUT_MS = 5_000;
const MAX_PENDING = 64;
/** A TLS record header and the start of a ClientHello that announces 512 bytes and sends 11. */
const PARTIAL_CLIENT_HELLO = Buffer.from('1603010200' + '010001fc' + '0303' + 'a5a5a5a5a5', 'hex');

interface Held {
  socket: net.Socket;
  openedAt: number;
  connected?: boolean;
  /** When the agent closed it (undefined: still open). */
  closedAt?: number;
}

/** Opens `n` TCP connections that send nothing (or half a ClientHello) and resolves once all are connected. */
async function holdConnections(port: number, n: number, partial: boolean): Promise<Held[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise<Held>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        const h: Held = { socket, openedAt: Date.now() };
        socket.once('connect', () => {
          h.connected = true;
          if (partial) socket.write(PARTIAL_CLIENT_HELLO);
          resolve(h);
        });
        // a reset by the agent is how some of them end; only a failed connect is the test's problem
        socket.on('error', (e) => (h.connected ? undefined : reject(e)));
        socket.once('close', () => (h.closedAt = Date.now()));
      }),
    ),
  );
}

async function waitUntil(what: string, pred: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

const fds = (a: Agent) => readdirSync(`/proc/${a.proc.child.pid}/fd`).length;

describe('security: unauthenticated connections and handshake audit', () => {
  let root: string;
  let pki: Pki;
  let otherPki: Pki;
  let alpha: Agent;
  const agents: Agent[] = [];
  const clients: AgentClient[] = [];
  const held: Held[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-handshake-'));
    [pki, otherPki] = await Promise.all([makePki(join(root, 'pki'), ['director', 'alpha', 'beta']), makePki(join(root, 'other-pki'), ['director'])]);
    mkdirSync(join(root, 'alpha', 'data'), { recursive: true });
    const cfg = writeAgentConfig(root, pki, 'alpha', `source: { kind: dir, volume: ${join(root, 'alpha', 'data')} }\nfreeze: { kind: none }\n`);
    alpha = await startAgent('alpha', cfg);
    agents.push(alpha);
  });

  afterAll(async () => {
    for (const h of held) h.socket.destroy();
    for (const c of clients) c.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const director = () => {
    const c = client(pki, 'director', alpha);
    clients.push(c);
    return c;
  };

  it('connections that never finish the handshake are closed within the timeout, and a director gets through meanwhile', async () => {
    attachAgentLogs(agents, 40);
    const before = fds(alpha);
    const conns: Held[] = [];
    for (const port of [alpha.port, alpha.dataPort]) {
      conns.push(...(await holdConnections(port, 12, false)), ...(await holdConnections(port, 12, true)));
    }
    held.push(...conns);
    // the agent holds them: one fd each
    await waitUntil('the agent accepted the 48 connections', () => fds(alpha) >= before + 48, 3_000);

    // a legitimate director and peer are served while the attacker's connections wait
    const c = director();
    expect((await call(c, 'Health', {}, 3_000)).name).toBe('alpha');
    const d = await dataChannelHello(alpha.dataPort, { ticket: 'a'.repeat(64), direction: 'backup', args: [] }, pki.files('beta'));
    expect(d.text).toMatch(/^ERR /);
    c.close();

    await waitUntil('the agent closed every unauthenticated connection', () => conns.every((h) => h.closedAt !== undefined), HANDSHAKE_TIMEOUT_MS + 5_000);
    for (const h of conns) expect(h.closedAt! - h.openedAt).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3_000);
    // every descriptor is given back (the director's channel may take a moment to close)
    await waitUntil(`the agent's fds back to ${before}`, () => fds(alpha) <= before, 3_000);
    // and each port said why
    for (const what of ['grpc', 'data channel']) {
      await waitForLog(alpha, (l) => l.msg === `${what}: TLS handshake refused` && /timeout/i.test(String(l.err)) && l.remote === '127.0.0.1');
    }
  });

  it('a flood of unauthenticated connections is capped per port, with one log line per burst', async () => {
    attachAgentLogs(agents, 40);
    for (const [what, port] of [['data channel', alpha.dataPort], ['grpc', alpha.port]] as const) {
      const conns = await holdConnections(port, MAX_PENDING + 36, false);
      held.push(...conns);
      // the extra ones are closed at once, long before the handshake timeout
      await waitUntil('the agent closed the connections over the cap', () => conns.filter((h) => h.closedAt !== undefined).length >= 36, 2_000);
      await sleep(300);
      expect(conns.filter((h) => h.closedAt !== undefined).length).toBe(36);
      const burst = logLines(alpha).filter((l) => l.msg === `${what}: too many connections without a finished TLS handshake, refusing new ones`);
      expect(burst).toHaveLength(1);
      await waitUntil('the rest timed out', () => conns.every((h) => h.closedAt !== undefined), HANDSHAKE_TIMEOUT_MS + 5_000);
    }
    // after the burst the ports serve again, and say how many they refused
    const c = director();
    expect((await call(c, 'Health', {}, 3_000)).name).toBe('alpha');
    expect((await dataChannelHello(alpha.dataPort, { ticket: 'a'.repeat(64), direction: 'backup', args: [] }, pki.files('beta'))).text).toMatch(/^ERR /);
    for (const what of ['grpc', 'data channel']) {
      await waitForLog(alpha, (l) => l.msg === `${what}: accepting connections again` && l.refused === 36);
    }
  });

  it('a refused handshake on the gRPC port leaves a line with the remote address and the reason', async () => {
    attachAgentLogs(agents, 40);
    const t = readTls(otherPki.files('director'));
    const foreign = rawClient(alpha, grpc.credentials.createSsl(readFileSync(pki.ca), t.key, t.cert, { checkServerIdentity: () => undefined }));
    clients.push(foreign);
    await expect(call(foreign, 'Health', {}, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const line = await waitForLog(alpha, (l) => l.msg === 'grpc: TLS handshake refused' && l.cn === 'director');
    expect(line).toMatchObject({ remote: '127.0.0.1', err: expect.stringMatching(/VERIFY|CERT|SIGNATURE/i) });

    const anon = rawClient(alpha, grpc.credentials.createSsl(readFileSync(pki.ca), null, null, { checkServerIdentity: () => undefined }));
    clients.push(anon);
    await expect(call(anon, 'Health', {}, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await waitForLog(alpha, (l) => l.msg === 'grpc: TLS handshake refused' && l.err === 'no client certificate');
    // neither reached a handler
    expect(logLines(alpha).filter((l) => l.audit && l.rpc === 'Health' && l.cert_sha256 !== new X509Certificate(readFileSync(pki.files('director').cert)).fingerprint256)).toEqual([]);
  });

  it("audit lines carry the caller certificate's serial and SHA-256 fingerprint (gRPC and data channel)", async () => {
    attachAgentLogs(agents, 40);
    const c = director();
    await call(c, 'Describe', {});
    const x509 = new X509Certificate(readFileSync(pki.files('director').cert));
    const line = await waitForLog(alpha, (l) => l.audit && l.rpc === 'Describe');
    expect(line).toMatchObject({ caller: 'director', cert_serial: x509.serialNumber, cert_sha256: x509.fingerprint256 });

    await dataChannelHello(alpha.dataPort, { ticket: 'b'.repeat(64), direction: 'backup', args: [] }, pki.files('beta'));
    const beta = new X509Certificate(readFileSync(pki.files('beta').cert));
    const data = await waitForLog(alpha, (l) => l.audit && l.rpc === 'DataChannel' && l.caller === 'beta');
    expect(data).toMatchObject({ cert_serial: beta.serialNumber, cert_sha256: beta.fingerprint256 });
  });
});
