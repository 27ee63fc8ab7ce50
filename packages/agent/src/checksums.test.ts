import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKSUMS_FILE, hashBatches, recordChecksums, verifyChecksums, type FileSum } from './checksums.js';
import { escapeName } from './file-names.js';

const E = 'src@+data';
const sums = (root: string): Map<string, FileSum> =>
  new Map(
    readFileSync(join(root, CHECKSUMS_FILE), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FileSum)
      .map((s) => [s.p, s]),
  );

describe('recordChecksums', () => {
  let dir: string;
  let src: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ff-checksums-'));
    src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(src, 'sub', `f${i}`), `file ${i}\n`);
    writeFileSync(join(src, 'big'), Buffer.alloc(1 << 20, 7));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Receives `src` into backup `id` the way the dir target does: a new tree hard-linked to the previous one. */
  async function receive(id: string, previous?: string): Promise<string> {
    const root = join(dir, id);
    mkdirSync(join(root, E), { recursive: true });
    const linkDest = previous ? [`--link-dest=${join(dir, previous, E)}`] : [];
    await run({ bin: findBinary('rsync'), args: ['-aH', '--delete', ...linkDest, `${src}/`, `${join(root, E)}/`], timeoutMs: 30_000 });
    return root;
  }

  it('hard-linked tree: hashes only the changed file, reuses the rest, counts only new bytes', async () => {
    const first = await receive('b1');
    const r1 = await recordChecksums(first, [E]);
    expect(r1).toMatchObject({ files: 21, hashed: 21, reused: 0 });
    expect(r1.newBytes).toBeGreaterThanOrEqual(1 << 20);

    writeFileSync(join(src, 'sub', 'f3'), 'changed, and longer than before\n');
    const second = await receive('b2', 'b1');
    const r2 = await recordChecksums(second, [E], { previous: first, sameInodeIsSameContent: true });
    expect(r2).toMatchObject({ files: 21, hashed: 1, reused: 20 });
    // the 1 MiB file is shared with b1: only the changed small file is new
    expect(r2.newBytes).toBeGreaterThan(0);
    expect(r2.newBytes).toBeLessThan(64 << 10);

    const s1 = sums(first);
    const s2 = sums(second);
    expect(s2.get(`${E}/sub/f3`)!.h).not.toBe(s1.get(`${E}/sub/f3`)!.h);
    expect(s2.get(`${E}/big`)!.h).toBe(s1.get(`${E}/big`)!.h);
    expect(await verifyChecksums(second)).toMatchObject({ hasChecksums: true, checked: 21, bad: [], missing: [] });
  });

  it('a same-size change with a new mtime in a new tree is re-hashed (not hard-linked: new inode)', async () => {
    const first = await receive('b1');
    await recordChecksums(first, [E]);
    writeFileSync(join(src, 'big'), Buffer.alloc(1 << 20, 8));
    utimesSync(join(src, 'big'), new Date(), new Date(Date.now() + 5000));
    const second = await receive('b2', 'b1');
    const r = await recordChecksums(second, [E], { previous: first, sameInodeIsSameContent: true });
    expect(r).toMatchObject({ hashed: 1, reused: 20 });
    expect(sums(second).get(`${E}/big`)!.h).not.toBe(sums(first).get(`${E}/big`)!.h);
    expect(r.newBytes).toBeGreaterThanOrEqual(1 << 20);
  });

  it('in-place tree (ZFS): same inode with new content is re-hashed; unchanged files are not', async () => {
    const root = await receive('b1');
    // as if each record were written a while after the files last changed
    const later = () => utimesSync(join(root, CHECKSUMS_FILE), Date.now() / 1000 + 10, Date.now() / 1000 + 10);
    expect(await recordChecksums(root, [E])).toMatchObject({ hashed: 21 });
    // files changed just before the record was written are hashed again ("racily clean")
    expect(await recordChecksums(root, [E])).toMatchObject({ hashed: 21, reused: 0 });
    later();
    expect(await recordChecksums(root, [E])).toMatchObject({ hashed: 0, reused: 21 });
    later();
    // rewritten in place: same inode, new size and mtime
    writeFileSync(join(root, E, 'big'), Buffer.alloc(2 << 20, 9));
    expect(await recordChecksums(root, [E])).toMatchObject({ hashed: 1, reused: 20 });
    // rewritten with the same size and the same mtime (as on a whole-second file system) just
    // after the record was written: its ctime tells; the others are older than the margin
    await new Promise((r) => setTimeout(r, 2_100));
    utimesSync(join(root, CHECKSUMS_FILE), Date.now() / 1000 - 0.05, Date.now() / 1000 - 0.05);
    const big = join(root, E, 'big');
    const st = statSync(big);
    writeFileSync(big, Buffer.alloc(2 << 20, 8));
    utimesSync(big, st.atime, st.mtime);
    expect(await recordChecksums(root, [E])).toMatchObject({ hashed: 1, reused: 20 });
    expect(await verifyChecksums(root)).toMatchObject({ bad: [], missing: [] });
  });

  it('odd names are hashed right; verify names a flipped byte and a missing file', async () => {
    const odd = ['-starts-with-dash', 'two  spaces', 'new\nline', 'back\\slash', 'ünïcode', ' lead', Buffer.from([0x6e, 0xff, 0x61]).toString('latin1')];
    // names are bytes: the last one is not UTF-8
    const bytes = (n: string) => (n.includes('\xff') ? Buffer.from(n, 'latin1') : Buffer.from(n));
    for (const n of odd) writeFileSync(Buffer.concat([Buffer.from(`${src}/`), bytes(n)]), `content of ${escapeName(bytes(n))}\n`);
    const root = await receive('b1');
    expect(await recordChecksums(root, [E])).toMatchObject({ files: 21 + odd.length, hashed: 21 + odd.length });
    const s = sums(root);
    for (const n of odd) expect(s.get(`${E}/${escapeName(bytes(n))}`)?.h, n).toBe(createHash('sha256').update(`content of ${escapeName(bytes(n))}\n`).digest('hex'));
    expect([...s.keys()]).toContain(`${E}/n\\xffa`);
    expect(s.get(`${E}/big`)!.h).toBe(createHash('sha256').update(Buffer.alloc(1 << 20, 7)).digest('hex'));

    const flipped = join(root, E, 'new\nline');
    const b = readFileSync(flipped);
    b[0] = b[0]! ^ 1;
    writeFileSync(flipped, b);
    rmSync(join(root, E, 'sub', 'f7'));
    const oddFile = Buffer.concat([Buffer.from(`${root}/${E}/`), Buffer.from([0x6e, 0xff, 0x61])]);
    writeFileSync(oddFile, 'changed');
    expect(await verifyChecksums(root)).toEqual({ hasChecksums: true, checked: 20 + odd.length, recorded: 21 + odd.length, bad: [`${E}/n\\xffa`, `${E}/new\\x0aline`], missing: [`${E}/sub/f7`], unreadable: [] });

    // a sample reads only that many, and still finds what it reads
    const sampled = await verifyChecksums(root, [], { sample: (n) => n - 1 });
    expect(sampled.recorded).toBe(21 + odd.length);
    expect(sampled.checked + sampled.missing.length).toBe(20 + odd.length);
    expect(sampled.bad.length + sampled.missing.length).toBeGreaterThanOrEqual(2);
  });

  it('verify of some entries reads only theirs, whole or sampled; an entry whose name begins another is not among them', async () => {
    const root = await receive('b1');
    for (const other of ['other', `${E}2`]) {
      mkdirSync(join(root, other, 'sub'), { recursive: true });
      for (let i = 0; i < 5; i++) writeFileSync(join(root, other, 'sub', `g${i}`), `other ${i}\n`);
    }
    expect(await recordChecksums(root, [E, 'other', `${E}2`])).toMatchObject({ files: 31 });
    // damaged in the entries left out: not theirs to report
    writeFileSync(join(root, 'other', 'sub', 'g1'), 'changed');
    writeFileSync(join(root, `${E}2`, 'sub', 'g2'), 'changed');
    expect(await verifyChecksums(root, [E])).toEqual({ hasChecksums: true, checked: 21, recorded: 21, bad: [], missing: [], unreadable: [] });
    writeFileSync(join(root, E, 'sub', 'f3'), 'changed');
    expect(await verifyChecksums(root, [E])).toMatchObject({ checked: 21, recorded: 21, bad: [`${E}/sub/f3`] });
    const sampled = await verifyChecksums(root, [E], { sample: (n) => n - 20 });
    expect(sampled).toMatchObject({ checked: 1, recorded: 21 });
    expect(await verifyChecksums(root, ['other', `${E}2`])).toMatchObject({ checked: 10, recorded: 10, bad: ['other/sub/g1', `${E}2/sub/g2`] });
  });

  it('a listing of many chunks: names cut between chunks (odd bytes among them) are whole, an unchanged file keeps its line', async () => {
    // ~3000 names of ~60 bytes: find writes them in several pipe chunks, so names are cut between chunks
    const names: Buffer[] = [];
    for (let i = 0; i < 3000; i++) names.push(Buffer.concat([Buffer.from(`many/${'x'.repeat(40)}-${i}-`), i % 7 === 0 ? Buffer.from([0xe9, 0x5c]) : Buffer.from('é')]));
    mkdirSync(join(src, 'many'));
    for (const n of names) writeFileSync(Buffer.concat([Buffer.from(`${src}/`), n]), n);
    const root = await receive('b1');
    expect(await recordChecksums(root, [E])).toMatchObject({ files: 3021, hashed: 3021 });
    const s = sums(root);
    for (const n of names) expect(s.get(`${E}/${escapeName(n)}`)?.h).toBe(createHash('sha256').update(n).digest('hex'));
    utimesSync(join(root, CHECKSUMS_FILE), Date.now() / 1000 + 10, Date.now() / 1000 + 10);
    const before = readFileSync(join(root, CHECKSUMS_FILE), 'utf8').split('\n');
    writeFileSync(join(root, E, 'sub', 'f3'), 'changed');
    expect(await recordChecksums(root, [E])).toMatchObject({ hashed: 1, reused: 3020 });
    const after = readFileSync(join(root, CHECKSUMS_FILE), 'utf8').split('\n');
    const changed = after.filter((l) => !before.includes(l));
    expect(changed.map((l) => (JSON.parse(l) as FileSum).p)).toEqual([`${E}/sub/f3`]);
    expect(sums(root).get(`${E}/sub/f3`)?.h).toBe(createHash('sha256').update('changed').digest('hex'));
  });

  it('a previous record in another order or in an older form keeps every checksum that holds', async () => {
    // a name that looks like the fields that follow a path in a line
    const tricky = ['q","s":1,"m":2,"h":"x', 'q\\"', 'z\\'];
    for (const n of tricky) writeFileSync(join(src, n), `content of ${n}`);
    const root = await receive('b1');
    const n = 21 + tricky.length;
    expect(await recordChecksums(root, [E])).toMatchObject({ files: n, hashed: n });
    const written = readFileSync(join(root, CHECKSUMS_FILE), 'utf8').split('\n').filter(Boolean);
    // reversed; the tricky names' lines as written, some others as an older version wrote them
    // (no inode) or with their fields in another order
    const rewritten = [...written].reverse().map((l) => {
      const f = JSON.parse(l) as FileSum;
      const k = Number(/sub\/f(\d+)$/.exec(f.p)?.[1] ?? 2) % 3;
      return k === 0 ? JSON.stringify({ p: f.p, s: f.s, m: f.m, h: f.h }) : k === 1 ? JSON.stringify({ h: f.h, i: f.i, m: f.m, s: f.s, p: f.p }) : l;
    });
    // a wrong checksum in the previous record is kept for an unchanged file: the record is what
    // was recorded, and only a file that changed since is read again
    const wrong = `${E}/sub/f5`;
    writeFileSync(
      join(root, CHECKSUMS_FILE),
      rewritten.map((l) => ((JSON.parse(l) as FileSum).p === wrong ? l.replace(/"h":"[0-9a-f]{64}"/, `"h":"${'0'.repeat(64)}"`) : l)).join('\n') + '\n',
    );
    utimesSync(join(root, CHECKSUMS_FILE), Date.now() / 1000 + 10, Date.now() / 1000 + 10);
    writeFileSync(join(root, E, 'sub', 'f3'), 'changed, and longer');
    expect(await recordChecksums(root, [E])).toMatchObject({ files: n, hashed: 1, reused: n - 1 });
    const s = sums(root);
    expect(s.get(`${E}/sub/f3`)?.h).toBe(createHash('sha256').update('changed, and longer').digest('hex'));
    expect(s.get(wrong)?.h).toBe('0'.repeat(64));
    for (const t of tricky) expect(s.get(`${E}/${escapeName(Buffer.from(t))}`)?.h, t).toBe(createHash('sha256').update(`content of ${t}`).digest('hex'));
    // every line is written in the current form again, with its inode
    const again = readFileSync(join(root, CHECKSUMS_FILE), 'utf8').split('\n').filter(Boolean);
    expect(again.filter((l) => !written.includes(l)).map((l) => (JSON.parse(l) as FileSum).p).sort()).toEqual([`${E}/sub/f3`, wrong]);
  });
});

describe('hashBatches', () => {
  const paths = (n: number, len = 20) => Array.from({ length: n }, (_, i) => `${String(i).padStart(len, '0')}`);
  it('cuts 200k files into 40 processes, keeps a small job on two, and every path once in order', () => {
    const big = paths(200_000);
    const batches = hashBatches(big);
    expect(batches.map((b) => b.length)).toEqual(Array(40).fill(5000));
    expect(batches.flat()).toEqual(big);
    expect(hashBatches(paths(2000)).map((b) => b.length)).toEqual([1000, 1000]);
    expect(hashBatches(paths(1)).map((b) => b.length)).toEqual([1]);
    expect(hashBatches([])).toEqual([]);
  });
  it('keeps the argv of a batch within 512 KiB however long the names', () => {
    const long = paths(5000, 4000);
    const batches = hashBatches(long);
    for (const b of batches) expect(b.reduce((n, p) => n + Buffer.byteLength(p) + 1, 0)).toBeLessThanOrEqual(512 << 10);
    expect(batches.length).toBeGreaterThan(30);
    expect(batches.flat()).toEqual(long);
  });
});
