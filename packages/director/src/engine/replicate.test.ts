import { describe, expect, it } from 'vitest';
import { FfError, inventorySchema } from '@freezeframe/common';
import { gatherMetrics, metricsText } from './core/metrics.js';
import type { Ctx } from './core/phases.js';
import { newRunRecord, writeRunRecord } from './core/records.js';
import type { RemoteEntry } from './core/remotes.js';
import { replicateTo, type ReplicaTarget } from './replicate.js';
import type { BackupListing, NodeDescription } from './core/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// replicateTo over in-memory targets: what goes where, in which order, with which base; what is
// refused; and the remote's retention, which never deletes the next stream's base.

const listing = (id: string): BackupListing => ({ id, createdMs: Date.parse(`${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T02:00:00Z`), entries: ['a@+d'], usedBytes: 1, manifest: { deployment: 'prod' }, complete: true });

interface Fake {
  node: ReplicaTarget;
  held: string[];
  calls: string[];
}

function fakeTarget(name: string, held: string[], o: { replicaOf?: string; cutOnce?: string; refuse?: string } = {}): Fake {
  const f: Fake = { held: [...held], calls: [], node: undefined as unknown as ReplicaTarget };
  let lockedBy: string | undefined;
  let pending: { backupId: string; baseId: string } | undefined;
  let cut = o.cutOnce;
  const desc: NodeDescription = { name, version: 'test', roles: ['target'], dataPort: 7451, rsyncVersion: '', target: { kind: 'btrfs', freeBytes: 1 << 30, ...(o.replicaOf ? { replicaOf: o.replicaOf } : {}) } };
  const node = {
    name,
    host: '127.0.0.1',
    describe: async () => desc,
    listBackups: async () => f.held.map(listing),
    lockTarget: async (a: { backupId: string; purpose: string }) => {
      f.calls.push(`lock ${a.purpose} ${a.backupId}`);
      if (lockedBy && lockedBy !== a.backupId) throw new FfError('FAILED_PRECONDITION', `${name}: locked by ${lockedBy}`);
      lockedBy = a.backupId;
      return { sinceMs: 0, expiresAtMs: 0, renewed: false, takenOverFrom: '' };
    },
    unlockTarget: async (id: string) => {
      f.calls.push(`unlock ${id}`);
      lockedBy = undefined;
      return true;
    },
    openReplicaReceive: async (a: { backupId: string; baseId: string; peer: string }) => {
      f.calls.push(`open ${a.backupId} base ${a.baseId || '-'} from ${a.peer}`);
      if (lockedBy !== a.backupId) throw new Error(`open without the lock for ${a.backupId}`);
      pending = { backupId: a.backupId, baseId: a.baseId };
      return { ticket: `t-${a.backupId}`, dataPort: 7451, expiresAtMs: 0, inplace: false, resumeToken: '' };
    },
    receiveResult: async (ticket: string) => {
      if (o.refuse && pending?.backupId === o.refuse) return { state: 'done' as const, exitCode: 1, ok: false, message: 'cannot receive: destination has been modified since most recent snapshot', notStored: [], notStoredTotal: 0 };
      if (pending && ticket === `t-${pending.backupId}`) f.held.push(pending.backupId);
      return { state: 'done' as const, exitCode: 0, ok: true, message: '', notStored: [], notStoredTotal: 0 };
    },
    deleteBackup: async (id: string) => {
      f.calls.push(`delete ${id}`);
      f.held = f.held.filter((h) => h !== id);
      return true;
    },
    replicaSend: async (a: { backupId: string; baseId: string; receiverHost: string; receiverDataPort: number; ticket: string }) => {
      f.calls.push(`send ${a.backupId} base ${a.baseId || '-'} to ${a.receiverHost}:${a.receiverDataPort}`);
      if (cut === a.backupId) {
        cut = undefined;
        throw new FfError('TRANSFER_FAILED', `${name}: the stream was cut`);
      }
      return { filesTotal: 0, filesTransferred: 0, bytesTotal: 100, bytesTransferred: 100, bytesSent: 100, durationMs: 5, exitCode: 0 };
    },
    replicaSize: async () => ({ bytes: 100, how: 'test' }),
  };
  f.node = node as unknown as ReplicaTarget;
  return f;
}

const inv = (retention?: { last: number; daily: number; weekly: number; monthly: number }) =>
  inventorySchema.parse({
    deployment: 'prod',
    tls: { ca: 'a', cert: 'b', key: 'c' },
    nodes: [{ name: 'main', address: '127.0.0.1:1' }],
    retention: { last: 10, daily: 0, weekly: 0, monthly: 0 },
    replicate: { to: [{ name: 'offsite', address: '127.0.0.1:2', ...(retention ? { retention } : {}) }] },
  });

function ctx(): Ctx {
  return { record: newRunRecord('replicate', 'replicate_20260105_000000', '', 'prod'), emit: () => {} };
}

async function run(main: Fake, remote: Fake, i = inv(), c = ctx()) {
  const entries: RemoteEntry[] = i.replicate!.to;
  const remotes = await replicateTo({ inv: i, ctx: c, main: main.node, entries, withRemotes: async (_e, fn) => fn([remote.node]), retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  return { remotes, record: c.record };
}

const D = ['20260101_020000', '20260102_020000', '20260103_020000'];

describe('replicateTo', () => {
  it('sends oldest first, the first full, each next incremental from the one before, each under the remote lock for its id', async () => {
    const main = fakeTarget('main', D);
    const remote = fakeTarget('offsite', [], { replicaOf: 'main' });
    const { remotes } = await run(main, remote);
    expect(remotes[0]).toMatchObject({ remote: 'offsite', ok: true, behind: 0, newest: D[2] });
    expect(remotes[0]!.sent.map((s) => [s.backupId, s.baseId])).toEqual([[D[0], ''], [D[1], D[0]], [D[2], D[1]]]);
    expect(main.calls.filter((c) => c.startsWith('send'))).toEqual([`send ${D[0]} base - to 127.0.0.1:7451`, `send ${D[1]} base ${D[0]} to 127.0.0.1:7451`, `send ${D[2]} base ${D[1]} to 127.0.0.1:7451`]);
    expect(remote.calls.slice(0, 3)).toEqual([`lock backup ${D[0]}`, `open ${D[0]} base - from main`, `unlock ${D[0]}`]);
    // a second run sends nothing
    main.calls = [];
    const again = await run(main, remote);
    expect(again.remotes[0]!.sent).toEqual([]);
    expect(main.calls).toEqual([]);
  });

  it("refuses a remote whose target.replicaOf names another target, naming the config key, and sends nothing", async () => {
    const main = fakeTarget('main', D);
    const remote = fakeTarget('offsite', [], { replicaOf: 'someone-else' });
    const { remotes } = await run(main, remote);
    expect(remotes[0]!.ok).toBe(false);
    expect(remotes[0]!.error?.message).toContain("offsite: its target.replicaOf is 'someone-else', not 'main'");
    expect(main.calls).toEqual([]);
  });

  it('a cut stream is tried once more with a new ticket; a refused stream fails naming the remote, the backup and the cause, and stops there', async () => {
    const main = fakeTarget('main', D);
    const remote = fakeTarget('offsite', [D[0]!], { replicaOf: 'main', refuse: D[2] });
    main.node = fakeTarget('main', D, { cutOnce: D[1] }).node;
    const { remotes, record } = await run(main, remote);
    expect(remotes[0]!.sent.map((s) => s.backupId)).toEqual([D[1]]);
    expect(remotes[0]!.ok).toBe(false);
    expect(remotes[0]!.error?.message).toContain(`replication of backup ${D[2]} (incremental from ${D[1]}) from main to offsite`);
    expect(remotes[0]!.error?.message).toContain('destination has been modified since most recent snapshot');
    expect(remotes[0]!.behind).toBe(1);
    expect(record.warnings.join('\n')).toContain(`replication of backup ${D[1]} (incremental from ${D[0]}) from main to offsite was cut`);
    // the lock is released after the failure: no retention ran (it keeps more after a failure)
    expect(remote.calls.at(-1)).toBe(`unlock ${D[2]}`);
    expect(remote.calls.some((c) => c.startsWith('delete'))).toBe(false);
  });

  it("applies the remote's own retention after sending, never deleting the newest common backup (the next base)", async () => {
    const main = fakeTarget('main', D);
    const remote = fakeTarget('offsite', ['20251201_020000', D[0]!], { replicaOf: 'main' });
    const { remotes } = await run(main, remote, inv({ last: 1, daily: 0, weekly: 0, monthly: 0 }));
    expect(remotes[0]!.ok).toBe(true);
    expect(remote.held.sort()).toEqual([D[2]]);
    expect(remotes[0]!.retention?.pruned.map((p) => p.id).sort()).toEqual(['20251201_020000', D[0], D[1]]);
    expect(remote.calls.filter((c) => c.startsWith('lock prune')).length).toBe(1);
  });

  it('records per remote what the metrics file reports: last success and lag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-replicate-'));
    try {
      const main = fakeTarget('main', D);
      const remote = fakeTarget('offsite', [], { replicaOf: 'main' });
      const { remotes, record } = await run(main, remote);
      record.replicate = { main: 'main', remotes };
      record.result = 'ok';
      record.endedAt = '2026-01-05T00:00:10.000Z';
      writeRunRecord(dir, record);
      const text = await metricsText(gatherMetrics(dir, 'prod'));
      expect(text).toContain('freezeframe_replicate_last_success_timestamp_seconds{deployment="prod",remote="offsite"} 1767571210');
      expect(text).toContain('freezeframe_replicate_lag_backups{deployment="prod",remote="offsite"} 0');
      expect(text).toContain('freezeframe_last_run_success{deployment="prod",kind="replicate"} 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
