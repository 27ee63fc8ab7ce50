import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { entryName, findBinary, silentLogger, spawnProcess, type AgentClient } from '@freezeframe/common';
import { findStunnel, openNativeSession } from '@freezeframe/agent/datachannel/native.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachAgentLogs, call, client, descendants, sleep, startAgent, stopAgent, stream, waitForLog, writeAgentConfig, type TestAgent as Agent } from './support/agents.js';
import { makePki, type Pki } from './support/pki.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// The native byte path (datachannel/stunnel.ts): node checks each data-channel session
// (certificate, ticket, rsync's arguments), then stunnel on both sides carries rsync's bytes on
// a port the receiver opens for that session. Real agents, stunnel4, rsync and mutual TLS on
// loopback; the attacks come from a peer holding another certificate of the same CA.

const skip = needsRoot('the native byte path', ['stunnel4', 'rsync']);
const ARGS = ['rsync', '--server', '-lHogDtpAXre.iLsfxCIvu', '--delete', '--numeric-ids', '.', '.'];

/** Opens a session by hand as `who` asking for the native path; resolves with the receiver's answer and the open control socket. */
function nativeHello(port: number, header: object, files: { ca: string; cert: string; key: string }): Promise<{ line: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key), checkServerIdentity: () => undefined });
    let got = '';
    s.on('secureConnect', () => s.write(`${JSON.stringify(header)}\n`));
    s.on('data', (b: Buffer) => {
      got += b.toString();
      const i = got.indexOf('\n');
      if (i >= 0) resolve({ line: got.slice(0, i), socket: s });
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error(`no answer: ${got}`)), 10_000).unref();
  });
}

/** Connects to a session's stunnel port with `files` (or plain TCP with `plain`); what came back and how it ended. */
function tryPort(port: number, o: { files?: { ca: string; cert?: string; key?: string }; plain?: string; waitMs?: number }): Promise<{ bytes: number; ended: string }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let done = false;
    const finish = (ended: string) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ bytes, ended });
    };
    const s = o.plain !== undefined
      ? tcpConnect(port, '127.0.0.1', () => s.write(o.plain!))
      : tls.connect({
          host: '127.0.0.1',
          port,
          ca: readFileSync(o.files!.ca),
          ...(o.files!.cert ? { cert: readFileSync(o.files!.cert), key: readFileSync(o.files!.key!) } : {}),
          checkServerIdentity: () => undefined,
        });
    // rsync's receiver speaks first (its protocol version): a connection that reached it gets bytes
    s.on('data', (b: Buffer) => (bytes += b.length));
    s.on('error', (e) => finish(`error: ${e.message}`));
    s.on('close', () => finish('closed'));
    setTimeout(() => finish('still open'), o.waitMs ?? 5_000).unref();
  });
}

describe.skipIf(skip)('the native byte path: node checks, stunnel carries', () => {
  let root: string;
  let pki: Pki;
  let src: Agent;
  let relaySrc: Agent;
  let tgt: Agent;
  let toSrc: AgentClient;
  let toRelay: AgentClient;
  let toTgt: AgentClient;
  const agents: Agent[] = [];
  const data = (n: string) => join(root, n, 'data');
  const backups = () => join(root, 'tgt', 'backups');
  let n = 0;
  const nextId = () => `20240301_0000${String(n++).padStart(2, '0')}`;
  // hand-made sessions all name one backup: the target's lock is per backup id, and a session an
  // earlier step left may still be winding down when the next ticket is asked for
  const HAND_ID = '20240301_120000';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-native-test-'));
    pki = await makePki(join(root, 'pki'), ['director', 'src-1', 'src-2', 'tgt', 'tgt-2', 'stranger']);
    for (const s of ['src-1', 'src-2']) {
      mkdirSync(join(data(s), 'sub'), { recursive: true });
      writeFileSync(join(data(s), 'sub', 'big.bin'), randomBytes(8 << 20));
      writeFileSync(join(data(s), 'small.txt'), `${s}\n`);
    }
    mkdirSync(backups(), { recursive: true });
    const s1 = writeAgentConfig(root, pki, 'src-1', `source: { kind: dir, volume: ${data('src-1')} }\nfreeze: { kind: none }\n`);
    // a sender that never asks: node relays, as before the native path
    const s2 = writeAgentConfig(root, pki, 'src-2', `nativeBytePath: off\nsource: { kind: dir, volume: ${data('src-2')} }\nfreeze: { kind: none }\n`);
    const t = writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${backups()} }\n`);
    [src, relaySrc, tgt] = await Promise.all([startAgent('src-1', s1), startAgent('src-2', s2), startAgent('tgt', t)]);
    agents.push(src, relaySrc, tgt);
    toSrc = client(pki, 'director', src);
    toRelay = client(pki, 'director', relaySrc);
    toTgt = client(pki, 'director', tgt);
  });

  afterAll(async () => {
    toSrc?.close();
    toRelay?.close();
    toTgt?.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents, 30);

  /** The bytes the last progress message before the final stats counted (of the last backup). */
  let lastProgressBytes = 0;

  /** `direct`: passes on the receiver's offer of the native byte path (OpenReceive's `native`), as the director does. */
  async function backup(from: AgentClient, source: string, id: string, o: { direct?: boolean } = {}) {
    await call(from, 'PrepareSnapshot', { backup_id: id });
    const rcv = await call(toTgt, 'OpenReceive', { backup_id: id, source, peer: source, direction: 'DIRECTION_BACKUP', entry: entryName(source, data(source)) });
    expect(rcv.native).toBe(true);
    const msgs = await stream(from, 'PerformRsync', { backup_id: id, ticket: rcv.ticket, receiver_name: 'tgt', receiver_host: '127.0.0.1', receiver_data_port: rcv.data_port, inplace: false, receiver_native: !!o.direct });
    await call(from, 'RemoveSnapshot', { backup_id: id });
    expect(await call(toTgt, 'ReceiveResult', { ticket: rcv.ticket, wait_ms: 5_000 })).toMatchObject({ state: 'done', ok: true });
    await call(toTgt, 'ZfsTag', { backup_id: id, manifest: { backup_id: id, deployment: 'native', json: '{}' }, entries: [entryName(source, data(source))] });
    // rsync's progress reaches the director while it runs, before the final stats
    const updates = msgs.filter((m) => !m.done);
    expect(updates.length, 'progress messages before the final stats').toBeGreaterThan(0);
    lastProgressBytes = Number(updates.at(-1).bytes);
    expect(lastProgressBytes).toBeLessThanOrEqual(Number(msgs.at(-1).done.bytes_total));
    return msgs.at(-1).done;
  }

  it('a backup goes through stunnel on both sides, byte for byte; nothing of the session is left', async () => {
    attachLogs();
    const id = nextId();
    const done = await backup(toSrc, 'src-1', id);
    expect(done.exit_code).toBe(0);
    // a first backup sends every byte: its progress counted them while rsync ran
    expect(lastProgressBytes).toBeGreaterThan(0);
    const landed = join(backups(), id, entryName('src-1', data('src-1')));
    expect(readFileSync(join(landed, 'sub', 'big.bin')).equals(readFileSync(join(data('src-1'), 'sub', 'big.bin')))).toBe(true);
    const received = await waitForLog(tgt, (l) => l.msg === 'data channel: received' && l.backup_id === id);
    expect(received).toMatchObject({ native: true, result: 'ok', caller: 'src-1' });
    expect(received.bytes_in).toBeUndefined();
    // the session's stunnel on each side ends with it
    await sleep(200);
    expect(descendants(tgt.proc.child.pid!, 'stunnel4')).toEqual([]);
    expect(descendants(src.proc.child.pid!, 'stunnel4')).toEqual([]);
    // both sides' files are under runDir, and gone
    expect(readdirSync(join(root, 'tgt', 'run', 'native'))).toEqual([]);
    expect(readdirSync(join(root, 'src-1', 'run', 'native'))).toEqual([]);
  });

  /** After a session of src-1's: no rsync or stunnel of it runs, and its files under runDir are gone. */
  async function senderLeftNothing() {
    await sleep(200);
    for (const bin of ['rsync', 'stunnel4']) expect(descendants(src.proc.child.pid!, bin)).toEqual([]);
    expect(readdirSync(join(root, 'src-1', 'run', 'native'))).toEqual([]);
  }

  it("told that the receiver takes sessions to stunnel, the sender makes the handshake itself: stunnel is rsync's remote shell, the receiver runs the same command", async () => {
    attachLogs();
    const viaTunnel = nextId();
    await backup(toSrc, 'src-1', viaTunnel);
    const id = nextId();
    writeFileSync(join(data('src-1'), 'small.txt'), 'changed since\n');
    const done = await backup(toSrc, 'src-1', id, { direct: true });
    expect(done.exit_code).toBe(0);
    const landed = join(backups(), id, entryName('src-1', data('src-1')));
    expect(readFileSync(join(landed, 'small.txt'), 'utf8')).toBe('changed since\n');
    expect(readFileSync(join(landed, 'sub', 'big.bin')).equals(readFileSync(join(data('src-1'), 'sub', 'big.bin')))).toBe(true);
    expect(await waitForLog(src, (l) => l.msg === 'sending' && l.backup_id === id)).toMatchObject({ tunnel: false });
    expect(await waitForLog(src, (l) => l.msg === 'sending' && l.backup_id === viaTunnel)).toMatchObject({ tunnel: true });
    expect(await waitForLog(tgt, (l) => l.msg === 'data channel: received' && l.backup_id === id)).toMatchObject({ native: true, result: 'ok', caller: 'src-1' });
    // the remote command the agent read from rsync is the one the tunnel program was given (less
    // what the receiver made each backup's own: its folders, and its mount namespace's pid)
    const args = async (b: string) => {
      const a = (await waitForLog(tgt, (l) => l.msg === 'data channel: receiving' && l.backup_id === b)).args as string[];
      return a.slice(a.indexOf('--server')).filter((x) => !x.includes('20240301_'));
    };
    expect(await args(id)).toEqual(await args(viaTunnel));
    await senderLeftNothing();
    expect(descendants(tgt.proc.child.pid!, 'stunnel4')).toEqual([]);
  });

  it('a refused session on that path fails the transfer naming the receiver and why; rsync and stunnel are stopped, nothing is left', async () => {
    attachLogs();
    const id = nextId();
    await call(toSrc, 'PrepareSnapshot', { backup_id: id });
    const req = { backup_id: id, ticket: randomBytes(32).toString('hex'), receiver_name: 'tgt', receiver_host: '127.0.0.1', receiver_data_port: tgt.dataPort, inplace: false, receiver_native: true };
    const err = await stream(toSrc, 'PerformRsync', req).then(
      () => undefined,
      (e: { details: string; metadata: { get(k: string): unknown[] } }) => e,
    );
    expect(err, 'a made-up ticket must be refused').toBeDefined();
    expect(err!.details).toMatch(new RegExp(`^data channel of tgt \\(127\\.0\\.0\\.1:${tgt.dataPort}\\) refused: .*ticket`));
    await call(toSrc, 'RemoveSnapshot', { backup_id: id });
    await senderLeftNothing();
  });

  it('a sender with nativeBytePath: off does not ask, and node relays as before', async () => {
    attachLogs();
    const id = nextId();
    const done = await backup(toRelay, 'src-2', id);
    expect(done.exit_code).toBe(0);
    const received = await waitForLog(tgt, (l) => l.msg === 'data channel: received' && l.backup_id === id);
    expect(received.native).toBeUndefined();
    expect(received.bytes_in).toBeGreaterThan(8 << 20);
  });

  it("the session's port takes only the certificate node verified, and only one connection", { timeout: 60_000 }, async () => {
    attachLogs();
    const rcv = await call(toTgt, 'OpenReceive', { backup_id: HAND_ID, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry: entryName('src-1', data('src-1')) });
    const hello = await nativeHello(tgt.dataPort, { ticket: rcv.ticket, direction: 'backup', args: ARGS, native: true }, pki.files('src-1'));
    const m = /^OK native (\d+)$/.exec(hello.line);
    expect(m, hello.line).not.toBeNull();
    const port = Number(m![1]);
    expect(port).not.toBe(tgt.dataPort);
    // another certificate of the same CA: refused in the handshake, rsync never reached
    const stranger = await tryPort(port, { files: pki.files('stranger') });
    expect(stranger.bytes).toBe(0);
    expect(stranger.ended).toMatch(/^error: .*(certificate|alert)/);
    // no certificate; no TLS at all (closed when the 10 s handshake limit runs out)
    expect(await tryPort(port, { files: { ca: pki.files('src-1').ca } })).toMatchObject({ bytes: 0, ended: expect.stringMatching(/^error: .*certificate/) });
    const t0 = Date.now();
    expect(await tryPort(port, { plain: '@RSYNCD: 31.0\n' })).toMatchObject({ bytes: 0, ended: expect.stringMatching(/closed|ECONNRESET/) });
    expect(await tryPort(port, { plain: '', waitMs: 20_000 })).toMatchObject({ bytes: 0, ended: expect.stringMatching(/closed|ECONNRESET/) });
    expect(Date.now() - t0).toBeLessThan(15_000);
    // the verified peer reaches the receiving rsync (it greets first) ...
    const peer = await tryPort(port, { files: pki.files('src-1') });
    expect(peer.bytes).toBeGreaterThan(0);
    // ... once: the session's one connection is spent
    expect((await tryPort(port, { files: pki.files('src-1') })).bytes).toBe(0);
    hello.socket.destroy();
    // the peer left without sending: the receiving rsync failed, and the director can learn why
    expect(await call(toTgt, 'ReceiveResult', { ticket: rcv.ticket, wait_ms: 10_000 })).toMatchObject({ state: 'done', ok: false });
    await sleep(200);
    expect(descendants(tgt.proc.child.pid!, 'stunnel4')).toEqual([]);
    expect((await tryPort(port, { files: pki.files('src-1') })).ended).toMatch(/ECONNREFUSED|closed/);
  });

  it('what the receiving side wrote last reaches the sender before the session is closed', async () => {
    // rsync's last bytes are still on their way when it exits and the session is closed: held
    // here by stopping the session's stunnel until close() has begun, so a close() that stopped
    // stunnel at once would cut them off
    const files = pki.files('tgt');
    const peer = pki.files('src-1');
    const dir = join(root, 'sessions');
    mkdirSync(dir, { mode: 0o700 });
    const session = await openNativeSession(
      { stunnel: findStunnel()!, cert: files.cert, key: files.key, ca: readFileSync(files.ca), host: '127.0.0.1', dir },
      new X509Certificate(readFileSync(peer.cert)).raw,
      silentLogger,
    );
    const total = 4_000_000;
    // fits in the Unix socket's buffer while stunnel is stopped
    const last = 64 << 10;
    let got = 0;
    const received = new Promise<void>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: session.port, ca: readFileSync(peer.ca), cert: readFileSync(peer.cert), key: readFileSync(peer.key), checkServerIdentity: () => undefined });
      c.on('data', (b: Buffer) => (got += b.length));
      c.on('error', reject);
      c.on('close', () => resolve());
    });
    const conn = await session.connection;
    const write = (bytes: number) => spawnProcess({ bin: findBinary('head'), args: ['-c', String(bytes), '/dev/zero'], timeoutMs: 30_000, inOut: conn }).done;
    await write(total - last);
    // all of it arrived: the bytes written next are the only ones in flight
    while (got < total - last) await sleep(10);
    const stunnels = descendants(process.pid, basename(findStunnel()!));
    expect(stunnels).toHaveLength(1);
    process.kill(stunnels[0]!, 'SIGSTOP');
    await write(last);
    conn.destroy();
    const closed = session.close();
    await sleep(300);
    try {
      process.kill(stunnels[0]!, 'SIGCONT');
    } catch {
      // already killed by close()
    }
    await closed;
    await received;
    expect(got).toBe(total);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an agent that dies leaves no session port listening', async () => {
    attachLogs();
    mkdirSync(join(root, 'tgt-2', 'backups'), { recursive: true });
    const t2 = await startAgent('tgt-2', writeAgentConfig(root, pki, 'tgt-2', `target: { kind: dir, path: ${join(root, 'tgt-2', 'backups')} }\n`));
    agents.push(t2);
    const to2 = client(pki, 'director', t2);
    try {
      const rcv = await call(to2, 'OpenReceive', { backup_id: HAND_ID, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry: entryName('src-1', data('src-1')) });
      const hello = await nativeHello(t2.dataPort, { ticket: rcv.ticket, direction: 'backup', args: ARGS, native: true }, pki.files('src-1'));
      const port = Number(/^OK native (\d+)$/.exec(hello.line)![1]);
      // the port is node's: it dies with the agent (a stunnel per session port would outlive it)
      t2.proc.kill('SIGKILL');
      await t2.proc.done.catch(() => undefined);
      hello.socket.destroy();
      expect((await tryPort(port, { files: pki.files('src-1') })).ended).toMatch(/ECONNREFUSED/);
      // the session's files stay under runDir (not in /tmp) until the agent starts again
      const left = join(root, 'tgt-2', 'run', 'native');
      expect(readdirSync(left)).toHaveLength(1);
      const again = await startAgent('tgt-2', join(root, 'tgt-2', 'agent.yaml'));
      agents.push(again);
      expect(readdirSync(left)).toEqual([]);
    } finally {
      to2.close();
    }
  });

  it('a sender that closes the data channel before its stunnel connects ends the session, and the director learns why', async () => {
    attachLogs();
    const rcv = await call(toTgt, 'OpenReceive', { backup_id: HAND_ID, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry: entryName('src-1', data('src-1')) });
    const hello = await nativeHello(tgt.dataPort, { ticket: rcv.ticket, direction: 'backup', args: ARGS, native: true }, pki.files('src-1'));
    expect(hello.line).toMatch(/^OK native \d+$/);
    hello.socket.destroy();
    expect(await call(toTgt, 'ReceiveResult', { ticket: rcv.ticket, wait_ms: 10_000 })).toMatchObject({
      state: 'done',
      ok: false,
      message: expect.stringContaining('closed the data channel before its stunnel connected'),
    });
    await sleep(200);
    expect(descendants(tgt.proc.child.pid!, 'stunnel4')).toEqual([]);
  });
});
