import { describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { runBackup } from './backup.js';
import { newRunRecord } from './core/records.js';
import { isTransientError, rsyncExitOf, withRetry } from './core/retry.js';
import type { AgentNode, NodeDescription, ReceiveVerdict, Role, TransferStats } from './core/types.js';

const STATS: TransferStats = { filesTotal: 1, filesTransferred: 1, bytesTotal: 1, bytesTransferred: 1, bytesSent: 1, durationMs: 1, exitCode: 0 };
/** A transfer failure as the director's client rebuilds it: the exit code in details (from the error trailer). */
const rsyncFail = (exit: number) =>
  new FfError('TRANSFER_FAILED', `src-1: rsync to tgt (127.0.0.1:7451) exited with ${exit}: timeout in data send/receive`, {
    node: 'src-1',
    details: { exitCode: exit, receiver: 'tgt', grpcStatus: 'INTERNAL' },
  });

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

  it('reads the exit code from details only, never from the message', () => {
    // an older agent's error: the exit code only in the text, so it is not known and not retried
    const textOnly = new FfError('TRANSFER_FAILED', 'src-1: rsync to tgt (127.0.0.1:7451) exited with 30: timeout', { node: 'src-1' });
    expect(rsyncExitOf(textOnly)).toBeUndefined();
    expect(isTransientError(textOnly)).toBe(false);
    // details win over a message that says otherwise
    const both = new FfError('TRANSFER_FAILED', 'src-1: rsync to tgt exited with 23', { details: { exitCode: 35 } });
    expect(rsyncExitOf(both)).toBe(35);
    expect(isTransientError(both)).toBe(true);
    for (const exitCode of ['30', 30.5, null, Number.NaN, { n: 30 }]) {
      expect(rsyncExitOf(new FfError('TRANSFER_FAILED', 'x', { details: { exitCode } }))).toBeUndefined();
    }
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

/**
 * A source, a target: the source's first transfers fail as scripted, then succeed. The target's
 * receiving side ends as `verdicts` says (then ok); the first pass reports `recheck` files.
 */
function nodes(failures: FfError[], o: { verdicts?: ReceiveVerdict[]; recheck?: number; tagged?: string[]; sentPages?: number; tagError?: FfError; deep?: boolean } = {}) {
  const calls: string[] = [];
  const verdicts = [...(o.verdicts ?? [])];
  const mk = (name: string, roles: Role[]): AgentNode => {
    const desc: NodeDescription = {
      name,
      version: '0.1.0',
      roles,
      dataPort: 1,
      rsyncVersion: '3',
      ...(o.sentPages !== undefined ? { features: ['sent-checksums'] } : {}),
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
      openReceive: async (a) => (await log(`openReceive${a.recheck ? '(recheck)' : ''}`), { ticket: 't', dataPort: 1, expiresAtMs: 0, inplace: false }),
      receiveResult: async () => (await log('receiveResult'), verdicts.shift() ?? { state: 'done', exitCode: 0, ok: true, message: '', notStored: [], notStoredTotal: 0 }),
      performRsync: async (a) => {
        await log(`performRsync${a.recheck ? '(recheck)' : ''}${a.deep ? '(deep)' : ''}${a.sentChecksums ? '(sent)' : ''}${a.previousBackupId ? `<${a.previousBackupId}` : ''}`);
        const f = failures.shift();
        if (f) throw f;
        return { ...STATS, recheckFiles: a.recheck ? 0 : (o.recheck ?? 0), ...(a.deep ? { contentOnly: 3 } : {}) };
      },
      tag: async (id, _m, entries, opts) => {
        await log(`tag${opts?.requireSentChecksums ? '(require)' : ''}`);
        if (o.tagError) throw o.tagError;
        return { snapshot: id, durationMs: 1, sentChecked: 5 };
      },
      sentChecksums: async (_id, entry, offset) => {
        await log(`sentChecksums(${entry}@${offset})`);
        const last = offset + 1 >= (o.sentPages ?? 1);
        return { chunk: Buffer.from(`${'0'.repeat(32)} f${offset}\n`), nextOffset: offset + 1, eof: last, algorithm: 'xxh128' };
      },
      addSentChecksums: async (_id, entry, offset, page) => (await log(`addSentChecksums(${entry}@${offset}${page.eof ? ',eof' : ''})`), offset + 1),
      listBackups: async () => (o.tagged ?? []).map((id) => ({ id, createdMs: 1, entries: ['src-1@+d'], usedBytes: 1, manifest: {}, complete: true })),
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
    expect(n.calls.filter((c) => c === 'openReceive(recheck):tgt')).toHaveLength(3);
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

  it('fails when the receiving rsync could not store files, though the sender said ok; names them; tags nothing', async () => {
    const n = nodes([], {
      verdicts: [
        {
          state: 'done',
          exitCode: 23,
          ok: false,
          message: 'rsync exited with 23',
          notStored: [{ path: 'db/own', class: 'owners', message: 'chown "/t/db/own" failed: Invalid argument (22)', allowed: false }],
          notStoredTotal: 1,
        },
      ],
    });
    const err = (await run(n.list).catch((e: unknown) => e)) as FfError;
    expect(err.code).toBe('TRANSFER_FAILED');
    expect(err.message).toMatch(/tgt could not store 1 file\(s\) or attribute\(s\):\n\s+db\/own: chown/);
    expect(err.hint).toMatch(/target.unsupported: \[owners\]/);
    expect(n.calls.some((c) => c.startsWith('tag'))).toBe(false);
    expect(n.calls.filter((c) => c === 'performRsync:src-1')).toHaveLength(1);
  });

  it('an allowed loss is recorded in the manifest, not a failure', async () => {
    const n = nodes([], {
      verdicts: [{ state: 'done', exitCode: 23, ok: true, message: '', notStored: [{ path: 'x', class: 'xattrs', message: 'fsetxattr failed', allowed: true }], notStoredTotal: 1 }],
    });
    const r = await run(n.list);
    expect(r.record.transfers['src-1']!.notHeld).toEqual({ classes: { xattrs: 1 }, total: 1, examples: ['x (xattrs)'] });
    expect(r.record.warnings.join('\n')).toMatch(/does not hold 1 xattrs/);
  });

  it('compares by content what the quick check cannot tell apart: a second pass after the first reports files', async () => {
    const n = nodes([], { recheck: 2, tagged: ['20231231_000000'] });
    const r = await run(n.list);
    expect(n.calls.filter((c) => c.startsWith('openReceive') || c.startsWith('performRsync') || c.startsWith('receiveResult'))).toEqual([
      'openReceive:tgt',
      'performRsync<20231231_000000:src-1',
      'receiveResult:tgt',
      'openReceive(recheck):tgt',
      'performRsync(recheck)<20231231_000000:src-1',
      'receiveResult:tgt',
    ]);
    expect(r.record.transfers['src-1']!.rechecked).toBe(2);
  });

  it('with no earlier backup the first pass compares every file by content, and no second pass runs', async () => {
    const n = nodes([], { recheck: 0 });
    await run(n.list);
    expect(n.calls.filter((c) => c.startsWith('openReceive') || c.startsWith('performRsync'))).toEqual(['openReceive(recheck):tgt', 'performRsync:src-1']);
  });

  it('refuses, before anything is paused, a backup id the target already holds', async () => {
    const n = nodes([], { tagged: ['20240101_000000'] });
    const err = (await run(n.list).catch((e: unknown) => e)) as FfError;
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(`${err.message} ${err.hint ?? ''}`).not.toMatch(/--resume/);
    expect(n.calls.some((c) => c.startsWith('performRsync'))).toBe(false);
  });

  it('does not retry a permanent rsync failure', async () => {
    const n = nodes([rsyncFail(23)]);
    const err = (await run(n.list).catch((e: unknown) => e)) as FfError;
    expect(err.message).toContain('exited with 23');
    expect(n.calls.filter((c) => c === 'performRsync:src-1')).toHaveLength(1);
  });
});

describe('end-to-end fidelity and --deep in runBackup', () => {
  it('copies the sender\'s list page by page to the target and requires it at the tag', async () => {
    const n = nodes([], { sentPages: 3 });
    const r = await run(n.list);
    expect(n.calls).toContain('performRsync(sent):src-1');
    expect(n.calls.filter((c) => /Checksums|^tag/.test(c))).toEqual([
      'sentChecksums(src-1@+d@0):src-1',
      'addSentChecksums(src-1@+d@0):tgt',
      'sentChecksums(src-1@+d@1):src-1',
      'addSentChecksums(src-1@+d@1):tgt',
      'sentChecksums(src-1@+d@2):src-1',
      'addSentChecksums(src-1@+d@2,eof):tgt',
      'tag(require):tgt',
    ]);
    expect(r.record.fidelity).toEqual({ files: 5, sources: ['src-1'] });
  });

  it('an older agent is not compared: a warning names it, and the tag does not require lists', async () => {
    const n = nodes([]);
    const r = await run(n.list);
    // the sender does not itemize either: an older receiver refuses --log-format
    expect(n.calls).toContain('performRsync:src-1');
    expect(n.calls.some((c) => c.includes('Checksums'))).toBe(false);
    expect(n.calls).toContain('tag:tgt');
    expect(r.record.warnings.join('\n')).toMatch(/src-1: the sender's checksums are not compared with what landed \(src-1 is an older agent\)/);
    expect(r.record.fidelity).toBeUndefined();
  });

  it('a refused tag keeps FIDELITY_FAILED and names the source and its node', async () => {
    const refusal = new FfError('FIDELITY_FAILED', 'tgt: src-1@+d: 1 of 2 file(s) sent differ on the target from what the sender read: a/b', {
      node: 'tgt',
      details: { entry: 'src-1@+d', files: ['a/b'], count: 1, checked: 2 },
    });
    const n = nodes([], { sentPages: 1, tagError: refusal });
    const err = (await run(n.list).catch((e: unknown) => e)) as FfError;
    expect(err.code).toBe('FIDELITY_FAILED');
    expect(err.message).toMatch(/^tag refused on tgt: source src-1 \(node src-1\), entry src-1@\+d: 1 of 2 file\(s\) sent differ .*: a\/b/);
    expect(err.details).toMatchObject({ files: ['a/b'], count: 1, source: 'src-1', sourceNode: 'src-1' });
  });

  it('--deep asks every transfer to compare by content and counts what it found', async () => {
    const n = nodes([], { tagged: ['20231231_000000'], recheck: 2 });
    const r = await runBackup(n.list, {
      deployment: 'd',
      backupId: '20240101_000000',
      leaseMs: 1000,
      concurrency: 1,
      directorVersion: 't',
      record: newRunRecord('backup', '20240101_000000', '20240101_000000', 'd'),
      deep: true,
    });
    expect(n.calls.filter((c) => c.startsWith('performRsync'))[0]).toBe('performRsync(deep)<20231231_000000:src-1');
    expect(r.record.deep).toEqual({ contentOnly: 3 });
    expect(r.record.transfers['src-1']!.contentOnly).toBe(3);
  });
});

