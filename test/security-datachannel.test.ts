import { existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { entryName, findBinary, spawnProcess, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './support/pki.js';
import { attachAgentLogs, call, client, sleep, startAgent, stopAgent, waitForLog, writeAgentConfig, type TestAgent as Agent } from './support/agents.js';
import { TUNNEL, dataChannelHello, treeListing } from './support/security-rig.js';
import { claim } from './support/claim.js';
import { needsRoot } from './support/privileges.js';

await claim();

const noView = needsRoot('the receiver\'s chrooted view of a dir target (a mount namespace)', ['unshare', 'nsenter', 'setpriv', 'mount']);

// Attacks on the data channel from a peer agent that holds a valid certificate (a compromised
// source or target): tickets that are replayed, expired, for someone else or the other
// direction; rsync options that reach outside the transfer; paths chosen by the client; and
// restore trees built to write outside the destination. Real rsync on both ends.

const HOSTILE_TUNNEL = resolve(import.meta.dirname, 'support/hostile-tunnel.mjs');
const ARGS = ['rsync', '--server', '-lHogDtpAXre.iLsfxCIvu', '--delete', '--numeric-ids', '.', '.'];

describe('security: data channel', () => {
  let root: string;
  let pki: Pki;
  let src: Agent;
  let tgt: Agent;
  let locked: Agent;
  let toSrc: AgentClient;
  let toTgt: AgentClient;
  const agents: Agent[] = [];
  let entry: string;
  const data = () => join(root, 'src-1', 'data');
  const outside = () => join(root, 'outside');
  let n = 0;
  const nextId = () => `20240201_0001${String(n++).padStart(2, '0')}`;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-data-'));
    pki = await makePki(join(root, 'pki'), ['director', 'src-1', 'tgt', 'stranger', 'locked']);
    mkdirSync(data(), { recursive: true });
    mkdirSync(outside(), { recursive: true });
    writeFileSync(join(outside(), 'passwd'), 'original\n');
    mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
    mkdirSync(join(root, 'locked', 'data'), { recursive: true });
    entry = entryName('src-1', data());
    const s = writeAgentConfig(root, pki, 'src-1', `allowRestore: true\nticketTtl: 1500ms\nsource: { kind: dir, volume: ${data()} }\nfreeze: { kind: none }\n`);
    const t = writeAgentConfig(root, pki, 'tgt', `ticketTtl: 1500ms\ntarget: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n`);
    const l = writeAgentConfig(root, pki, 'locked', `source: { kind: dir, volume: ${join(root, 'locked', 'data')} }\n`);
    [src, tgt, locked] = await Promise.all([startAgent('src-1', s), startAgent('tgt', t), startAgent('locked', l)]);
    agents.push(src, tgt, locked);
    toSrc = client(pki, 'director', src);
    toTgt = client(pki, 'director', tgt);
  });

  afterAll(async () => {
    toSrc?.close();
    toTgt?.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents, 25);

  // Every backup ticket names the same backup: the target's lock is per backup id, and a receive
  // session an earlier step started may still be winding down when the next ticket is asked for.
  const BACKUP_ID = '20240201_000000';
  const backupTicket = async (id = BACKUP_ID) =>
    (await call(toTgt, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry })) as { ticket: string; data_port: number };
  const restoreTicket = async (id = nextId()) =>
    (await call(toSrc, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry })) as { ticket: string; data_port: number };

  const stillServing = async () => {
    expect((await call(toTgt, 'Health', {})).name).toBe('tgt');
    expect((await call(toSrc, 'Health', {})).name).toBe('src-1');
  };

  it('refuses a replayed, an expired, a wrong-peer and a wrong-direction ticket', async () => {
    attachLogs();
    const as = (name: string) => pki.files(name);
    // wrong peer: the ticket names src-1, the stranger presents it (refusal does not burn it)
    const t1 = await backupTicket();
    expect((await dataChannelHello(tgt.dataPort, { ticket: t1.ticket, direction: 'backup', args: ARGS }, as('stranger'))).text).toBe(
      "ERR ticket was issued to 'src-1', presented by 'stranger'\n",
    );
    // wrong direction
    expect((await dataChannelHello(tgt.dataPort, { ticket: t1.ticket, direction: 'restore', args: ARGS }, as('src-1'))).text).toBe(
      'ERR ticket is for a backup, presented for "restore"\n',
    );
    // the rightful use works once; the replay is refused
    expect((await dataChannelHello(tgt.dataPort, { ticket: t1.ticket, direction: 'backup', args: ARGS }, as('src-1'))).text).toBe('OK\n');
    expect((await dataChannelHello(tgt.dataPort, { ticket: t1.ticket, direction: 'backup', args: ARGS }, as('src-1'))).text).toBe(
      'ERR ticket is unknown, expired or already used\n',
    );
    // expired (ticketTtl 1500ms)
    const t2 = await backupTicket();
    await sleep(1_700);
    expect((await dataChannelHello(tgt.dataPort, { ticket: t2.ticket, direction: 'backup', args: ARGS }, as('src-1'))).text).toBe(
      'ERR ticket is unknown, expired or already used\n',
    );
    // a guessed ticket and garbage
    expect((await dataChannelHello(tgt.dataPort, { ticket: 'f'.repeat(64), direction: 'backup', args: ARGS }, as('src-1'))).text).toMatch(/^ERR ticket is unknown/);
    expect((await dataChannelHello(tgt.dataPort, 'rsync --server -e.Ls . /etc', as('src-1'))).text).toBe('ERR first line is not JSON\n');
    await waitForLog(tgt, (l) => l.audit && l.rpc === 'DataChannel' && l.caller === 'stranger' && l.result === 'PERMISSION_DENIED');
    await stillServing();
  });

  it('refuses forbidden rsync options over the wire', async () => {
    attachLogs();
    const refused: Array<[string[], RegExp]> = [
      [['--sender'], /--sender.*only receives/],
      [['--remove-source-files'], /removes files/],
      [['--files-from=/etc/shadow'], /names a path/],
      [['--log-file=/etc/passwd'], /log-file/],
      [['--link-dest=/etc'], /link-dest/],
      [['--rsync-path=/bin/sh'], /runs a program/],
      [['--keep-dirlinks'], /follows symlinked folders/],
      [['--copy-unsafe-links'], /follows symlinks/],
      [['-K'], /-K is not allowed/],
      [['-R'], /-R is not allowed/],
      [['-s'], /-s is not allowed/],
    ];
    for (const [extra, why] of refused) {
      const t = await backupTicket();
      const args = ['rsync', '--server', '-lHogDtpAXre.iLsfxCIvu', ...extra, '.', '.'];
      const a = await dataChannelHello(tgt.dataPort, { ticket: t.ticket, direction: 'backup', args }, pki.files('src-1'));
      expect(a.text, extra.join(' ')).toMatch(/^ERR rsync option/);
      expect(a.text, extra.join(' ')).toMatch(why);
    }
    await stillServing();
  });

  /** Runs the local rsync as a peer would, through `rsh` (the real tunnel or the hostile one). */
  function peerRsync(o: { from: string; dest: string; ticket: string; port: number; as: string; direction: string; flags?: string[]; rsh?: string; replace?: Array<[string, string]> }) {
    const t = pki.files(o.as);
    return spawnProcess({
      bin: findBinary('rsync'),
      args: [...(o.flags ?? ['-aHAX', '--numeric-ids']), '--rsh', `${process.execPath} ${o.rsh ?? TUNNEL}`, `${o.from}/`, o.dest],
      timeoutMs: 30_000,
      okExitCodes: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 20, 23, 24],
      env: {
        FF_TUNNEL_HOST: '127.0.0.1',
        FF_TUNNEL_PORT: String(o.port),
        FF_TUNNEL_TICKET: o.ticket,
        FF_TUNNEL_PEER: o.direction === 'backup' ? 'tgt' : 'src-1',
        FF_TUNNEL_DIRECTION: o.direction,
        FF_TLS_CA: t.ca,
        FF_TLS_CERT: t.cert,
        FF_TLS_KEY: t.key,
        FF_HOSTILE_REPLACE: JSON.stringify(o.replace ?? []),
      },
    }).done;
  }

  it('ignores the path the client names: data lands where the ticket says', async () => {
    attachLogs();
    const tree = join(root, 'tree-path');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'f.txt'), 'payload\n');
    const t = await backupTicket();
    const aimed = join(outside(), 'aimed');
    const r = await peerRsync({ from: tree, dest: `ff:${aimed}/`, ticket: t.ticket, port: tgt.dataPort, as: 'src-1', direction: 'backup' });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(aimed)).toBe(false);
    expect(treeListing(join(root, 'tgt', 'backups')).some((l) => l.includes(`${entry}/f.txt`))).toBe(true);
    // secluded args would carry further options inside the stream: refused
    const t2 = await backupTicket();
    const s = await peerRsync({ from: tree, dest: 'ff:.', ticket: t2.ticket, port: tgt.dataPort, as: 'src-1', direction: 'backup', flags: ['-as'] });
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/refused: rsync option .*-s is not allowed/);
    await stillServing();
  });

  it('a restore cannot write outside the source volume: hostile names and planted symlinks', async () => {
    attachLogs();
    const outsideBefore = treeListing(outside());
    const run = async (name: string, build: (dir: string) => void, replace: Array<[string, string]>) => {
      const tree = join(root, `hostile-${name}`);
      mkdirSync(tree, { recursive: true });
      build(tree);
      const t = await restoreTicket();
      return peerRsync({ from: tree, dest: 'ff:.', ticket: t.ticket, port: src.dataPort, as: 'tgt', direction: 'restore', rsh: HOSTILE_TUNNEL, replace });
    };
    // "../../etc/x"-style names: rsync's receiver aborts on them
    const dd = await run('dotdot', (d) => writeFileSync(join(d, 'Q7_Q7_outside_x'), 'evil\n'), [['Q7_Q7_outside_x', '../../outside/x']]);
    expect(dd.code).not.toBe(0);
    const why = (re: RegExp) => waitForLog(src, (l) => l.rpc === 'DataChannel' && l.result === 'TRANSFER_FAILED' && re.test(l.err));
    await why(/unsafe pathname from sender: \.\.\/\.\.\/outside\/x/);
    // an absolute name
    const abs = join(outside(), 'abs');
    const ab = await run('absolute', (d) => writeFileSync(join(d, 'A'.repeat(abs.length)), 'evil\n'), [['A'.repeat(abs.length), abs]]);
    expect(ab.code).not.toBe(0);
    await why(new RegExp(`unsafe pathname from sender: ${abs}`));
    // a symlink d -> outside, then a file d/passwd in the same file list
    const sl = await run(
      'symlink',
      (d) => {
        symlinkSync(outside(), join(d, 'd'));
        writeFileSync(join(d, 'dQpasswd'), 'evil\n');
      },
      [['dQpasswd', 'd/passwd']],
    );
    expect(sl.code).not.toBe(0);
    await why(/invalid path from sender: d\/passwd/);
    expect(treeListing(outside())).toEqual(outsideBefore);
    expect(readFileSync(join(outside(), 'passwd'), 'utf8')).toBe('original\n');
    await stillServing();
  });

  it('a symlink planted by one restore is stored as a link and never written through by the next', async () => {
    attachLogs();
    // restore 1: the tree has d -> outside (stored as it is, not followed) and f -> outside/passwd
    const t1tree = join(root, 'plant');
    mkdirSync(t1tree, { recursive: true });
    symlinkSync(outside(), join(t1tree, 'd'));
    symlinkSync(join(outside(), 'passwd'), join(t1tree, 'f'));
    let t = await restoreTicket();
    let r = await peerRsync({ from: t1tree, dest: 'ff:.', ticket: t.ticket, port: src.dataPort, as: 'tgt', direction: 'restore' });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(join(data(), 'd')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(data(), 'd'))).toBe(outside());
    // restore 2: d is a folder with passwd in it, f a regular file; writing in place is the
    // receiver's decision alone, so a sender asking for it is refused
    const t2tree = join(root, 'follow');
    mkdirSync(join(t2tree, 'd'), { recursive: true });
    writeFileSync(join(t2tree, 'd', 'passwd'), 'evil\n');
    writeFileSync(join(t2tree, 'f'), 'evil\n');
    t = await restoreTicket();
    r = await peerRsync({ from: t2tree, dest: 'ff:.', ticket: t.ticket, port: src.dataPort, as: 'tgt', direction: 'restore', flags: ['-aHAX', '--numeric-ids', '--inplace'] });
    expect(r.stderr).toMatch(/--inplace.*refused: the receiver decides how files are written/);
    t = await restoreTicket();
    r = await peerRsync({ from: t2tree, dest: 'ff:.', ticket: t.ticket, port: src.dataPort, as: 'tgt', direction: 'restore', flags: ['-aHAX', '--numeric-ids'] });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(outside(), 'passwd'), 'utf8')).toBe('original\n');
    expect(existsSync(join(outside(), 'f'))).toBe(false);
    expect(lstatSync(join(data(), 'd')).isDirectory()).toBe(true);
    expect(readFileSync(join(data(), 'd', 'passwd'), 'utf8')).toBe('evil\n');
    expect(lstatSync(join(data(), 'f')).isFile()).toBe(true);
    // and a sender asking to keep symlinked folders (-K) is refused before rsync starts
    const t3 = await restoreTicket();
    const k = await peerRsync({ from: t2tree, dest: 'ff:.', ticket: t3.ticket, port: src.dataPort, as: 'tgt', direction: 'restore', flags: ['-aK'] });
    expect(k.stderr).toMatch(/-K is not allowed/);
    await stillServing();
  });

  it('OpenReceive for a restore is refused unless the agent allows restores', async () => {
    attachLogs();
    const c = client(pki, 'director', locked);
    await expect(call(c, 'OpenReceive', { backup_id: nextId(), source: 'locked', peer: 'tgt', direction: 'DIRECTION_RESTORE' })).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'node locked does not accept restores',
    });
    expect((await call(c, 'Health', {})).name).toBe('locked');
    c.close();
  });
  // docs/security.md, "A compromised source node": a compromised source plants `x -> ../<another source's entry>` in its own
  // backup; in the next one it sends `x/` as a folder holding a file of the same size as the
  // victim's, with a quick check it controls (no -t). rsync looked the basis file up through the
  // previous backup's symlink and hard-linked the victim's file into the attacker's backup; a
  // second transfer with --inplace then wrote into that shared inode.
  it('a source cannot reach another source\'s backup through symlinks in its own previous backup', async () => {
    attachLogs();
    const victimEntry = 'stranger@+data';
    const ids = ['20240301_000000', '20240302_000000'];
    const ticketFor = async (id: string, source: string, e: string) =>
      (await call(toTgt, 'OpenReceive', { backup_id: id, source, peer: source, direction: 'DIRECTION_BACKUP', entry: e })) as { ticket: string };
    // backup 1: the victim's secret, and the attacker's planted link
    const victim = join(root, 'victim');
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, 'secret'), 'victim secret\n');
    let r = await peerRsync({ from: victim, dest: 'ff:.', ticket: (await ticketFor(ids[0]!, 'stranger', victimEntry)).ticket, port: tgt.dataPort, as: 'stranger', direction: 'backup' });
    expect(r.code, r.stderr).toBe(0);
    const plant = join(root, 'plant-link');
    mkdirSync(plant, { recursive: true });
    symlinkSync(`../${victimEntry}`, join(plant, 'x'));
    r = await peerRsync({ from: plant, dest: 'ff:.', ticket: (await ticketFor(ids[0]!, 'src-1', entry)).ticket, port: tgt.dataPort, as: 'src-1', direction: 'backup' });
    expect(r.code, r.stderr).toBe(0);
    await call(toTgt, 'ZfsTag', { backup_id: ids[0], manifest: { backup_id: ids[0], deployment: 'd', json: '{}' }, entries: [entry, victimEntry] });
    const stored = join(root, 'tgt', 'backups', ids[0]!);
    // stored munged: the link resolves nowhere on the target
    expect(readlinkSync(join(stored, entry, 'x'))).toBe(`/rsyncd-munged/../${victimEntry}`);
    const victimIno = lstatSync(join(stored, victimEntry, 'secret')).ino;

    // backup 2: x is a folder with a same-size file; the quick check's knobs are the receiver's
    const follow = join(root, 'follow-link');
    mkdirSync(join(follow, 'x'), { recursive: true });
    writeFileSync(join(follow, 'x', 'secret'), 'ATTACKER DATA\n');
    // the same size and mtime as the victim's: all a quick check without -p/-o/-g compares
    const vs = lstatSync(join(victim, 'secret'));
    utimesSync(join(follow, 'x', 'secret'), vs.atime, vs.mtime);
    for (const flags of [['-rlHAX', '--size-only'], ['-rlHAX', '-I'], ['-rlHAX', '--inplace']]) {
      const t = await ticketFor(ids[1]!, 'src-1', entry);
      const refused = await peerRsync({ from: follow, dest: 'ff:.', ticket: t.ticket, port: tgt.dataPort, as: 'src-1', direction: 'backup', flags });
      expect(refused.stderr, flags.join(' ')).toMatch(/refused: rsync option .*receiver decides/);
    }
    // without -t rsync's quick check compares sizes only: the lookup must still find nothing
    r = await peerRsync({ from: follow, dest: 'ff:.', ticket: (await ticketFor(ids[1]!, 'src-1', entry)).ticket, port: tgt.dataPort, as: 'src-1', direction: 'backup', flags: ['-rlHAX', '--numeric-ids'] });
    expect(r.code, r.stderr).toBe(0);
    const received = join(root, 'tgt', 'backups', '.partial', ids[1]!, entry, 'x', 'secret');
    expect(readFileSync(received, 'utf8')).toBe('ATTACKER DATA\n');
    expect(lstatSync(received).ino).not.toBe(victimIno);
    expect(readFileSync(join(stored, victimEntry, 'secret'), 'utf8')).toBe('victim secret\n');
    await stillServing();
  });

  // docs/security.md, "The receiver's view": a dir target's receiver with a basis runs without
  // rsync's symlink walk (--insecure-links), chrooted in a view that holds only the target. Were a
  // link in the basis ever stored unmunged (owned by the source's user, as a received link is),
  // the walk would have refused it; now the chroot must: outside the target there is nothing.
  it.skipIf(noView)('an unmunged link in the previous backup leads nowhere outside the target when a basis file is looked up through it', async () => {
    attachLogs();
    const ids = ['20240401_000000', '20240402_000000'];
    const ticketFor = async (id: string) => ((await call(toTgt, 'OpenReceive', { backup_id: id, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry })) as { ticket: string }).ticket;
    // the host's file, on the target's file system (a hard link to it would work)
    const host = join(root, 'host-secrets');
    mkdirSync(host, { recursive: true });
    const secret = join(host, 'secret');
    writeFileSync(secret, 'host secret\n', { mode: 0o600 });
    // backup 1: a folder x, tagged; then x becomes an unmunged link to the host's folder
    const first = join(root, 'plain-x');
    mkdirSync(join(first, 'x'), { recursive: true });
    writeFileSync(join(first, 'x', 'keep'), 'keep\n');
    let r = await peerRsync({ from: first, dest: 'ff:.', ticket: await ticketFor(ids[0]!), port: tgt.dataPort, as: 'src-1', direction: 'backup' });
    expect(r.code, r.stderr).toBe(0);
    await call(toTgt, 'ZfsTag', { backup_id: ids[0], manifest: { backup_id: ids[0], deployment: 'd', json: '{}' }, entries: [entry] });
    const planted = join(root, 'tgt', 'backups', ids[0]!, entry, 'x');
    rmSync(planted, { recursive: true });
    symlinkSync(host, planted);
    lchownSync(planted, 1234, 1234);

    // backup 2: x/secret with all a --link-dest match compares (size, mtime, mode, owner) equal to the host's
    const follow = join(root, 'follow-host');
    mkdirSync(join(follow, 'x'), { recursive: true });
    writeFileSync(join(follow, 'x', 'secret'), 'ATTACKER 12\n', { mode: 0o600 });
    const hs = lstatSync(secret);
    utimesSync(join(follow, 'x', 'secret'), hs.atime, hs.mtime);
    r = await peerRsync({ from: follow, dest: 'ff:.', ticket: await ticketFor(ids[1]!), port: tgt.dataPort, as: 'src-1', direction: 'backup' });
    expect(r.code, r.stderr).toBe(0);
    const received = join(root, 'tgt', 'backups', '.partial', ids[1]!, entry, 'x', 'secret');
    expect(readFileSync(received, 'utf8')).toBe('ATTACKER 12\n');
    expect(lstatSync(received).ino).not.toBe(hs.ino);
    expect(lstatSync(secret).nlink).toBe(1);
    // and that was the receiver without the walk, in its view
    const receiving = await waitForLog(tgt, (l) => l.msg === 'data channel: receiving' && l.backup_id === ids[1]);
    expect(receiving).toMatchObject({ view: expect.stringContaining(' at /mnt'), args: expect.arrayContaining(['--insecure-links', `--link-dest=/mnt/${ids[0]}/${entry}`]) });
    await stillServing();
  });
});
