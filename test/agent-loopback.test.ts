import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { entryName, readTls, spawnProcess, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_MAIN,
  attachAgentLogs,
  call,
  client,
  descendants,
  logLines,
  rawClient,
  sleep,
  startAgent,
  stopAgent,
  stream,
  writeAgentConfig,
  type TestAgent as Agent,
} from './support/agents.js';
import { makePki, type Pki } from './support/pki.js';
import { claim } from './support/claim.js';

await claim();

// Two real agents (a dir source and a dir target) as child processes of the built binary,
// driven by a real gRPC client holding the director's certificate.

/** rsync processes under `pid` (the agent runs rsync as its child). */
const rsyncChildren = (pid: number) => descendants(pid, 'rsync');

describe('two agents on loopback', () => {
  let root: string;
  let pki: Pki;
  let src: Agent;
  let tgt: Agent;
  let toSrc: AgentClient;
  let toTgt: AgentClient;
  const agents: Agent[] = [];
  const srcData = () => join(root, 'src-1', 'data');
  const backups = () => join(root, 'tgt', 'backups');
  let entry: string;
  const ID1 = '20240101_000000';
  const ID2 = '20240102_000000-second';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-loopback-'));
    pki = await makePki(join(root, 'pki'), ['director', 'src-1', 'tgt', 'stranger']);
    mkdirSync(join(srcData(), 'sub'), { recursive: true });
    writeFileSync(join(srcData(), 'unchanged.txt'), 'same in every backup\n');
    writeFileSync(join(srcData(), 'changes.txt'), 'version 1\n');
    writeFileSync(join(srcData(), 'sub', 'blob.bin'), Buffer.alloc(256 << 10, 7));
    mkdirSync(backups(), { recursive: true });
    entry = entryName('src-1', srcData());

    const srcConf = writeAgentConfig(root, pki, 'src-1', `allowRestore: true\nsource: { kind: dir, volume: ${srcData()} }\nfreeze: { kind: none }\n`);
    const tgtConf = writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${backups()} }\n`);
    [src, tgt] = await Promise.all([startAgent('src-1', srcConf), startAgent('tgt', tgtConf)]);
    agents.push(src, tgt);
    toSrc = client(pki, 'director', src);
    toTgt = client(pki, 'director', tgt);
  });

  afterAll(async () => {
    toSrc?.close();
    toTgt?.close();
    for (const a of agents) {
      if (process.env.FF_TEST_SHOW_LOGS) console.error(`--- ${a.name} ---\n${a.stderr.join('\n')}`);
      await stopAgent(a);
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents, 40);

  it('describes roles, version, data port and health', async () => {
    attachLogs();
    const d = await call(toSrc, 'Describe', {});
    expect(d).toMatchObject({ name: 'src-1', roles: ['source', 'freeze'], data_port: src.dataPort, source: { kind: 'dir', entry, point_in_time: false }, freeze: { kind: 'none' } });
    expect(d.rsync_version).toMatch(/^\d+\.\d+/);
    const h = await call(toTgt, 'Health', {});
    expect(h).toMatchObject({ name: 'tgt', roles: ['target'], ok: true, problems: [] });
    expect(Math.abs(Number(h.time_unix_ms) - Date.now())).toBeLessThan(5_000);
    // preflight's one round trip: Describe carries Health's answer when asked, and only then
    expect(d.health ?? null).toBeNull();
    const both = await call(toTgt, 'Describe', { with_health: true });
    expect(both).toMatchObject({ name: 'tgt', roles: ['target'], health: { name: 'tgt', roles: ['target'], ok: true, problems: [], frozen: [] } });
    expect(both.health.checks.map((c: { name: string }) => c.name)).toEqual(h.checks.map((c: { name: string }) => c.name));
  });

  it('refuses TLS renegotiation on the control port: the caller it authorized stays the one it checked', async () => {
    attachLogs();
    // the agent reads the caller's certificate once per connection (rememberPeerCertificate); a
    // renegotiation could present another one on the same connection, so it must never complete
    // (OpenSSL 3 refuses a client's renegotiation by default, and the agent disables it per socket:
    // measured, the attempt goes unanswered either way)
    const files = pki.files('director');
    const sock = tls.connect({
      host: '127.0.0.1',
      port: src.port,
      servername: 'src-1',
      ca: readFileSync(files.ca),
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      maxVersion: 'TLSv1.2', // TLS 1.3 has no renegotiation at all
      ALPNProtocols: ['h2'],
      checkServerIdentity: () => undefined,
    });
    const outcome = await new Promise<string>((resolve) => {
      setTimeout(() => resolve('no answer in 5 s'), 5_000).unref();
      sock.once('error', (e) => resolve(`error: ${e.message}`));
      sock.once('close', () => resolve('closed'));
      sock.once('secureConnect', () => {
        const ok = sock.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err ? `error: ${err.message}` : 'renegotiated'));
        if (!ok) resolve('not sent');
      });
    });
    sock.destroy();
    expect(outcome).not.toBe('renegotiated');
    expect(outcome).not.toBe('not sent');
    // the agent is fine and serves the next connection
    expect((await call(toSrc, 'Health', {})).ok).toBe(true);
  }, 30_000);

  it('freezes with a lease, renews, refuses another backup, thaws idempotently, and expires by itself', async () => {
    attachLogs();
    const f = await call(toSrc, 'Freeze', { backup_id: ID1, lease_ms: 60_000 });
    expect(f.renewed).toBe(false);
    expect(existsSync(join(root, 'src-1', 'run', 'frozen.json'))).toBe(true);
    expect((await call(toSrc, 'Freeze', { backup_id: ID1, lease_ms: 60_000 })).renewed).toBe(true);
    await expect(call(toSrc, 'Freeze', { backup_id: ID2, lease_ms: 1000 })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringContaining(ID1),
    });
    expect((await call(toSrc, 'Health', {})).frozen).toEqual([ID1]);
    expect(await call(toSrc, 'Thaw', { backup_id: ID1 })).toMatchObject({ was_frozen: true });
    expect(await call(toSrc, 'Thaw', { backup_id: ID1 })).toMatchObject({ was_frozen: false });
    expect(existsSync(join(root, 'src-1', 'run', 'frozen.json'))).toBe(false);

    const short = await call(toSrc, 'Freeze', { backup_id: ID2, lease_ms: 300 });
    expect(Number(short.lease_expires_unix_ms) - Number(short.paused_at_unix_ms)).toBe(300);
    await sleep(700);
    expect((await call(toSrc, 'Health', {})).frozen).toEqual([]);
    expect(src.stderr.join('\n')).toMatch(/lease expired/);
  });

  it('validates identifiers and roles', async () => {
    attachLogs();
    await expect(call(toSrc, 'Freeze', { backup_id: '../etc', lease_ms: 1 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('backup_id'),
    });
    await expect(call(toSrc, 'ZfsTag', { backup_id: ID1, entries: [] })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'node src-1 has no target role',
    });
    await expect(call(toTgt, 'OpenReceive', { backup_id: ID1, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry: '../../etc' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('entry'),
    });
    await expect(call(toTgt, 'OpenReceive', { backup_id: ID1, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_RESTORE' })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'node tgt has no source role',
    });
  });

  async function backup(id: string) {
    const prep = await call(toSrc, 'PrepareSnapshot', { backup_id: id });
    expect(prep.entry).toBe(entry);
    const rcv = await call(toTgt, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry });
    expect(rcv.ticket).toMatch(/^[0-9a-f]{64}$/);
    expect(rcv.data_port).toBe(tgt.dataPort);
    expect(rcv.inplace).toBe(false);
    const req = { backup_id: id, ticket: rcv.ticket, receiver_name: 'tgt', receiver_host: '127.0.0.1', receiver_data_port: rcv.data_port, inplace: rcv.inplace };
    const msgs = await stream(toSrc, 'PerformRsync', req);
    const done = msgs.at(-1)?.done;
    expect(done).toBeTruthy();
    expect(Number(done.files_total)).toBeGreaterThanOrEqual(4);
    expect(done.exit_code).toBe(0);
    expect((await call(toTgt, 'Health', {})).target_locked_by).toBe(id);
    const tag = await call(toTgt, 'ZfsTag', { backup_id: id, manifest: { backup_id: id, deployment: 'loop', json: JSON.stringify({ id }) }, entries: [entry] });
    expect(tag.snapshot).toBe(join(backups(), id));
    expect((await call(toTgt, 'Health', {})).target_locked_by).toBe('');
    await call(toSrc, 'RemoveSnapshot', { backup_id: id });
    return { req, done };
  }

  it('backs up through the data channel; the second backup hard-links unchanged files', async () => {
    attachLogs();
    const first = await backup(ID1);
    expect(Number(first.done.bytes_transferred)).toBeGreaterThanOrEqual(256 << 10);
    const b1 = join(backups(), ID1, entry);
    expect(readFileSync(join(b1, 'changes.txt'), 'utf8')).toBe('version 1\n');
    expect(statSync(join(b1, 'sub', 'blob.bin')).size).toBe(256 << 10);

    // a replayed ticket is refused by the receiver and reported as a transfer failure
    await expect(stream(toSrc, 'PerformRsync', first.req)).rejects.toMatchObject({ details: expect.stringMatching(/NOT_FOUND|no snapshot prepared/) });
    await call(toSrc, 'PrepareSnapshot', { backup_id: ID1 });
    await expect(stream(toSrc, 'PerformRsync', first.req)).rejects.toMatchObject({
      code: grpc.status.INTERNAL,
      details: expect.stringMatching(/rsync to tgt .* exited with 12: .*already used/s),
      metadata: expect.anything(),
    });
    await call(toSrc, 'RemoveSnapshot', { backup_id: ID1 });

    writeFileSync(join(srcData(), 'changes.txt'), 'version 2, longer\n');
    writeFileSync(join(srcData(), 'new.txt'), 'new\n');
    const second = await backup(ID2);
    expect(Number(second.done.files_transferred)).toBe(2);
    const b2 = join(backups(), ID2, entry);
    expect(statSync(join(b2, 'unchanged.txt')).ino).toBe(statSync(join(b1, 'unchanged.txt')).ino);
    expect(statSync(join(b2, 'sub', 'blob.bin')).ino).toBe(statSync(join(b1, 'sub', 'blob.bin')).ino);
    expect(statSync(join(b2, 'changes.txt')).ino).not.toBe(statSync(join(b1, 'changes.txt')).ino);
    // the receiver saw the target at /mnt (short-view.ts); without root it cannot, says so, and links all the same
    if (process.getuid?.() === 0) {
      const receiving = logLines(tgt).filter((l) => l.msg === 'data channel: receiving' && l.backup_id === ID2);
      // chrooted in the view of a target that stores links munged, without rsync's symlink walk
      expect(receiving.at(-1)).toMatchObject({ view: `${backups()} at /mnt`, args: expect.arrayContaining(['--server', '--munge-links', '--insecure-links', `--link-dest=/mnt/${ID1}/${entry}`, `/mnt/.partial/${ID2}/${entry}/`]) });
      // the first backup had no basis, so no view, and the walk stays on
      const firstReceive = logLines(tgt).find((l) => l.msg === 'data channel: receiving' && l.backup_id === ID1);
      expect(firstReceive).toBeDefined();
      expect(firstReceive!.view).toBeUndefined();
      expect(firstReceive!.args).not.toContain('--insecure-links');
    } else {
      expect(logLines(tgt).some((l) => l.msg.startsWith('data channel: receiving without a short view'))).toBe(true);
      // without the chrooted view, rsync's symlink walk stays on
      expect(logLines(tgt).filter((l) => l.msg === 'data channel: receiving').every((l) => !l.args.includes('--insecure-links'))).toBe(true);
    }

    const list = await call(toTgt, 'ListBackups', {});
    expect(list.backups.map((b: any) => b.backup_id)).toEqual([ID1, ID2]);
    expect(list.backups[0]).toMatchObject({ entries: [entry], manifest_json: JSON.stringify({ id: ID1 }), complete: true });
  });

  it('restores a backup into the source with --delete-after', async () => {
    attachLogs();
    writeFileSync(join(srcData(), 'changes.txt'), 'damaged\n');
    unlinkSync(join(srcData(), 'unchanged.txt'));
    const act = await call(toTgt, 'ActivateBackup', { backup_id: ID1 });
    expect(act.entries).toEqual([entry]);
    const rcv = await call(toSrc, 'OpenReceive', { backup_id: ID1, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry });
    const msgs = await stream(toTgt, 'RestoreSource', {
      backup_id: ID1,
      entry,
      ticket: rcv.ticket,
      receiver_name: 'src-1',
      receiver_host: '127.0.0.1',
      receiver_data_port: rcv.data_port,
      inplace: rcv.inplace,
    });
    expect(msgs.at(-1)?.done?.exit_code).toBe(0);
    expect(readFileSync(join(srcData(), 'changes.txt'), 'utf8')).toBe('version 1\n');
    expect(readFileSync(join(srcData(), 'unchanged.txt'), 'utf8')).toBe('same in every backup\n');
    expect(existsSync(join(srcData(), 'new.txt'))).toBe(false);
    expect(await call(toTgt, 'DeactivateBackup', { backup_id: ID1 })).toMatchObject({ deactivated: false });
  });

  it("a restore told the entry's size (expected_bytes) counts its progress from what rsync read, without a progress line per file", async () => {
    attachLogs();
    const id = '20240105_000000-progress';
    const big = join(srcData(), 'big.bin');
    // long enough for the sender's reads of its rsync's count (every 250 ms) to see it on the way
    writeFileSync(big, randomBytes(192 << 20));
    try {
      const { done } = await backup(id);
      const size = Number(done.bytes_total);
      await call(toTgt, 'ActivateBackup', { backup_id: id });
      const restore = async (expected: number) => {
        const rcv = await call(toSrc, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry });
        const msgs = await stream(toTgt, 'RestoreSource', { backup_id: id, entry, ticket: rcv.ticket, receiver_name: 'src-1', receiver_host: '127.0.0.1', receiver_data_port: rcv.data_port, inplace: rcv.inplace, expected_bytes: expected });
        expect(msgs.at(-1)?.done?.exit_code).toBe(0);
        expect(msgs.at(-1)).toMatchObject({ percent: 100, bytes: String(size) });
        return msgs.slice(0, -1);
      };
      const counted = await restore(size);
      // 3 readings in ~1.1 s here: a host twice as fast still sends one
      expect(counted.length, 'progress before the final stats').toBeGreaterThan(0);
      const bytes = counted.map((m) => Number(m.bytes));
      expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
      expect(bytes.at(-1)).toBeGreaterThan(0);
      // what rsync read: the files once, and the receiver's few answers
      expect(bytes.at(-1)).toBeLessThan(size * 1.05);
      for (const m of counted) {
        expect(m.percent).toBe(Math.min(99, Math.floor((Number(m.bytes) * 100) / size)));
        // no rsync line behind it: no files checked, the rate in freezeframe's units
        expect(m).toMatchObject({ files_checked: '0', rate: expect.stringMatching(/^[\d.]+ (B|KiB|MiB|GiB)\/s$/) });
      }
      // not told the size: rsync's own progress lines, as before
      const lines = await restore(0);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.at(-1)).toMatchObject({ rate: expect.stringMatching(/^[\d.]+[kMG]B\/s$/) });
      expect(Number(lines.at(-1).files_checked)).toBeGreaterThan(0);
      await call(toTgt, 'DeactivateBackup', { backup_id: id });
    } finally {
      unlinkSync(big);
    }
  });

  it('refuses a ticket presented by the wrong peer and garbage on the data channel', async () => {
    attachLogs();
    // ticket for src-1, presented with the stranger's (valid, same CA) certificate
    const rcv = await call(toTgt, 'OpenReceive', { backup_id: '20240103_000000', source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry });
    const t = readTls(pki.files('stranger'));
    const answer = await new Promise<string>((res, rej) => {
      const s = tls.connect({ host: '127.0.0.1', servername: 'tgt', port: tgt.dataPort, ca: t.ca, cert: t.cert, key: t.key, checkServerIdentity: () => undefined });
      let got = '';
      s.on('secureConnect', () => s.write(JSON.stringify({ ticket: rcv.ticket, direction: 'backup', args: ['rsync', '--server', '-logDtpre.iLsfxCIvu', '.', '.'] }) + '\n'));
      s.on('data', (b) => (got += b.toString()));
      s.on('end', () => res(got));
      s.on('error', rej);
    });
    expect(answer).toMatch(/^ERR ticket was issued to 'src-1', presented by 'stranger'\n$/);

    // no client certificate: the TLS handshake itself fails
    const noCert = await new Promise<string>((res) => {
      const s = tls.connect({ host: '127.0.0.1', servername: 'tgt', port: tgt.dataPort, ca: t.ca, checkServerIdentity: () => undefined });
      s.on('secureConnect', () => s.write('{}\n'));
      s.on('data', (b) => res(`data: ${b.toString()}`));
      s.on('error', (e) => res(`error: ${e.message}`));
      s.on('close', () => res('closed'));
    });
    expect(noCert).not.toMatch(/^data: OK/);
  });

  it('refuses peers that are not the director, and clients without a certificate', async () => {
    attachLogs();
    const peer = client(pki, 'tgt', src);
    await expect(call(peer, 'Freeze', { backup_id: ID1, lease_ms: 1000 })).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining("identity 'tgt'"),
    });
    peer.close();
    expect((await call(toSrc, 'Health', {})).frozen).toEqual([]);

    const anon = rawClient(src, grpc.credentials.createSsl(readFileSync(pki.ca), null, null, { checkServerIdentity: () => undefined }));
    await expect(call(anon, 'Health', {})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    anon.close();
    expect(src.stderr.join('\n')).toMatch(/"rpc":"Freeze".*"result":"PERMISSION_DENIED"|"result":"PERMISSION_DENIED".*"rpc":"Freeze"/);
  });

  it('--check validates the config; a bad config exits 2 naming file and key', async () => {
    attachLogs();
    const ok = await spawnProcess({ bin: process.execPath, args: [AGENT_MAIN, '--config', src.config, '--check'], timeoutMs: 20_000 }).done;
    expect(ok.code).toBe(0);
    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, readFileSync(src.config, 'utf8').replace('listen: 127.0.0.1:0', 'listen: nowhere'));
    const r = spawnProcess({ bin: process.execPath, args: [AGENT_MAIN, '--config', bad, '--check'], timeoutMs: 20_000 }).done;
    await expect(r).rejects.toMatchObject({ details: { exitCode: 2, stderr: expect.stringContaining(`${bad}: listen: must be host:port`) } });
  });

  it('a cancelled PerformRsync kills its rsync', async () => {
    attachLogs();
    const id = '20240104_000000';
    const big = join(srcData(), 'big.bin');
    // not zeros: the receiver's --sparse writes none of those, and such a file was through before
    // its first progress line reached the test (rsync prints one when a file ends)
    writeFileSync(big, randomBytes(256 << 20));
    try {
      await call(toSrc, 'PrepareSnapshot', { backup_id: id });
      const rcv = await call(toTgt, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry });
      const s = (toSrc as any).PerformRsync({ backup_id: id, ticket: rcv.ticket, receiver_name: 'tgt', receiver_host: '127.0.0.1', receiver_data_port: rcv.data_port });
      const ended = new Promise<grpc.ServiceError>((res) => s.on('error', res));
      // cancelled as soon as the sending rsync runs
      for (let i = 0; i < 1000 && rsyncChildren(src.proc.child.pid!).length === 0; i++) await sleep(10);
      expect(rsyncChildren(src.proc.child.pid!)).not.toEqual([]);
      s.cancel();
      expect((await ended).code).toBe(grpc.status.CANCELLED);
      for (let i = 0; i < 50 && rsyncChildren(src.proc.child.pid!).length > 0; i++) await sleep(100);
      expect(rsyncChildren(src.proc.child.pid!)).toEqual([]);
      await call(toSrc, 'RemoveSnapshot', { backup_id: id });
    } finally {
      unlinkSync(big);
    }
  });

  it('thaws on SIGTERM and exits 0; a restarted agent thaws what a dead one left frozen', async () => {
    attachLogs();
    const frozenFile = join(root, 'src-1', 'run', 'frozen.json');
    await call(toSrc, 'Freeze', { backup_id: ID1, lease_ms: 60_000 });
    expect(existsSync(frozenFile)).toBe(true);
    src.proc.kill('SIGTERM');
    expect((await src.proc.done).code).toBe(0);
    expect(existsSync(frozenFile)).toBe(false);
    expect(src.stderr.join('\n')).toMatch(/thawed at shutdown/);

    // as if the agent had been killed while frozen
    writeFileSync(frozenFile, JSON.stringify({ backupId: ID1, ids: [], since: Date.now() }));
    const again = await startAgent('src-1', src.config);
    agents.push(again);
    expect(existsSync(frozenFile)).toBe(false);
    expect(again.stderr.join('\n')).toMatch(/a previous agent run left a freeze/);

    tgt.proc.kill('SIGTERM');
    expect((await tgt.proc.done).code).toBe(0);
  });
});
