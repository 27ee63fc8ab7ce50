import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfError, isFfError } from '@freezeframe/common';
import { runBackup } from './backup.js';
import { liveRecord, newRunRecord, readRunRecord } from './core/records.js';
import { restoreSources } from './restore.js';
import type { AgentNode, BackupListing, NodeDescription, Role, SendArgs, StreamOptions, TransferStats } from './core/types.js';

// In-memory nodes that log every call into one shared journal, so the tests can assert the
// order of the phases across the whole deployment and what was undone after a failure.

type Method = 'lockTarget' | 'unlockTarget' | 'cleanup' | 'verifyBackup' | 'health' | 'describe' | 'freeze' | 'thaw' | 'prepareSnapshot' | 'removeSnapshot' | 'openReceive' | 'performRsync' | 'tag' | 'listBackups' | 'activateBackup' | 'deactivateBackup' | 'restoreSource' | 'deleteBackup' | 'receiveResult';

interface FakeSpec {
  name: string;
  roles: Role[];
  pointInTime?: boolean;
  fail?: Partial<Record<Method, FfError>>;
}

const STATS: TransferStats = { filesTotal: 10, filesTransferred: 4, bytesTotal: 1000, bytesTransferred: 400, bytesSent: 450, durationMs: 5, exitCode: 0 };

function deployment(specs: FakeSpec[]) {
  const journal: string[] = [];
  const frozen = new Set<string>();
  const snapshots = new Set<string>();
  let tagged: { id: string; manifest: string; entries: string[] } | undefined;
  const tick = () => new Promise((r) => setTimeout(r, 1));
  const nodes: AgentNode[] = specs.map((s) => {
    const call = async (m: Method, extra = '') => {
      journal.push(`${m}:${s.name}${extra}`);
      await tick();
      const f = s.fail?.[m];
      if (f) throw f;
    };
    const desc: NodeDescription = {
      name: s.name,
      version: '0.1.0',
      roles: s.roles,
      dataPort: 7451,
      rsyncVersion: '3.2.7',
      ...(s.roles.includes('source') ? { source: { kind: s.pointInTime === false ? 'dir' : 'btrfs', volume: '/data', entry: `${s.name}@+data`, pointInTime: s.pointInTime ?? true, freeBytes: 1e9 } } : {}),
      ...(s.roles.includes('target') ? { target: { kind: 'zfs', freeBytes: 1e12 } } : {}),
      ...(s.roles.includes('freeze') ? { freeze: { kind: 'docker' } } : {}),
      ...(s.roles.includes('target') ? { features: ['restore-paths'] } : {}),
    };
    const node: AgentNode = {
      name: s.name,
      host: `${s.name}.example`,
      async health() {
        await call('health');
        return { name: s.name, version: '0.1.0', roles: s.roles, ok: true, problems: [], timeUnixMs: Date.now(), frozen: [] };
      },
      async describe() {
        await call('describe');
        return desc;
      },
      async freeze() {
        await call('freeze');
        frozen.add(s.name);
        return { frozen: ['app'], pausedAtMs: Date.now(), leaseExpiresAtMs: Date.now() + 30_000, renewed: false };
      },
      async thaw() {
        await call('thaw');
        frozen.delete(s.name);
        return { thawed: ['app'], thawedAtMs: Date.now(), wasFrozen: true };
      },
      async prepareSnapshot() {
        await call('prepareSnapshot');
        snapshots.add(s.name);
        return { entry: desc.source!.entry, durationMs: 1, takenAtMs: Date.now() };
      },
      async removeSnapshot() {
        await call('removeSnapshot');
        return snapshots.delete(s.name);
      },
      async openReceive(a) {
        await call('openReceive', `<-${a.peer}`);
        return { ticket: `t-${a.source}`, dataPort: 7451, expiresAtMs: Date.now() + 60_000, inplace: true };
      },
      async receiveResult() {
        await call('receiveResult');
        return { state: 'done', exitCode: 0, ok: true, message: '', notStored: [], notStoredTotal: 0 };
      },
      async performRsync(a: SendArgs, o?: StreamOptions) {
        await call('performRsync', `->${a.receiverName}@${a.receiverHost}:${a.receiverDataPort}`);
        o?.onProgress?.({ bytes: 500, percent: 50, rate: '1MB/s', filesChecked: 5 });
        return STATS;
      },
      async tag(id, manifest, entries) {
        await call('tag');
        tagged = { id, manifest: manifest.json, entries };
        return { snapshot: `backup/current@${id}`, durationMs: 1 };
      },
      async listBackups(): Promise<BackupListing[]> {
        await call('listBackups');
        return [
          { id: '20240101_000000', createdMs: 1, entries: specs.filter((x) => x.roles.includes('source')).map((x) => `${x.name}@+data`), usedBytes: 1, manifest: {}, complete: true },
          { id: '20240102_000000', createdMs: 2, entries: specs.filter((x) => x.roles.includes('source')).map((x) => `${x.name}@+data`), usedBytes: 1, manifest: {}, complete: true },
          { id: '20240103_000000', createdMs: 3, entries: [], usedBytes: 1, manifest: {}, complete: false },
        ];
      },
      async activateBackup(id) {
        await call('activateBackup', ` ${id}`);
        return specs.filter((x) => x.roles.includes('source')).map((x) => `${x.name}@+data`);
      },
      async deactivateBackup(id) {
        await call('deactivateBackup', ` ${id}`);
        return true;
      },
      async restoreSource(a) {
        await call('restoreSource', `->${a.receiverName}${a.expectedBytes ? ` expecting ${a.expectedBytes} B` : ''}`);
        return STATS;
      },
      async lockTarget() {
        await call('lockTarget');
        return { sinceMs: Date.now(), expiresAtMs: Date.now() + 90_000, renewed: false, takenOverFrom: '' };
      },
      async unlockTarget() {
        await call('unlockTarget');
        return true;
      },
      async cleanup() {
        await call('cleanup');
        return { removed: [], problems: [] };
      },
      async verifyBackup() {
        await call('verifyBackup');
        return { ok: true, filesChecked: 1, bad: [], missing: [], hasChecksums: true, poolState: '', problems: [] };
      },
      async deleteBackup(id) {
        await call('deleteBackup', ` ${id}`);
        return true;
      },
      close() {},
    };
    return node;
  });
  return { nodes, journal, frozen, snapshots, tagged: () => tagged };
}

const SPECS: FakeSpec[] = [
  { name: 'target', roles: ['target'] },
  { name: 'web-1', roles: ['source', 'freeze'] },
  { name: 'db-1', roles: ['source', 'freeze'] },
  { name: 'manager', roles: ['freeze'] },
];

function withFailure(node: string, method: Method, code: FfError['code'] = 'COMMAND_FAILED'): FakeSpec[] {
  return SPECS.map((s) => (s.name === node ? { ...s, fail: { [method]: new FfError(code, `${node}: ${method} broke`, { node }) } } : s));
}

async function backup(specs: FakeSpec[], leaseMs = 30_000) {
  const d = deployment(specs);
  const record = newRunRecord('backup', '20240101_120000', '20240101_120000', 'uat');
  const events: string[] = [];
  const result = runBackup(d.nodes, {
    deployment: 'uat',
    backupId: '20240101_120000',
    leaseMs,
    concurrency: 1,
    directorVersion: 'test',
    record,
    onEvent: (e) => {
      if (e.type === 'phase-start') events.push(e.phase);
    },
  });
  return { ...d, record, events, result };
}

const first = (j: string[], prefix: string) => j.findIndex((x) => x.startsWith(prefix));
const last = (j: string[], prefix: string) => j.length - 1 - [...j].reverse().findIndex((x) => x.startsWith(prefix));
const count = (j: string[], prefix: string) => j.filter((x) => x.startsWith(prefix)).length;

describe('runBackup phase order', () => {
  it('runs preflight, freeze, snapshot, thaw, transfer, tag, release in that order', async () => {
    const b = await backup(SPECS);
    const r = await b.result;
    const j = b.journal;
    expect(r.snapshot).toBe('backup/current@20240101_120000');
    expect(b.events).toEqual(['preflight', 'freeze', 'snapshot', 'thaw', 'transfer', 'tag', 'release']);
    expect(last(j, 'describe')).toBeLessThan(first(j, 'freeze'));
    expect(last(j, 'freeze')).toBeLessThan(first(j, 'prepareSnapshot'));
    expect(last(j, 'prepareSnapshot')).toBeLessThan(first(j, 'thaw'));
    expect(last(j, 'thaw')).toBeLessThan(first(j, 'openReceive'));
    expect(last(j, 'performRsync')).toBeLessThan(first(j, 'tag'));
    expect(last(j, 'tag')).toBeLessThan(first(j, 'removeSnapshot'));
    expect(count(j, 'freeze')).toBe(3);
    expect(count(j, 'thaw')).toBe(3);
    expect(count(j, 'removeSnapshot')).toBe(2);
    // the ticket comes from the target, the source sends to the target's inventory host
    expect(j).toContain('openReceive:target<-web-1');
    expect(j).toContain('performRsync:web-1->target@target.example:7451');
    expect(b.frozen.size).toBe(0);
    expect(b.snapshots.size).toBe(0);
    expect(b.record.result).toBe('ok');
    expect(b.record.freezeWindow?.hosts.sort()).toEqual(['db-1', 'manager', 'web-1']);
    expect(b.record.freezeWindow?.heldThroughTransfer).toBe(false);
    expect(b.record.bytesTotal).toBe(2000);
    const manifest = JSON.parse(b.tagged()!.manifest);
    expect(manifest.sources.map((s: { name: string }) => s.name)).toEqual(['web-1', 'db-1']);
    expect(manifest.bytes).toBe(2000);
    expect(b.tagged()!.entries).toEqual(['web-1@+data', 'db-1@+data']);
  });

  it('transfers one source at a time by default', async () => {
    const b = await backup(SPECS);
    await b.result;
    const j = b.journal.filter((x) => x.startsWith('openReceive') || x.startsWith('performRsync'));
    expect(j.map((x) => x.split(':')[0])).toEqual(['openReceive', 'performRsync', 'openReceive', 'performRsync']);
  });

  it('holds (and renews) the freeze through the transfers when a source cannot snapshot', async () => {
    const specs = SPECS.map((s) => (s.name === 'db-1' ? { ...s, pointInTime: false } : s));
    const d = deployment(specs);
    // slow transfers so the renewal timer fires
    for (const n of d.nodes) {
      const orig = n.performRsync.bind(n);
      n.performRsync = async (a, o) => {
        await new Promise((r) => setTimeout(r, 60));
        return orig(a, o);
      };
    }
    const record = newRunRecord('backup', '20240101_120000', '20240101_120000', 'uat');
    await runBackup(d.nodes, { deployment: 'uat', backupId: '20240101_120000', leaseMs: 30_000, concurrency: 1, directorVersion: 't', record, renewEveryMs: 20 });
    const j = d.journal;
    expect(first(j, 'thaw')).toBeGreaterThan(last(j, 'performRsync'));
    expect(first(j, 'thaw')).toBeLessThan(first(j, 'tag'));
    expect(count(j, 'freeze')).toBeGreaterThan(3); // renewals
    expect(record.freezeWindow?.heldThroughTransfer).toBe(true);
  });

  it('writes its live record before the first pause and not again until the thaw is done (the freeze window waits on no disk)', async () => {
    const d = deployment(SPECS);
    const stateDir = mkdtempSync(join(tmpdir(), 'ff-live-'));
    const record = newRunRecord('backup', '20240101_120000', '20240101_120000', 'uat');
    const live = liveRecord(stateDir, record);
    // what `freezeframe status` would read from disk at each call
    const seen: string[] = [];
    const onDisk = () => readRunRecord(stateDir, record.id)?.progress?.phase ?? 'none';
    for (const n of d.nodes) {
      for (const m of ['freeze', 'prepareSnapshot', 'thaw', 'performRsync'] as const) {
        const orig = (n[m] as (...a: unknown[]) => Promise<unknown>).bind(n);
        (n as unknown as Record<string, unknown>)[m] = async (...a: unknown[]) => {
          seen.push(`${m}:${onDisk()}`);
          return orig(...a);
        };
      }
    }
    try {
      await runBackup(d.nodes, { deployment: 'uat', backupId: record.id, leaseMs: 30_000, concurrency: 1, directorVersion: 't', record, onEvent: live.sink });
    } finally {
      live.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
    expect(new Set(seen.filter((x) => !x.startsWith('performRsync')))).toEqual(new Set(['freeze:freeze', 'prepareSnapshot:freeze', 'thaw:freeze']));
    // the window closed after the thaw: the transfers are current again
    expect(seen.filter((x) => x.startsWith('performRsync'))).toEqual(['performRsync:transfer', 'performRsync:transfer']);
  });
});

describe('runBackup failure paths: always thaw and remove snapshots, never tag', () => {
  const cases: Array<[string, string, Method, FfError['code']]> = [
    ['a failing freeze', 'manager', 'freeze', 'FREEZE_FAILED'],
    ['a failing snapshot on one node', 'db-1', 'prepareSnapshot', 'SNAPSHOT_FAILED'],
    ['a failing transfer', 'web-1', 'performRsync', 'TRANSFER_FAILED'],
    ['a failing ticket', 'target', 'openReceive', 'TRANSFER_FAILED'],
    ['a failing tag', 'target', 'tag', 'TARGET_FAILED'],
  ];
  for (const [what, node, method, code] of cases) {
    it(`${what} (${node}.${method})`, async () => {
      const b = await backup(withFailure(node, method));
      const err = await b.result.catch((e: unknown) => e);
      expect(isFfError(err)).toBe(true);
      const e = err as FfError;
      expect(e.code).toBe(code);
      expect(e.message).toContain(node);
      expect(e.message).toContain(`${method} broke`);
      const j = b.journal;
      expect(count(j, 'tag')).toBe(method === 'tag' ? 1 : 0);
      expect(b.frozen.size).toBe(0);
      expect(b.snapshots.size).toBe(0);
      expect(count(j, 'thaw')).toBe(3);
      // point-in-time sources: the thaw comes right after the snapshots, failed or not
      if (method === 'freeze' || method === 'prepareSnapshot') expect(last(j, 'thaw')).toBeGreaterThan(last(j, method));
      if (method === 'freeze') {
        expect(count(j, 'prepareSnapshot')).toBe(0);
      } else {
        expect(count(j, 'removeSnapshot')).toBe(2);
        expect(first(j, 'removeSnapshot')).toBeGreaterThan(last(j, method));
      }
      // once the transfer started, the untagged run is recorded incomplete, naming what is missing
      const started = method === 'performRsync' || method === 'openReceive' || method === 'tag';
      expect(b.record.result).toBe(started ? 'incomplete' : 'failed');
      if (method === 'tag') expect(b.record.missingSources).toEqual(['web-1', 'db-1']);
      if (method === 'performRsync' || method === 'openReceive') expect(b.record.missingSources).toContain('web-1');
      if (started) expect(e.hint).toContain('backup --resume 20240101_120000');
      expect(b.record.error?.code).toBe(code);
    });
  }

  it('a failing transfer while the freeze is held (dir source) thaws after the failure', async () => {
    const specs = withFailure('web-1', 'performRsync').map((s) => (s.name === 'db-1' ? { ...s, pointInTime: false } : s));
    const b = await backup(specs);
    const e = (await b.result.catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('TRANSFER_FAILED');
    const j = b.journal;
    expect(first(j, 'thaw')).toBeGreaterThan(first(j, 'performRsync'));
    expect(count(j, 'thaw')).toBe(3);
    expect(count(j, 'tag')).toBe(0);
    expect(b.frozen.size).toBe(0);
    expect(b.snapshots.size).toBe(0);
  });

  it('stops in preflight, before anything is paused, when a node is unreachable', async () => {
    const b = await backup(withFailure('db-1', 'health', 'UNAVAILABLE'));
    const e = (await b.result.catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('db-1');
    expect(count(b.journal, 'freeze')).toBe(0);
    expect(count(b.journal, 'prepareSnapshot')).toBe(0);
  });

  it('stops in preflight when there is no target', async () => {
    const b = await backup(SPECS.filter((s) => s.name !== 'target'));
    const e = (await b.result.catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toContain('no node has the target role');
    expect(count(b.journal, 'freeze')).toBe(0);
  });

  it('cleans up when a held freeze cannot be renewed', async () => {
    const specs = SPECS.map((s) => (s.name === 'db-1' ? { ...s, pointInTime: false } : s));
    const d = deployment(specs);
    let freezes = 0;
    const mgr = d.nodes.find((n) => n.name === 'manager')!;
    const orig = mgr.freeze.bind(mgr);
    mgr.freeze = async (id, lease) => {
      if (++freezes > 1) throw new FfError('UNAVAILABLE', 'manager: gone', { node: 'manager' });
      return orig(id, lease);
    };
    for (const n of d.nodes) {
      const o = n.performRsync.bind(n);
      n.performRsync = async (a, opts) => {
        await new Promise((r) => setTimeout(r, 80));
        return o(a, opts);
      };
    }
    const record = newRunRecord('backup', '20240101_120000', '20240101_120000', 'uat');
    const e = (await runBackup(d.nodes, { deployment: 'uat', backupId: '20240101_120000', leaseMs: 30_000, concurrency: 1, directorVersion: 't', record, renewEveryMs: 20 }).catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('FREEZE_FAILED');
    expect(e.message).toContain('manager');
    expect(count(d.journal, 'tag')).toBe(0);
    expect(d.snapshots.size).toBe(0);
    expect(d.frozen.size).toBe(0);
  });

  it('does not tag when an agent ended a held freeze at its cap after the last renewal', async () => {
    const specs = SPECS.map((s) => (s.name === 'db-1' ? { ...s, pointInTime: false } : s));
    const d = deployment(specs);
    const mgr = d.nodes.find((n) => n.name === 'manager')!;
    const orig = mgr.freeze.bind(mgr);
    let freezes = 0;
    mgr.freeze = async (id, lease) => {
      if (++freezes > 1) throw new FfError('FREEZE_FAILED', `freeze of backup ${id} reached this agent's total freeze cap freezeMaxTotal (600 s) and was thawed`);
      return orig(id, lease);
    };
    const record = newRunRecord('backup', '20240101_120000', '20240101_120000', 'uat');
    // renewals far apart: the transfer ends before the first one
    const e = (await runBackup(d.nodes, { deployment: 'uat', backupId: '20240101_120000', leaseMs: 30_000, concurrency: 1, directorVersion: 't', record, renewEveryMs: 60_000 }).catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('FREEZE_FAILED');
    expect(e.message).toMatch(/manager: freeze of backup 20240101_120000 reached this agent's total freeze cap freezeMaxTotal/);
    expect(count(d.journal, 'tag')).toBe(0);
    expect(d.frozen.size).toBe(0);
  });
});

describe('restoreSources', () => {
  it('restores latest complete backup, all sources, one at a time, and deactivates', async () => {
    const d = deployment(SPECS);
    const record = newRunRecord('restore', 'restore_x', 'latest', 'uat');
    const r = await restoreSources(d.nodes, { backup: 'latest', record });
    expect(r.backupId).toBe('20240102_000000');
    expect(r.restored).toEqual(['web-1', 'db-1']);
    const j = d.journal;
    expect(j).toContain('openReceive:web-1<-target');
    expect(j).toContain('restoreSource:target->web-1');
    expect(first(j, 'activateBackup')).toBeLessThan(first(j, 'restoreSource'));
    expect(last(j, 'deactivateBackup')).toBeGreaterThan(last(j, 'restoreSource'));
    expect(record.warnings).toEqual([]);
  });

  it('warns about a partial restore with --only and deactivates after a failure', async () => {
    const d = deployment(withFailure('target', 'restoreSource', 'COMMAND_FAILED'));
    const record = newRunRecord('restore', 'restore_x', '20240101_000000', 'uat');
    const e = (await restoreSources(d.nodes, { backup: '20240101_000000', only: ['db-1'], record }).catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('RESTORE_FAILED');
    expect(record.warnings.join('\n')).toMatch(/partial restore: 1 of 2 sources; web-1/);
    expect(count(d.journal, 'deactivateBackup')).toBe(1);
  });

  it("tells the target each whole entry's size by the manifest, and none for a partial restore", async () => {
    const d = deployment(SPECS);
    const target = d.nodes.find((n) => n.name === 'target')!;
    const orig = target.listBackups.bind(target);
    // the newest backup's manifest knows web-1's size, not db-1's
    target.listBackups = async () => (await orig()).map((b) => (b.id === '20240102_000000' ? { ...b, manifest: { sources: [{ name: 'web-1', entry: 'web-1@+data', bytes: 123_456 }, { name: 'db-1', entry: 'db-1@+data' }] } } : b));
    await restoreSources(d.nodes, { backup: 'latest', record: newRunRecord('restore', 'restore_x', 'latest', 'uat') });
    expect(d.journal).toContain('restoreSource:target->web-1 expecting 123456 B');
    expect(d.journal).toContain('restoreSource:target->db-1');
    // --path sends part of the entry: no size to expect
    await restoreSources(d.nodes, { backup: 'latest', only: ['web-1'], paths: ['etc'], record: newRunRecord('restore', 'restore_y', 'latest', 'uat') });
    expect(d.journal.filter((l) => l.startsWith('restoreSource:'))).toEqual(['restoreSource:target->web-1 expecting 123456 B', 'restoreSource:target->db-1', 'restoreSource:target->web-1']);
  });

  it('refuses an unknown --only source', async () => {
    const d = deployment(SPECS);
    const record = newRunRecord('restore', 'restore_x', 'latest', 'uat');
    const e = (await restoreSources(d.nodes, { backup: 'latest', only: ['nope'], record }).catch((x: unknown) => x)) as FfError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(count(d.journal, 'activateBackup')).toBe(0);
  });
});

describe('runBackup retention (phase 8)', () => {
  const ID = '20240101_120000';
  const policy = { last: 1, daily: 0, weekly: 0, monthly: 0 };
  /** The fake target lists two older complete backups; this adds the one the run tags. */
  function withTagged(specs: FakeSpec[]) {
    const d = deployment(specs);
    const target = d.nodes.find((n) => n.name === 'target')!;
    const orig = target.listBackups.bind(target);
    // the run's own backup appears once it is tagged
    const own = { id: ID, createdMs: 4, entries: [], usedBytes: 7, manifest: { deployment: 'uat' }, complete: true };
    target.listBackups = async () => [...(await orig()), ...(d.journal.some((j) => j.startsWith('tag:')) ? [own] : [])];
    return d;
  }
  const run = (d: ReturnType<typeof deployment>) =>
    runBackup(d.nodes, { deployment: 'uat', backupId: ID, leaseMs: 30_000, concurrency: 1, directorVersion: 't', record: newRunRecord('backup', ID, ID, 'uat'), retention: policy });

  it('prunes after tag and release, under the lock, never the backup it just made, and records why', async () => {
    const d = withTagged(SPECS);
    const r = await run(d);
    const j = d.journal;
    expect(r.record.result).toBe('ok');
    // 20240102 is the newest and kept; the run's own (older) backup is protected
    expect(j.filter((x) => x.startsWith('deleteBackup'))).toEqual(['deleteBackup:target 20240101_000000']);
    expect(last(j, 'removeSnapshot')).toBeLessThan(first(j, 'deleteBackup'));
    expect(last(j, 'tag')).toBeLessThan(last(j, 'listBackups'));
    expect(first(j, 'deleteBackup')).toBeLessThan(last(j, 'unlockTarget'));
    expect(r.record.phases.map((p) => p.phase).slice(-2)).toEqual(['release', 'retention']);
    const ret = r.record.retention!;
    expect(ret.pruned).toEqual([{ id: '20240101_000000', why: expect.stringContaining('not among the newest 1'), usedBytes: 1 }]);
    expect(ret.kept.find((k) => k.id === ID)!.reasons).toEqual(['this run']);
    expect(ret.kept.map((k) => k.id)).toContain('20240102_000000');
    expect(ret.failed).toEqual([]);
  });

  it('runs no retention when the backup failed', async () => {
    const d = withTagged(withFailure('target', 'tag'));
    await expect(run(d)).rejects.toThrow(/tag/);
    expect(count(d.journal, 'deleteBackup')).toBe(0);
    // once, before the freeze (each source's basis); none for retention
    expect(count(d.journal, 'listBackups')).toBe(1);
  });

  it('a refused deletion is a warning; the backup is still ok', async () => {
    const specs = SPECS.map((s) => (s.name === 'target' ? { ...s, fail: { deleteBackup: new FfError('FAILED_PRECONDITION', 'target: backup 20240101_000000 is activated') } } : s));
    const d = withTagged(specs);
    const r = await run(d);
    expect(r.record.result).toBe('ok');
    expect(r.record.retention!.failed).toEqual([{ id: '20240101_000000', error: expect.stringContaining('is activated') }]);
    expect(r.record.warnings.join('\n')).toContain('20240101_000000 not deleted');
  });

  it('a failed listing skips retention with a warning', async () => {
    const d = withTagged(SPECS);
    const target = d.nodes.find((n) => n.name === 'target')!;
    const orig = target.listBackups.bind(target);
    // the listing before the freeze works; the one for retention, after the tag, fails
    target.listBackups = async () => {
      if (d.journal.some((j) => j.startsWith('tag:'))) throw new FfError('UNAVAILABLE', 'target: listBackups broke');
      return orig();
    };
    const r = await run(d);
    expect(r.record.result).toBe('ok');
    expect(r.record.retention).toBeUndefined();
    expect(r.record.warnings.join('\n')).toMatch(/retention skipped.*listBackups broke/);
  });
});
