import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SentListWriter } from './sent-list.js';
import { SnapshotTimes, filesIn, filesSentIn, stampedHere, withoutSent } from './recheck.js';

const root = mkdtempSync(join(tmpdir(), 'ff-recheck-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tree of files stamped around second 1000: before, edge-in, sub/inside, a non-UTF-8 name, after (and `extra`, in the window). */
function stampedTree(tree: string, extra: string[] = []): void {
  const at = (name: string | Buffer, s: number) => {
    const p = typeof name === 'string' ? join(tree, name) : Buffer.concat([Buffer.from(`${tree}/`), name]);
    writeFileSync(p, 'x');
    utimesSync(p, s, s);
  };
  mkdirSync(join(tree, 'sub'), { recursive: true });
  at('before', 999);
  at('edge-in', 1000);
  at('sub/inside', 1000.6);
  for (const n of extra) at(n, 1000.6);
  at(Buffer.from([0x6f, 0xff]), 1001.2);
  at('after', 1002);
}

describe('the second pass: files the quick check cannot tell apart', () => {
  it('windows cover every snapshot since the previous tagged backup, one second either side', async () => {
    const t = new SnapshotTimes(join(root, 'run'));
    await t.record('20240101_000000', 1_000_000_500, 1_000_000_600);
    await t.record('20240101_000010', 1_000_010_200, 1_000_010_300); // a failed run's snapshot
    await t.record('20240101_000020', 1_000_020_900, 1_000_021_100); // this run's: not a basis
    expect(await t.windows('20240101_000000', '20240101_000020')).toEqual([
      { from: 999_999_000, to: 1_000_002_000, after: 1_000_000_400, backupId: '20240101_000000' },
      { from: 1_000_009_000, to: 1_000_012_000, after: 1_000_010_100, backupId: '20240101_000010' },
    ]);
    // a record lost with the run dir: everything since the previous backup's id, with a margin
    const lost = Date.UTC(2023, 11, 31, 23, 59, 0) - 120_000;
    expect(await t.windows('20231231_235900', '20240101_000020')).toEqual([{ from: lost, to: Number.POSITIVE_INFINITY, after: lost }]);
    // widening a record (a live folder read during its transfer)
    await t.record('20240101_000000', 1_000_000_700, 1_000_005_000);
    expect(await t.windows('20240101_000000', 'x')).toContainEqual({ from: 999_999_000, to: 1_000_006_000, after: 1_000_000_400, backupId: '20240101_000000' });
  });

  it('reads the windows only after every record still being written (PrepareSnapshot answers before its record lands)', async () => {
    const t = new SnapshotTimes(join(root, 'run-pending'));
    // not awaited, as PrepareSnapshot does not: the transfer that follows must still see it
    const pending = t.record('20240102_000000', 1_000_000_500, 1_000_000_600);
    expect(await t.windows('20240102_000000', '20240102_000010')).toEqual([{ from: 999_999_000, to: 1_000_002_000, after: 1_000_000_400, backupId: '20240102_000000' }]);
    await pending;
  });

  it('lists regular files whose mtime lies in a window, names as bytes', async () => {
    const tree = join(root, 'tree');
    stampedTree(tree);
    const wide = { stampedHere: false };
    const got = await filesIn(tree, [{ from: 1_000_000, to: 1_002_000, after: 1_000_000 }], wide);
    expect(got.map((b) => b.toString('latin1')).sort()).toEqual(['edge-in', 'o\xff', 'sub/inside']);
    expect((await filesIn(tree, [{ from: 1_001_000, to: Number.POSITIVE_INFINITY, after: 1_001_000 }], wide)).length).toBe(2);
    expect(await filesIn(tree, [], wide)).toEqual([]);
  });

  it('from the names sent: the same rule as the walk, over those names only; a hard-linked name leaves the choice to the walk', async () => {
    const tree = join(root, 'sent-tree');
    stampedTree(tree, ['sub/not-sent']);
    const windows = [{ from: 1_000_000, to: 1_002_000, after: 1_000_000 }];
    const wide = { stampedHere: false };
    const sent = ['before', 'edge-in', 'sub/inside', 'gone', 'after'].map((n) => Buffer.from(n)).concat([Buffer.from([0x6f, 0xff])]);
    const got = await filesSentIn(tree, sent, windows, wide);
    expect(got?.map((b) => b.toString('latin1')).sort()).toEqual(['edge-in', 'o\xff', 'sub/inside']);
    // the walk finds the one not sent as well: the list is what narrows it
    expect((await filesIn(tree, windows, wide)).map((b) => b.toString('latin1'))).toContain('sub/not-sent');
    // where this kernel stamps to the nanosecond, `after` counts as in the walk
    expect((await filesSentIn(tree, sent, [{ ...windows[0]!, after: 1_000_500 }], { stampedHere: true }))?.map(String).sort()).toEqual(['edge-in', 'o\ufffd', 'sub/inside']);
    expect((await filesSentIn(tree, sent, [{ ...windows[0]!, after: 1_000_700 }], { stampedHere: true }))?.map(String).sort()).toEqual(['edge-in', 'o\ufffd']);
    linkSync(join(tree, 'edge-in'), join(tree, 'link'));
    expect(await filesSentIn(tree, sent, windows, wide)).toBeUndefined();
  });

  it('where this kernel stamps to the nanosecond, a file stamped before the snapshot began is not compared; a whole-second stamp still is', async () => {
    const tree = join(root, 'stamps');
    mkdirSync(tree, { recursive: true });
    const at = (name: string, s: number) => {
      writeFileSync(join(tree, name), 'x');
      utimesSync(join(tree, name), s, s);
    };
    // the snapshot began at 1000.700 s: its window is [999, 1002) s, `after` 1000.600 s
    const w = [{ from: 999_000, to: 1_002_000, after: 1_000_600 }];
    at('written-before', 1000.25); // the snapshot holds this write
    at('just-before', 1000.65); // within the clock's slop: compared
    at('after', 1001.5);
    at('whole-second', 1000); // zfs-fuse and utimes stamp whole seconds: maybe a later write
    at('outside', 1003.5);
    const names = async (o: { stampedHere: boolean }) => (await filesIn(tree, w, o)).map((b) => b.toString('latin1')).sort();
    expect(await names({ stampedHere: true })).toEqual(['after', 'just-before', 'whole-second']);
    expect(await names({ stampedHere: false })).toEqual(['after', 'just-before', 'whole-second', 'written-before']);
    // two windows: a file counts when one of them takes it
    expect((await filesIn(tree, [...w, { from: 1_000_000, to: 1_001_000, after: 1_000_000 }], { stampedHere: true })).map((b) => b.toString('latin1')).sort()).toEqual([
      'after',
      'just-before',
      'whole-second',
      'written-before',
    ]);
  });

  it('stampedHere: a local file system yes, a FUSE or proc file system no', async () => {
    expect(await stampedHere(root)).toBe(['ext2/ext3', 'btrfs', 'tmpfs', 'xfs'].includes(execFileSync('stat', ['-f', '-c', '%T', root], { encoding: 'utf8' }).trim()));
    expect(await stampedHere('/proc')).toBe(false);
  });

  it('leaves out the files the first pass sent, whether rsync reported them before or after the walk ended', async () => {
    const recorded: string[] = [];
    const inner: SentListWriter = { add: (name) => void recorded.push(name.toString('latin1')), close: async () => recorded.length };
    let walked!: (l: Buffer[]) => void;
    const listing = new Promise<Buffer[]>((resolve) => (walked = resolve));
    const { list, left } = withoutSent(inner, listing, join(root, 'no-such-tree'));
    const odd = Buffer.from([0x64, 0xff, 0x0a, 0x78]); // a name that is no UTF-8
    list.add(Buffer.from('a/early'), '0'.repeat(32)); // before the walk ends
    list.add(Buffer.from('not-listed'), '0'.repeat(32));
    walked([Buffer.from('a/early'), Buffer.from('a/late'), Buffer.from('stays'), odd, Buffer.from('also-stays')]);
    await listing;
    list.add(Buffer.from('a/late'), '0'.repeat(32)); // after
    list.add(Buffer.from(odd), '0'.repeat(32));
    expect((await left()).map((n) => n.toString('latin1'))).toEqual(['stays', 'also-stays']);
    // every name still reaches the sender's record
    expect(recorded).toEqual(['a/early', 'not-listed', 'a/late', odd.toString('latin1')]);
    expect(await list.close()).toBe(4);
  });

  it('a hard-link group whose data the first pass sent leaves whole: a name of it sent alone would be received unlinked', async () => {
    const tree = join(root, 'links');
    mkdirSync(join(tree, 'd'), { recursive: true });
    for (const n of ['a', 'c', 'e']) writeFileSync(join(tree, n), `${n}\n`);
    linkSync(join(tree, 'a'), join(tree, 'd', 'b')); // a's group: a sent, d/b linked to it by rsync -H
    linkSync(join(tree, 'c'), join(tree, 'c2')); // c's group: neither sent (a same-size rewrite)
    const inner: SentListWriter = { add: () => undefined, close: async () => 0 };
    const listing = Promise.resolve(['a', 'd/b', 'c', 'c2', 'e', 'gone'].map((n) => Buffer.from(n)));
    const { list, left } = withoutSent(inner, listing, tree);
    await listing;
    list.add(Buffer.from('a'), '0'.repeat(32));
    expect((await left()).map((n) => n.toString())).toEqual(['c', 'c2', 'e', 'gone']);
    // sent before the walk ended, the same
    const early = withoutSent(inner, new Promise<Buffer[]>((r) => setTimeout(() => r(['a', 'd/b', 'e'].map((n) => Buffer.from(n))), 10)), tree);
    early.list.add(Buffer.from('d/b'), '0'.repeat(32));
    expect((await early.left()).map((n) => n.toString())).toEqual(['e']);
  });

  it('a failed walk fails left(), and a transfer that never asks leaves no unhandled rejection', async () => {
    const inner: SentListWriter = { add: () => undefined, close: async () => 0 };
    const failing = Promise.reject(new Error('find: permission denied'));
    failing.catch(() => undefined);
    await expect(withoutSent(inner, failing, root).left()).rejects.toThrow('permission denied');
    withoutSent(inner, Promise.reject(new Error('never asked')), root).list.add(Buffer.from('x'), '0'.repeat(32));
  });
});
