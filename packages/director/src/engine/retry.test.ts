import { describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { runBackup } from './backup.js';
import { newRunRecord } from './records.js';
import { isTransientError, rsyncExitOf, withRetry } from './retry.js';
import type { AgentNode, NodeDescription, Role, TransferStats } from './types.js';

const STATS: TransferStats = { filesTotal: 1, filesTransferred: 1, bytesTotal: 1, bytesTransferred: 1, bytesSent: 1, durationMs: 1, exitCode: 0 };
const rsyncFail = (exit: number) => new FfError('TRANSFER_FAILED', `src-1: rsync to tgt (127.0.0.1:7451) exited with ${exit}: timeout in data send/receive`, { node: 'src-1' });

describe('transient versus permanent errors', () => {
  it('retries only UNAVAILABLE and rsync exits 30/35', () => {
    expect(isTransientError(new FfError('UNAVAILABLE', 'x: connection refused'))).toBe(true);
    expect(isTransientError(rsyncFail(30))).toBe(true);
    expect(isTransientError(rsyncFail(35))).toBe(true);
    expect(rsyncExitOf(rsyncFail(23))).toBe(23);
    expect(isTransientError(rsyncFail(23))).toBe(false);
    expect(isTransientError(rsyncFail(11))).toBe(false);
    expect(isTransientError(new FfError('PERMISSION_DENIED', 'ticket refused'))).toBe(false);
    expect(isTransientError(new FfError('FAILED_PRECONDITION', 'locked'))).toBe(false);
  });

  it('backs off exponentially, bounded, and throws the last error', async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new FfError('UNAVAILABLE', 'down');
      },
      { policy: { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 }, sleep: async (ms) => void delays.push(ms) },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 250]);
    expect((err as FfError).code).toBe('UNAVAILABLE');
  });

  it('fails at once on a permanent error', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw rsyncFail(23);
      },
      { sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as FfError).message).toContain('exited with 23');
  });
});

/** A source, a target: the source's first transfers fail as scripted, then succeed. */
function nodes(failures: FfError[]) {
  const calls: string[] = [];
  const mk = (name: string, roles: Role[]): AgentNode => {
    const desc: NodeDescription = {
      name,
      version: '0.1.0',
      roles,
      dataPort: 1,
      rsyncVersion: '3',
      ...(roles.includes('source') ? { source: { kind: 'btrfs', volume: '/d', entry: `${name}@+d`, pointInTime: true, freeBytes: 1e9 } } : {}),
      ...(roles.includes('target') ? { target: { kind: 'dir', freeBytes: 1e9 } } : {}),
    };
    const log = async (m: string) => void calls.push(`${m}:${name}`);
    return {
      name,
      host: name,
      health: async () => ({ name, version: '0.1.0', roles, ok: true, problems: [], timeUnixMs: Date.now(), frozen: [] }),
      describe: async () => desc,
      freeze: async () => ({ frozen: [], pausedAtMs: 1, leaseExpiresAtMs: 2, renewed: false }),
      thaw: async () => ({ thawed: [], thawedAtMs: 1, wasFrozen: false }),
      prepareSnapshot: async () => ({ entry: `${name}@+d`, durationMs: 1, takenAtMs: 1 }),
      removeSnapshot: async () => (await log('removeSnapshot'), true),
      openReceive: async () => (await log('openReceive'), { ticket: 't', dataPort: 1, expiresAtMs: 0, inplace: false }),
      performRsync: async () => {
        await log('performRsync');
        const f = failures.shift();
        if (f) throw f;
        return STATS;
      },
      tag: async (id) => (await log('tag'), { snapshot: id, durationMs: 1 }),
      listBackups: async () => [],
      activateBackup: async () => [],
      deactivateBackup: async () => false,
      restoreSource: async () => STATS,
      lockTarget: async () => (await log('lockTarget'), { sinceMs: 1, expiresAtMs: 2, renewed: false, takenOverFrom: '' }),
      unlockTarget: async () => (await log('unlockTarget'), true),
      cleanup: async () => ({ removed: [], problems: [] }),
      verifyBackup: async () => ({ ok: true, filesChecked: 0, bad: [], missing: [], hasChecksums: true, poolState: '', problems: [] }),
      deleteBackup: async () => true,
      close() {},
    };
  };
  return { list: [mk('tgt', ['target']), mk('src-1', ['source'])], calls };
}

const run = (list: AgentNode[]) =>
  runBackup(list, {
    deployment: 'd',
    backupId: '20240101_000000',
    leaseMs: 1000,
    concurrency: 1,
    directorVersion: 't',
    record: newRunRecord('backup', '20240101_000000', '20240101_000000', 'd'),
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });

describe('runBackup retries', () => {
  it('retries a timed-out rsync with a new ticket and tags once', async () => {
    const n = nodes([rsyncFail(30), new FfError('UNAVAILABLE', 'src-1: connection reset')]);
    const r = await run(n.list);
    expect(r.record.result).toBe('ok');
    expect(n.calls.filter((c) => c === 'performRsync:src-1')).toHaveLength(3);
    expect(n.calls.filter((c) => c === 'openReceive:tgt')).toHaveLength(3);
    expect(n.calls.filter((c) => c.startsWith('tag'))).toHaveLength(1);
    expect(r.record.warnings.filter((w) => w.includes('retry'))).toHaveLength(2);
  });

  it('gives up after the bounded attempts, nothing tagged, record incomplete', async () => {
    const n = nodes([rsyncFail(30), rsyncFail(30), rsyncFail(35), rsyncFail(30)]);
    const err = (await run(n.list).catch((e: unknown) => e)) as FfError;
    expect(err.code).toBe('TRANSFER_FAILED');
    expect(err.message).toContain('exited with 35');
    expect(n.calls.filter((c) => c === 'performRsync:src-1')).toHaveLength(3);
    expect(n.calls.some((c) => c.startsWith('tag'))).toBe(false);
    expect(n.calls).toContain('unlockTarget:tgt');
  });

  it('does not retry a permanent rsync failure', async () => {
    const n = nodes([rsyncFail(23)]);
    const err = (await run(n.list).catch((e: unknown) => e)) as FfError;
    expect(err.message).toContain('exited with 23');
    expect(n.calls.filter((c) => c === 'performRsync:src-1')).toHaveLength(1);
  });
});
