import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, readTls, run, silentLogger, spawnProcess, type AgentClient } from '@freezeframe/common';
import { connectDataChannel } from '@freezeframe/agent/datachannel/client.js';
import { readLine } from '@freezeframe/agent/datachannel/header.js';
import { BtrfsTarget } from '@freezeframe/agent/providers/target/btrfs.js';
import { ZfsTarget } from '@freezeframe/agent/providers/target/zfs.js';
import { subvolumeSnapshot } from '@freezeframe/agent/tools/btrfs.js';
import { attachAgentLogs, call, client, startAgent, stopAgent, writeAgentConfig, type TestAgent } from './support/agents.js';
import { createLoopBtrfs, type LoopBtrfs } from './support/loopfs.js';
import { makePki, type Pki } from './support/pki.js';
import { needsRoot } from './support/privileges.js';
import { treeListing } from './support/treesum.js';
import { createFilePool, startZfsFuse, type FilePool, type ZfsDaemon } from './support/zpool.js';
import { claim } from './support/claim.js';

await claim('zfs');

// Replication between two target agents on loopback (mutual TLS from the test PKI): the main
// target's backups are made by its provider, streamed by ReplicaSend into the remote's data
// channel, received by the remote's zfs-fuse / btrfs; cut streams, refusals and hostile headers.

const skip = needsRoot('replication on zfs-fuse and loop btrfs', ['zfs', 'zpool', 'zfs-fuse', 'btrfs', 'mkfs.btrfs', 'losetup']);

const ID1 = '20240101_030405';
const ID2 = '20240102_030405';
const ID3 = '20240103_030405';
const ID4 = '20240104_030405';
const ENTRY = 'app-1@+data';
const MAIN = 'main-target';
const REMOTE = 'remote-target';

type Provider = ZfsTarget | BtrfsTarget;

interface Rig {
  kind: 'zfs' | 'btrfs';
  main: TestAgent;
  remote: TestAgent;
  mainProvider: Provider;
  /** Where the remote keeps its backups (btrfs: the folder; zfs: the dataset). */
  remoteStore: string;
  dm: AgentClient;
  dr: AgentClient;
}

async function makeBackup(p: Provider, id: string, write: (dir: string) => Promise<void>): Promise<void> {
  const { path } = await p.prepareReceive(id, ENTRY);
  await write(path);
  await p.tag(id, JSON.stringify({ backupId: id, sources: [ENTRY], note: 'made by replica-loopback' }), [ENTRY]);
}

/** Backups 1-3 on the main target: 3 is a large change, so a stream of it can be cut mid-way. */
async function threeBackups(p: Provider): Promise<void> {
  await makeBackup(p, ID1, async (d) => {
    await mkdir(join(d, 'sub'), { recursive: true });
    await writeFile(join(d, 'sub/small.txt'), 'version 1\n');
    await writeFile(join(d, 'big.bin'), randomBytes(6 << 20));
  });
  await makeBackup(p, ID2, async (d) => writeFile(join(d, 'sub/small.txt'), 'version 2, a few bytes more\n'));
  await makeBackup(p, ID3, async (d) => writeFile(join(d, 'large.bin'), randomBytes(40 << 20)));
}

async function open(r: Rig, backupId: string, baseId: string, peer = MAIN) {
  return call(r.dr, 'OpenReplicaReceive', { backup_id: backupId, base_id: baseId, peer });
}

function send(r: Rig, req: { backupId: string; baseId: string; ticket: string; dataPort: number; resume?: string }) {
  const s = (r.dm as any).ReplicaSend(
    { backup_id: req.backupId, base_id: req.baseId, ticket: req.ticket, receiver_name: REMOTE, receiver_host: '127.0.0.1', receiver_data_port: req.dataPort, resume_token: req.resume ?? '' },
    { deadline: Date.now() + 300_000 },
  );
  return s;
}

function sendAll(r: Rig, req: Parameters<typeof send>[1]): Promise<any[]> {
  return new Promise((res, rej) => {
    const msgs: any[] = [];
    const s = send(r, req);
    s.on('data', (m: any) => msgs.push(m));
    s.on('error', rej);
    s.on('end', () => res(msgs));
  });
}

async function replicate(r: Rig, backupId: string, baseId: string) {
  const t = await open(r, backupId, baseId);
  expect(t.resume_token).toBe('');
  const msgs = await sendAll(r, { backupId, baseId, ticket: t.ticket, dataPort: t.data_port });
  const done = msgs.at(-1).done;
  const verdict = await call(r.dr, 'ReceiveResult', { ticket: t.ticket, wait_ms: 10_000 });
  expect(verdict).toMatchObject({ state: 'done', ok: true });
  return { bytesSent: Number(done.bytes_sent), durationMs: Number(done.duration_ms), progress: msgs.length };
}

async function remoteIds(r: Rig): Promise<string[]> {
  return (await call(r.dr, 'ListBackups', {})).backups.map((b: any) => b.backup_id);
}

/**
 * A TCP relay to `port` that forwards the sender's first `limit` bytes, then holds the rest
 * (the sender blocks on a full socket); `close` drops both sides, as a cut link would.
 */
async function cuttingRelay(port: number, limit: number) {
  let forwarded = 0;
  const sockets: Socket[] = [];
  let onCut = () => {};
  const cut = new Promise<void>((res) => (onCut = res));
  const server = createServer((from) => {
    const to = connect(port, '127.0.0.1');
    sockets.push(from, to);
    to.pipe(from);
    from.on('data', (b: Buffer) => {
      const room = limit - forwarded;
      if (room <= 0) return;
      forwarded += Math.min(room, b.length);
      to.write(b.subarray(0, room));
      if (forwarded >= limit) {
        from.pause();
        onCut();
      }
    });
    for (const s of [from, to]) s.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    forwarded: () => forwarded,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Both sides' trees of `id`, activated through the agents. */
async function bothTrees(r: Rig, id: string): Promise<[string[], string[]]> {
  const a = await call(r.dm, 'ActivateBackup', { backup_id: id });
  const b = await call(r.dr, 'ActivateBackup', { backup_id: id });
  try {
    return [treeListing(join(a.root, ENTRY)), treeListing(join(b.root, ENTRY))];
  } finally {
    await call(r.dm, 'DeactivateBackup', { backup_id: id });
    await call(r.dr, 'DeactivateBackup', { backup_id: id });
  }
}

/** A hand-made sender: connects to the remote's data channel as `as`, writes `header`, then `body` if OK; returns what the remote said. */
async function rawSession(pki: Pki, as: string, r: Rig, header: object, body?: () => NodeJS.ReadableStream): Promise<string[]> {
  const tls = readTls(pki.files(as));
  const s = await connectDataChannel({ host: '127.0.0.1', port: r.remote.dataPort, peer: REMOTE, ca: tls.ca, cert: tls.cert, key: tls.key });
  try {
    s.write(`${JSON.stringify(header)}\n`);
    const first = await readLine(s, 10_000);
    if (first.line !== 'OK' || !body) return [first.line];
    body().pipe(s, { end: false });
    const pending = readLine(s, 60_000).catch((e: Error) => ({ line: `(${e.message})` }));
    // the first readLine paused the socket: a 'data' listener alone does not resume it
    s.resume();
    const verdict = await pending;
    return [first.line, verdict.line];
  } finally {
    s.destroy();
  }
}

function scenario(kind: 'zfs' | 'btrfs', rig: () => Rig, pki: () => Pki) {
  it('replicates the first backup whole, then the next two incrementally; the remote lists them with their manifests', async () => {
    const r = rig();
    attachAgentLogs([r.main, r.remote], 40);
    const size = await call(r.dm, 'ReplicaSize', { backup_id: ID1, base_id: '' });
    expect(Number(size.bytes)).toBeGreaterThanOrEqual(6 << 20);
    const full = await replicate(r, ID1, '');
    expect(full.bytesSent).toBeGreaterThan(6 << 20);
    expect(await remoteIds(r)).toEqual([ID1]);
    const inc = await replicate(r, ID2, ID1);
    console.log(`${kind}: full stream of ${ID1}: ${full.bytesSent} bytes in ${full.durationMs} ms; incremental ${ID2}: ${inc.bytesSent} bytes`);
    // a few bytes changed: the stream is about the change, not the 6 MiB total
    expect(inc.bytesSent).toBeLessThan(1 << 20);
    const est = await call(r.dm, 'ReplicaSize', { backup_id: ID2, base_id: ID1 });
    expect(Number(est.bytes)).toBeLessThan(1 << 20);
    console.log(`${kind}: ReplicaSize ${ID1}: ${size.bytes} (${size.how}); ${ID2} from ${ID1}: ${est.bytes} (${est.how})`);
    const list = (await call(r.dr, 'ListBackups', {})).backups;
    expect(list.map((b: any) => [b.backup_id, b.entries, JSON.parse(b.manifest_json).backupId])).toEqual([
      [ID1, [ENTRY], ID1],
      [ID2, [ENTRY], ID2],
    ]);
    const [a, b] = await bothTrees(r, ID2);
    expect(b).toEqual(a);
    const d = await call(r.dr, 'Describe', {});
    expect(d.target).toMatchObject({ replica_of: MAIN, resumable: false });
    // no probe writes a scratch folder into a replica (it broke a receive running beside it): no limits
    expect(d.target.limits).toEqual([]);
    const dm = await call(r.dm, 'Describe', {});
    expect(dm.target.replica_of).toBe('');
  });

  it('a stream cut mid-way leaves no backup on the remote; a retry with a new ticket completes', async () => {
    const r = rig();
    attachAgentLogs([r.main, r.remote], 40);
    const t = await open(r, ID3, ID2);
    // the stream goes through a relay that stops forwarding after 4 MiB, so the cut lands
    // mid-stream however fast the machine is (a 40 MiB btrfs stream once finished in 0.3 s,
    // before a cut made on the sender's progress could reach it)
    const relay = await cuttingRelay(r.remote.dataPort, 4 << 20);
    try {
      const s = send(r, { backupId: ID3, baseId: ID2, ticket: t.ticket, dataPort: relay.port });
      const ended = new Promise<void>((res, rej) => {
        s.on('error', (e: any) => (e.code === 1 ? res() : rej(e)));
        s.on('end', () => rej(new Error('the stream finished although the relay held it back')));
      });
      ended.catch(() => undefined);
      await relay.cut;
      s.cancel();
      await ended;
    } finally {
      relay.close();
    }
    const cutAt = relay.forwarded();
    const verdict = await call(r.dr, 'ReceiveResult', { ticket: t.ticket, wait_ms: 20_000 });
    expect(verdict).toMatchObject({ state: 'done', ok: false });
    expect(await remoteIds(r)).toEqual([ID1, ID2]);
    if (kind === 'btrfs') expect((await readdir(r.remoteStore)).filter((n) => /^\d{8}_/.test(n)).sort()).toEqual([ID1, ID2]);
    const again = await replicate(r, ID3, ID2);
    console.log(`${kind}: cut after ${cutAt} bytes (${verdict.message.slice(0, 120)}); retry sent ${again.bytesSent} bytes in ${again.durationMs} ms`);
    expect(again.bytesSent).toBeGreaterThan(40 << 20);
    expect(await remoteIds(r)).toEqual([ID1, ID2, ID3]);
    const [a, b] = await bothTrees(r, ID3);
    expect(b).toEqual(a);
    expect(b.some((l) => l.startsWith('large.bin file'))).toBe(true);
  });

  it('refuses: a peer other than replicaOf, a full stream onto held backups, a held backup, a base that is not the newest, a backup into the replica', async () => {
    const r = rig();
    attachAgentLogs([r.main, r.remote], 40);
    await expect(open(r, ID4, ID3, 'intruder')).rejects.toMatchObject({ code: 7, details: expect.stringContaining('its target.replicaOf is main-target') });
    await expect(open(r, ID4, '')).rejects.toMatchObject({ code: 9, details: expect.stringMatching(/full stream of .* refused: remote-target already holds 3 backups/) });
    await expect(open(r, ID3, ID2)).rejects.toMatchObject({ code: 6, details: expect.stringContaining('already held') });
    await expect(open(r, ID4, ID1)).rejects.toMatchObject({ code: 9, details: expect.stringContaining(`base_id ${ID1} is not the newest backup`) });
    await expect(call(r.dr, 'OpenReceive', { backup_id: ID4, source: 'app-1', entry: ENTRY, direction: 'DIRECTION_BACKUP', peer: 'app-1' })).rejects.toMatchObject({
      code: 9,
      details: expect.stringContaining('is a replica of main-target (target.replicaOf)'),
    });
    await expect(call(r.dm, 'OpenReplicaReceive', { backup_id: ID4, base_id: ID3, peer: REMOTE })).rejects.toMatchObject({
      code: 9,
      details: expect.stringContaining('is not a replica (no target.replicaOf)'),
    });
  });

  it('refuses hostile headers: a ticket for one backup presented for another, or by another identity', async () => {
    const r = rig();
    attachAgentLogs([r.main, r.remote], 40);
    const t = await open(r, ID4, ID3);
    // another identity first: the refusal does not spend the ticket
    expect(await rawSession(pki(), 'intruder', r, { ticket: t.ticket, direction: 'replicate', backup: ID4, base: ID3 })).toEqual([
      `ERR ticket was issued to '${MAIN}', presented by 'intruder'`,
    ]);
    expect(await rawSession(pki(), MAIN, r, { ticket: t.ticket, direction: 'replicate', backup: '20990101_000000', base: ID3 })).toEqual([
      `ERR backup: the ticket is for backup ${ID4}, the header names "20990101_000000"`,
    ]);
    expect(await call(r.dr, 'ReceiveResult', { ticket: t.ticket })).toMatchObject({ ok: false, message: expect.stringContaining('refused: backup:') });
    const t2 = await open(r, ID4, ID3);
    expect(await rawSession(pki(), MAIN, r, { ticket: t2.ticket, direction: 'replicate', backup: ID4, base: ID1 })).toEqual([
      `ERR base: the ticket is for a stream incremental from ${ID3}, the header names base "${ID1}"`,
    ]);
    const t3 = await open(r, ID4, ID3);
    expect(await rawSession(pki(), MAIN, r, { ticket: t3.ticket, direction: 'backup', args: ['--server'] })).toEqual([
      'ERR ticket is for a replicate, presented for "backup"',
    ]);
    expect(await remoteIds(r)).toEqual([ID1, ID2, ID3]);
  });
}

describe.skipIf(skip)('replication between two target agents', () => {
  let work: string;
  let pki: Pki;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ff-replica-'));
    pki = await makePki(join(work, 'pki'), ['director', MAIN, REMOTE, 'intruder']);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function agentsFor(kind: string, mainTarget: string, remoteTarget: string): Promise<[TestAgent, TestAgent]> {
    const root = join(work, kind);
    const m = await startAgent(MAIN, writeAgentConfig(root, pki, MAIN, `target: ${mainTarget}\n`));
    agents.push(m);
    const r = await startAgent(REMOTE, writeAgentConfig(root, pki, REMOTE, `target: ${remoteTarget}\n`));
    agents.push(r);
    return [m, r];
  }

  describe('zfs-fuse', () => {
    let daemon: ZfsDaemon | undefined;
    let pool: FilePool | undefined;
    let r: Rig;
    const mine: TestAgent[] = [];
    beforeAll(async () => {
      daemon = await startZfsFuse();
      pool = await createFilePool({ sizeMiB: 512 });
      const mainDs = `${pool.name}/main/current`;
      const remoteDs = `${pool.name}/remote/current`;
      const [m, rem] = await agentsFor('zfs', `{ kind: zfs, dataset: ${mainDs} }`, `{ kind: zfs, dataset: ${remoteDs}, replicaOf: ${MAIN} }`);
      mine.push(m, rem);
      const mainProvider = new ZfsTarget({ kind: 'zfs', dataset: mainDs }, silentLogger);
      await threeBackups(mainProvider);
      r = { kind: 'zfs', main: m, remote: rem, mainProvider, remoteStore: remoteDs, dm: client(pki, 'director', m), dr: client(pki, 'director', rem) };
    }, 120_000);
    afterAll(async () => {
      r?.dm.close();
      r?.dr.close();
      for (const a of mine) await stopAgent(a);
      try {
        await pool?.destroy();
      } finally {
        await daemon?.stop();
      }
    }, 60_000);
    scenario('zfs', () => r, () => pki);

    it('a receive that fails after zfs made the snapshot (a mount failed) leaves no backup on the remote; a retry completes', async () => {
      // zfs-fuse has no receive -u: it mounts what it received, and exits 1 with the snapshot made when that fails
      const root = join(work, 'zfs-unmountable');
      const parent = `${pool!.name}/offsite`;
      const rem = await startAgent(REMOTE, writeAgentConfig(root, pki, REMOTE, `target: { kind: zfs, dataset: ${parent}/current, replicaOf: ${MAIN} }\n`));
      mine.push(rem);
      const r2: Rig = { ...r, remote: rem, remoteStore: `${parent}/current`, dr: client(pki, 'director', rem) };
      const zfs = (...args: string[]) => run({ bin: findBinary('zfs'), args, timeoutMs: 60_000, okExitCodes: [0, 1] });
      const below = async (what: string) => (await zfs('list', '-H', '-t', what, '-o', 'name', '-r', parent)).stdout.trim().split('\n');
      const blocker = join(root, 'a-regular-file');
      const failsNaming = async (mountpoint: string) => {
        const t = await open(r2, ID1, '');
        if (mountpoint.endsWith('/current')) await zfs('destroy', '-r', `${parent}/current`); // so the receive creates it, and mounts it
        await expect(sendAll(r2, { backupId: ID1, baseId: '', ticket: t.ticket, dataPort: t.data_port })).rejects.toThrow(/cannot mount/);
        const verdict = await call(r2.dr, 'ReceiveResult', { ticket: t.ticket, wait_ms: 10_000 });
        expect(verdict).toMatchObject({ state: 'done', ok: false, message: expect.stringContaining(`cannot mount '${mountpoint}'`) });
        expect(await below('snapshot')).toEqual(['']);
        expect(await below('filesystem')).toEqual([parent, `${parent}/current`]);
      };
      try {
        attachAgentLogs([r.main, rem], 40);
        await open(r2, ID1, ''); // the remote's set-up creates and mounts its empty dataset
        await writeFile(blocker, '');
        await zfs('set', `mountpoint=${blocker}/sub`, parent);
        expect((await zfs('get', '-H', '-o', 'value', 'mountpoint', `${parent}/current`)).stdout.trim()).toBe(`${blocker}/sub/current`);
        // the receive succeeds; the clone that reads the received tree cannot be mounted (zfs clone exits 1, the clone made)
        await failsNaming(`${blocker}/sub/current-read-${ID1}`);
        // the receive itself exits 1
        await failsNaming(`${blocker}/sub/current`);
        await zfs('inherit', 'mountpoint', parent);
        expect(await remoteIds(r2)).toEqual([]);
        await replicate(r2, ID1, '');
        expect(await remoteIds(r2)).toEqual([ID1]);
        const [x, y] = await bothTrees(r2, ID1);
        expect(y).toEqual(x);
      } finally {
        r2.dr.close();
      }
    });
  });

  describe('btrfs', () => {
    let fs: LoopBtrfs | undefined;
    let r: Rig;
    const mine: TestAgent[] = [];
    beforeAll(async () => {
      fs = await createLoopBtrfs({ sizeMiB: 512 });
      const mainPath = join(fs.mountPoint, 'main');
      const remotePath = join(fs.mountPoint, 'remote');
      const [m, rem] = await agentsFor('btrfs', `{ kind: btrfs, path: ${mainPath} }`, `{ kind: btrfs, path: ${remotePath}, replicaOf: ${MAIN} }`);
      mine.push(m, rem);
      const mainProvider = new BtrfsTarget({ kind: 'btrfs', path: mainPath }, silentLogger);
      await threeBackups(mainProvider);
      r = { kind: 'btrfs', main: m, remote: rem, mainProvider, remoteStore: remotePath, dm: client(pki, 'director', m), dr: client(pki, 'director', rem) };
    }, 120_000);
    afterAll(async () => {
      r?.dm.close();
      r?.dr.close();
      for (const a of mine) await stopAgent(a);
      await fs?.destroy();
    }, 60_000);
    scenario('btrfs', () => r, () => pki);

    it('refuses and deletes nothing when a stream would create a subvolume under another name', async () => {
      attachAgentLogs(mine, 40);
      // a read-only snapshot of backup 3's content under another backup-shaped name, sent with a ticket for backup 4
      const other = join(fs!.mountPoint, 'elsewhere');
      await mkdir(other);
      await subvolumeSnapshot(join(fs!.mountPoint, 'main', ID3), join(other, '20990101_000000'), { readonly: true });
      const t = await open(r, ID4, ID3);
      const said = await rawSession(pki, MAIN, r, { ticket: t.ticket, direction: 'replicate', backup: ID4, base: ID3 }, () => {
        const p = spawnProcess({ bin: findBinary('btrfs'), args: ['send', '-p', join(fs!.mountPoint, 'main', ID3), join(other, '20990101_000000')], timeoutMs: 60_000 }, true);
        p.done.catch(() => undefined);
        return p.child.stdout!;
      });
      expect(said).toEqual(['OK', `ERR the stream creates subvolume "20990101_000000", not backup ${ID4}`]);
      expect((await readdir(r.remoteStore)).filter((n) => /^\d{8}_/.test(n)).sort()).toEqual([ID1, ID2, ID3]);
      expect(await call(r.dr, 'ReceiveResult', { ticket: t.ticket })).toMatchObject({ state: 'done', ok: false, message: expect.stringContaining('not backup') });
    });
  });
});
