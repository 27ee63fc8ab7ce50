import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { entryName, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makePki, type Pki } from './support/pki.js';
import { attachAgentLogs, call, client, descendants, startAgent, stopAgent, writeAgentConfig, type TestAgent as Agent } from './support/agents.js';
import { treeListing } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// Hostile identifiers over the wire, from a caller holding the director's certificate (the
// worst case: a compromised director, or a bug in it). Every field is refused with
// INVALID_ARGUMENT naming it, nothing is spawned or written, and the agent keeps serving.

const HOSTILE: Array<[string, string]> = [
  ['dot-dot', '../x'],
  ['slash', 'a/b'],
  ['option', '-oProxyCommand=x'],
  ['semicolon', 'x;id'],
  ['subshell', '$(id)'],
  ['nul byte', 'a\0b'],
  ['10 KiB', 'a'.repeat(10 << 10)],
];

const ID = '20240101_000000';

describe('security: hostile identifiers', () => {
  let root: string;
  let pki: Pki;
  let src: Agent;
  let tgt: Agent;
  let toSrc: AgentClient;
  let toTgt: AgentClient;
  const agents: Agent[] = [];
  let entry: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-input-'));
    pki = await makePki(join(root, 'pki'), ['director', 'src-1', 'tgt']);
    const data = join(root, 'src-1', 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'f.txt'), 'data\n');
    mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
    entry = entryName('src-1', data);
    mkdirSync(join(root, 'src-1', 'restore'), { recursive: true, mode: 0o700 });
    const s = writeAgentConfig(root, pki, 'src-1', `allowRestore: true\nrestoreDirs: [${join(root, 'src-1', 'restore')}]\nsource: { kind: dir, volume: ${data} }\nfreeze: { kind: none }\n`);
    const t = writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n`);
    [src, tgt] = await Promise.all([startAgent('src-1', s), startAgent('tgt', t)]);
    agents.push(src, tgt);
    toSrc = client(pki, 'director', src);
    toTgt = client(pki, 'director', tgt);
    // a prepared snapshot, so PerformRsync gets as far as its receiver fields
    await call(toSrc, 'PrepareSnapshot', { backup_id: ID });
    // PrepareSnapshot answers before it records when the snapshot was taken: a record landing
    // after a test's first listing would read as a write the hostile calls made
    const record = join(root, 'src-1', 'run', 'snapshot-times.json');
    await vi.waitFor(() => expect(existsSync(record), record).toBe(true), { timeout: 10_000, interval: 20 });
  });

  afterAll(async () => {
    toSrc?.close();
    toTgt?.close();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents, 20);

  const receiver = { ticket: 'ab'.repeat(32), receiver_name: 'tgt', receiver_host: '127.0.0.1', receiver_data_port: 1 };
  type Attempt = { rpc: string; to: () => AgentClient; req: (v: string) => object; field: string; streaming?: boolean };
  const attempts: Attempt[] = [
    { rpc: 'Freeze', to: () => toSrc, req: (v) => ({ backup_id: v, lease_ms: 60_000 }), field: 'backup_id' },
    { rpc: 'Freeze', to: () => toSrc, req: (v) => ({ backup_id: `${ID}-${v}`, lease_ms: 60_000 }), field: 'backup_id' },
    { rpc: 'Thaw', to: () => toSrc, req: (v) => ({ backup_id: v }), field: 'backup_id' },
    { rpc: 'PrepareSnapshot', to: () => toSrc, req: (v) => ({ backup_id: v }), field: 'backup_id' },
    { rpc: 'RemoveSnapshot', to: () => toSrc, req: (v) => ({ backup_id: v }), field: 'backup_id' },
    { rpc: 'OpenReceive', to: () => toTgt, req: (v) => ({ backup_id: v, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry }), field: 'backup_id' },
    { rpc: 'OpenReceive', to: () => toTgt, req: (v) => ({ backup_id: ID, source: v, peer: 'src-1', direction: 'DIRECTION_BACKUP', entry }), field: 'source' },
    { rpc: 'OpenReceive', to: () => toTgt, req: (v) => ({ backup_id: ID, source: 'src-1', peer: v, direction: 'DIRECTION_BACKUP', entry }), field: 'peer' },
    { rpc: 'OpenReceive', to: () => toTgt, req: (v) => ({ backup_id: ID, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry: v }), field: 'entry' },
    { rpc: 'OpenReceive', to: () => toSrc, req: (v) => ({ backup_id: ID, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry: v }), field: 'entry' },
    // restore --map and --to-dir: the node's own volume, the folder and the restore's id
    { rpc: 'OpenReceive', to: () => toSrc, req: (v) => ({ backup_id: ID, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry, into_entry: v }), field: 'into_entry' },
    { rpc: 'OpenReceive', to: () => toSrc, req: (v) => ({ backup_id: ID, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry, to_dir: v, restore_id: 'restore_20240101_000000' }), field: 'to_dir' },
    { rpc: 'OpenReceive', to: () => toSrc, req: (v) => ({ backup_id: ID, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry, to_dir: join(root, 'src-1', 'restore'), restore_id: v }), field: 'restore_id' },
    { rpc: 'ZfsTag', to: () => toTgt, req: (v) => ({ backup_id: v, entries: [entry] }), field: 'backup_id' },
    { rpc: 'ZfsTag', to: () => toTgt, req: (v) => ({ backup_id: ID, entries: [v] }), field: 'entries[0]' },
    { rpc: 'ActivateBackup', to: () => toTgt, req: (v) => ({ backup_id: v }), field: 'backup_id' },
    { rpc: 'DeactivateBackup', to: () => toTgt, req: (v) => ({ backup_id: v }), field: 'backup_id' },
    { rpc: 'PerformRsync', to: () => toSrc, req: (v) => ({ backup_id: v, ...receiver }), field: 'backup_id', streaming: true },
    { rpc: 'PerformRsync', to: () => toSrc, req: (v) => ({ backup_id: ID, ...receiver, ticket: v }), field: 'ticket', streaming: true },
    { rpc: 'PerformRsync', to: () => toSrc, req: (v) => ({ backup_id: ID, ...receiver, receiver_name: v }), field: 'receiver_name', streaming: true },
    { rpc: 'PerformRsync', to: () => toSrc, req: (v) => ({ backup_id: ID, ...receiver, receiver_host: v }), field: 'receiver_host', streaming: true },
    { rpc: 'RestoreSource', to: () => toTgt, req: (v) => ({ backup_id: v, entry, ...receiver }), field: 'backup_id', streaming: true },
    { rpc: 'RestoreSource', to: () => toTgt, req: (v) => ({ backup_id: ID, entry: v, ...receiver }), field: 'entry', streaming: true },
    { rpc: 'RestoreKeyspace', to: () => toSrc, req: (v) => ({ backup_id: v, keyspaces: [] }), field: 'backup_id', streaming: true },
    { rpc: 'RestoreKeyspace', to: () => toSrc, req: (v) => ({ backup_id: ID, keyspaces: [v] }), field: 'keyspaces[0]', streaming: true },
  ];

  function attempt(a: Attempt, value: string): Promise<unknown> {
    const c = a.to() as any;
    if (!a.streaming) return call(c, a.rpc, a.req(value));
    return new Promise((res, rej) => {
      const s = c[a.rpc](a.req(value), { deadline: Date.now() + 10_000 });
      s.on('data', () => undefined);
      s.on('error', rej);
      s.on('end', res);
    });
  }

  it.each(HOSTILE)('%s: every identifier field is refused with INVALID_ARGUMENT naming it; nothing runs or is written', async (_what, value) => {
    attachLogs();
    const before = treeListing(root);
    for (const a of attempts) {
      const label = `${a.rpc}.${a.field} = ${JSON.stringify(value.slice(0, 20))}`;
      const err = (await attempt(a, value).then(
        () => undefined,
        (e: unknown) => e,
      )) as grpc.ServiceError | undefined;
      expect(err, label).toBeDefined();
      expect(err!.code, `${label}: ${err!.details}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err!.details, label).toMatch(new RegExp(`^${a.field.replace(/[[\]]/g, '\\$&')} `));
      // the refusal quotes at most a short prefix of the value
      expect(err!.details.length, label).toBeLessThan(300);
    }
    expect(descendants(src.proc.child.pid!)).toEqual([]);
    expect(descendants(tgt.proc.child.pid!)).toEqual([]);
    expect(treeListing(root)).toEqual(before);
    expect((await call(toSrc, 'Health', {})).ok).toBe(true);
    expect((await call(toTgt, 'Health', {})).ok).toBe(true);
  });

  it('an 8 MiB message is refused with RESOURCE_EXHAUSTED before any handler runs; the agent keeps serving', async () => {
    attachLogs();
    const before = treeListing(root);
    const big = 'x'.repeat(8 << 20);
    await expect(call(toTgt, 'ZfsTag', { backup_id: ID, manifest: { backup_id: ID, deployment: 'd', json: JSON.stringify({ big }) }, entries: [entry] })).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/larger than max/i),
    });
    await expect(call(toSrc, 'Freeze', { backup_id: big, lease_ms: 1 })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect((await call(toSrc, 'Health', {})).frozen).toEqual([]);
    expect(treeListing(root)).toEqual(before);
    expect(descendants(tgt.proc.child.pid!)).toEqual([]);
    expect((await call(toTgt, 'Health', {})).ok).toBe(true);
  });

  it('a partial restore\'s paths and a restore\'s folder outside restoreDirs are refused naming the field; nothing runs or is written', async () => {
    attachLogs();
    const before = treeListing(root);
    const paths = [['../x'], ['/etc'], ['a/../../b'], ['a/./b'], ['a//b'], [''], ['a\0b'], ['a\nb'], Array.from({ length: 65 }, (_, i) => `p${i}`)];
    for (const p of paths) {
      const label = JSON.stringify(p).slice(0, 40);
      const err = (await attempt({ rpc: 'RestoreSource', to: () => toTgt, req: () => ({ backup_id: ID, entry, ...receiver, paths: p }), field: 'paths', streaming: true }, '').then(
        () => undefined,
        (e: unknown) => e,
      )) as grpc.ServiceError | undefined;
      expect(err?.code, `${label}: ${err?.details}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err!.details, label).toMatch(/^paths /);
    }
    // a restore's size is only ever a count of bytes
    for (const size of ['-1', '9007199254740993']) {
      const err = (await attempt({ rpc: 'RestoreSource', to: () => toTgt, req: () => ({ backup_id: ID, entry, ...receiver, expected_bytes: size }), field: 'expected_bytes', streaming: true }, '').then(
        () => undefined,
        (e: unknown) => e,
      )) as grpc.ServiceError | undefined;
      expect(err?.code, `${size}: ${err?.details}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err!.details, size).toMatch(/^expected_bytes /);
    }
    for (const dir of ['/etc', join(root, 'src-1'), '/']) {
      await expect(
        call(toSrc, 'OpenReceive', { backup_id: ID, source: 'src-1', peer: 'tgt', direction: 'DIRECTION_RESTORE', entry, to_dir: dir, restore_id: 'restore_20240101_000000' }),
        dir,
      ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^to_dir ".*" is not inside any of node src-1's restoreDirs/) });
    }
    // the folder of a backup is no restore's business
    await expect(call(toTgt, 'OpenReceive', { backup_id: ID, source: 'src-1', peer: 'src-1', direction: 'DIRECTION_BACKUP', entry, to_dir: '/etc' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'to_dir is for restores, not backups',
    });
    expect(descendants(src.proc.child.pid!)).toEqual([]);
    expect(descendants(tgt.proc.child.pid!)).toEqual([]);
    expect(treeListing(root)).toEqual(before);
  });
});
