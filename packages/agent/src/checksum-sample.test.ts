import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANGES_FILE, CHECKSUMS_FILE, formatChanges, noChanges, quoted, readRecordLines } from './checksum-record.js';
import { randomIndexes, sampleRecord } from './checksum-sample.js';

const line = (p: string, h = 'a') => JSON.stringify({ p, s: 1, m: 2, h: h.repeat(64), i: 3 });
// names that are hard for a line split by bytes: quotes, escapes, the text that follows a path, multi-byte UTF-8
const odd = ['e/q","s":1,"m":2', 'e/back\\slash', 'e/ünïcode-€', 'e/new\nline', 'e/d/\u{1f600}'];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A record of entries `e` and `e2` with changes that replace, remove, remove below a folder and add lines. */
function withChanges(): { root: string; merged: () => Promise<string[]> } {
  const root = mkdtempSync(join(tmpdir(), 'ff-sample-'));
  dirs.push(root);
  mkdirSync(join(root, '.freezeframe'));
  // one line as an older version wrote it, its path not first
  const older = JSON.stringify({ h: 'c'.repeat(64), m: 2, s: 1, p: 'e/older' });
  const base = [...Array.from({ length: 300 }, (_, i) => line(`e/f${i}`)), ...odd.map((p) => line(p)), older, line('e/d/x'), line('e2/f'), line('e2/g')];
  const text = base.join('\n') + '\n';
  writeFileSync(join(root, CHECKSUMS_FILE), text);
  const c = noChanges(text, ['e', 'e2']);
  c.lines.set('e/f7', line('e/f7', 'b'));
  c.lines.set(quoted(odd[2]!), line(odd[2]!, 'c'));
  c.lines.set('e/new', line('e/new', 'n'));
  c.lines.set('e2/new', line('e2/new', 'n'));
  c.gone.add('e/f8');
  c.gone.add('e2/g');
  c.below.add('e/d');
  writeFileSync(join(root, CHANGES_FILE), formatChanges(c));
  return { root, merged: async () => (await readRecordLines(root, { strict: true }))! };
}

const all = (n: number) => n;

describe('sampleRecord', () => {
  it('asked for every line, holds exactly the merged record of the entries asked for, however the reads cut the lines', async () => {
    const { root, merged } = withChanges();
    const lines = await merged();
    const below = (e: string) => lines.filter((l) => (JSON.parse(l) as { p: string }).p.startsWith(`${e}/`));
    for (const chunkBytes of [7, 64, 1 << 20]) {
      for (const entries of [[], ['e'], ['e2'], ['e', 'e2']]) {
        const expected = entries.length === 0 ? lines : entries.flatMap(below);
        const s = (await sampleRecord(root, entries, all, { chunkBytes }))!;
        expect(s.recorded, `${chunkBytes} ${entries.join()}`).toBe(expected.length);
        expect([...s.lines].sort(), `${chunkBytes} ${entries.join()}`).toEqual([...expected].sort());
      }
    }
    // what the changes did, seen in the sample
    const s = (await sampleRecord(root, [], all, { chunkBytes: 7 }))!;
    expect(s.lines).toContain(line('e/f7', 'b'));
    expect(s.lines).not.toContain(line('e/f7'));
    expect(s.lines).toContain(line(odd[2]!, 'c'));
    expect(s.lines.some((l) => l.includes('"e/f8"') || l.includes('"e2/g"') || l.includes('"e/d/'))).toBe(false);
    // 309 in the base, 2 added, 2 gone, 2 below e/d
    expect(s.recorded).toBe(307);
    expect(s.lines.filter((l) => l.includes('"e/older"'))).toHaveLength(1);
  });

  it('an entry whose name begins another is not among its lines', async () => {
    const { root } = withChanges();
    const s = (await sampleRecord(root, ['e'], all))!;
    expect(s.lines.filter((l) => l.includes('"e2/'))).toEqual([]);
  });

  it('a sample is that many distinct lines of the record, different ones from call to call', async () => {
    const { root, merged } = withChanges();
    const lines = new Set(await merged());
    const seen = new Set<string>();
    for (let k = 0; k < 20; k++) {
      const s = (await sampleRecord(root, [], (n) => Math.ceil(n / 10), { chunkBytes: 100 }))!;
      expect(s.recorded).toBe(lines.size);
      expect(s.lines).toHaveLength(Math.ceil(lines.size / 10));
      expect(new Set(s.lines).size).toBe(s.lines.length);
      for (const l of s.lines) {
        expect(lines.has(l), l).toBe(true);
        seen.add(l);
      }
    }
    expect(seen.size).toBeGreaterThan(lines.size / 2);
  });

  it('refuses changes made for another base: one byte of the base altered, or the base cut', async () => {
    const { root } = withChanges();
    const baseFile = join(root, CHECKSUMS_FILE);
    const text = readFileSync(baseFile, 'utf8');
    writeFileSync(baseFile, text.replace('"e/f5","s":1', '"e/f5","s":2'));
    await expect(sampleRecord(root, [], all)).rejects.toThrow(/belongs to another .* the checksum record is damaged/);
    writeFileSync(baseFile, text.slice(0, -1));
    await expect(sampleRecord(root, [], (n) => Math.min(n, 100))).rejects.toThrow(/checksum record is damaged/);
  });

  it('names a line that is not a record line by its number, never showing it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ff-sample-'));
    dirs.push(root);
    mkdirSync(join(root, '.freezeframe'));
    writeFileSync(join(root, CHECKSUMS_FILE), `${line('e/a')}\n\nsecret text\n`);
    await expect(sampleRecord(root, [], all)).rejects.toThrow(/^(?!.*secret).*checksums\.jsonl: line 2 is not a line of the checksum record/);
  });

  it('a record without changes, and no record at all', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ff-sample-'));
    dirs.push(root);
    expect(await sampleRecord(root, [], all)).toBeUndefined();
    mkdirSync(join(root, '.freezeframe'));
    // the last line without its newline
    writeFileSync(join(root, CHECKSUMS_FILE), `${line('e/a')}\n${line('e/b')}`);
    expect(await sampleRecord(root, ['e'], all, { chunkBytes: 5 })).toEqual({ recorded: 2, lines: [line('e/a'), line('e/b')] });
  });
});

describe('randomIndexes', () => {
  it('takes n distinct indexes in ascending order, each of them sometimes', () => {
    const seen = new Set<number>();
    for (let k = 0; k < 200; k++) {
      const s = randomIndexes(10, 3);
      expect(s).toHaveLength(3);
      expect(new Set(s).size).toBe(3);
      expect([...s].sort((a, b) => a - b)).toEqual(s);
      s.forEach((x) => seen.add(x));
    }
    expect(seen.size).toBe(10);
    expect(randomIndexes(4, 20)).toEqual([0, 1, 2, 3]);
  });
});
