import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareSent, fidelityError, isPlainRelative } from './fidelity.js';
import { escapeName } from './file-names.js';
import { PAGE_BYTES, openSentList, readSentList, readSentPage, receivedListFile, writeReceivedPage } from './sent-list.js';

// xxh128 of the contents, as rsync 3.5.0 printed them with %C
const SUM_S = '6a9912dd5d8a965d661eb013761f9563'; // "S\n"
const SUM_ETE = 'b8158829212ae7d92bea8533baad38eb'; // bytes c3 a9 74 e9

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ff-fidelity-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('sender list and comparison', () => {
  it('a page is whole lines and within PAGE_BYTES; the target rebuilds the same list; a later line wins', async () => {
    const run = tmp();
    const w = await openSentList(run, '20260101_000000', 'src@+data');
    const name = Buffer.from('d/caf\xc3\xa9\n\xff', 'latin1');
    w.add(name, SUM_S);
    for (let i = 0; i < 40_000; i++) w.add(Buffer.from(`dir/file-${i}-${'x'.repeat(20)}`), SUM_ETE);
    w.add(name, SUM_ETE);
    expect(await w.close()).toBe(40_002);
    let offset = 0;
    let pages = 0;
    for (;;) {
      const p = await readSentPage(run, '20260101_000000', 'src@+data', offset);
      expect(p.chunk.length).toBeLessThanOrEqual(PAGE_BYTES);
      expect(p.chunk.at(-1)).toBe(0x0a);
      await writeReceivedPage(run, '20260101_000001', 'src@+data', offset, p.chunk, p.eof);
      pages++;
      offset = p.nextOffset;
      if (p.eof) break;
    }
    expect(pages).toBeGreaterThan(1);
    const file = (await receivedListFile(run, '20260101_000001', 'src@+data'))!;
    // Buffer.equals: toEqual walks megabytes byte by byte
    expect(readFileSync(file).equals(readFileSync(join(run, 'sent', '20260101_000000', 'src@+data.list')))).toBe(true);
    const list = await readSentList(file);
    expect(list.size).toBe(40_001);
    expect(list.get(escapeName(name))).toBe(SUM_ETE);
  });

  it('a page that would leave a gap, or cut a line, is refused; a list without its last page is not complete', async () => {
    const run = tmp();
    await expect(writeReceivedPage(run, '20260101_000000', 'src@+e', 10, Buffer.from(`${SUM_S} a\n`), false)).rejects.toThrow(/gap/);
    await expect(writeReceivedPage(run, '20260101_000000', 'src@+e', 0, Buffer.from(`${SUM_S} a`), false)).rejects.toThrow(/whole line/);
    await writeReceivedPage(run, '20260101_000000', 'src@+e', 0, Buffer.from(`${SUM_S} a\n`), false);
    expect(await receivedListFile(run, '20260101_000000', 'src@+e')).toBeUndefined();
    await expect(readSentPage(run, '20260101_000000', 'src@+e', 0)).rejects.toThrow(/no record of the files sent/);
  });

  it('names what differs: changed content, a lying sender, a missing file, a symlink, a name leaving the entry, odd names (real xxh128sum and rsync)', async () => {
    const root = tmp();
    const scratch = tmp();
    const entry = 'src@+data';
    mkdirSync(join(root, entry, 'd'), { recursive: true });
    writeFileSync(join(root, entry, 'good'), 'S\n');
    writeFileSync(join(root, entry, 'd', 'changed'), 'T\n');
    writeFileSync(Buffer.from(join(root, entry, 'caf\xc3\xa9'), 'latin1'), Buffer.from('\xc3\xa9t\xe9', 'latin1'));
    writeFileSync(join(root, entry, 'lied'), 'S\n');
    symlinkSync('/etc/hostname', join(root, entry, 'link'));
    // names xxh128sum cannot print as they are: read by rsync instead, and compared the same way
    const odd = ['n\nl', 'back\\slash', '\xff'].map((n) => Buffer.from(n, 'latin1'));
    writeFileSync(Buffer.concat([Buffer.from(`${join(root, entry)}/`), odd[0]!]), 'S\n');
    writeFileSync(Buffer.concat([Buffer.from(`${join(root, entry)}/`), odd[1]!]), 'T\n');
    writeFileSync(Buffer.concat([Buffer.from(`${join(root, entry)}/`), odd[2]!]), 'S\n');
    const [nl, bs, ff] = odd.map(escapeName) as [string, string, string];
    const regular = new Set([`${entry}/good`, `${entry}/d/changed`, `${entry}/${escapeName(Buffer.from('caf\xc3\xa9', 'latin1'))}`, `${entry}/lied`, ...[nl, bs, ff].map((n) => `${entry}/${n}`)]);
    const sent = new Map([
      ['good', SUM_S],
      ['d/changed', SUM_S],
      [escapeName(Buffer.from('caf\xc3\xa9', 'latin1')), SUM_ETE],
      ['lied', SUM_ETE],
      ['gone', SUM_S],
      ['link', SUM_S],
      ['../outside', SUM_S],
      [nl, SUM_S],
      [bs, SUM_S],
      [ff, SUM_ETE],
    ]);
    const r = await compareSent(root, entry, sent, regular, scratch);
    const differ = ['../outside', 'd/changed', 'gone', 'lied', 'link', bs, ff].sort();
    expect(r).toEqual({ checked: 10, differ });
    const e = fidelityError(entry, r);
    expect(e.code).toBe('FIDELITY_FAILED');
    expect(e.message).toBe(`src@+data: 7 of 10 file(s) sent differ on the target from what the sender read: ${differ.join(', ')}`);
    expect(e.details).toMatchObject({ entry, count: 7, files: differ });
  });

  it('plain relative names only', () => {
    for (const bad of ['', '/etc/passwd', 'a/../b', './a', 'a//b', 'a/', '..']) expect(isPlainRelative(Buffer.from(bad)), bad).toBe(false);
    for (const ok of ['a', 'a/b', '...', 'a b/c\nd']) expect(isPlainRelative(Buffer.from(ok)), ok).toBe(true);
  });
});
