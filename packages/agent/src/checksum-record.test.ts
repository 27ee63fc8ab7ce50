import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANGES_FILE, CHECKSUMS_FILE, applyChanges, formatChanges, mergeRecord, noChanges, parseChanges } from './checksum-record.js';
import { readSums, recordChecksums, updateChecksums, verifyChecksums } from './checksums.js';

const E = 'src@+data';
const line = (p: string, h = 'a') => JSON.stringify({ p, s: 1, m: 2, h: h.repeat(64), i: 3 });

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ff-record-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('applyChanges', () => {
  it("replaces a base line in its place, adds new ones last, drops what is gone or below a replaced folder, but never a line of the changes themselves", () => {
    const base = [line('e/a'), line('e/d/x'), line('e/d/y'), line('e/b'), line('e/c'), 'not a record line'];
    const c = noChanges(base.join('\n') + '\n', ['e']);
    c.lines.set('e/b', line('e/b', 'b'));
    c.lines.set('e/new', line('e/new', 'n'));
    c.lines.set('e/d/y', line('e/d/y', 'y'));
    c.gone.add('e/c');
    c.below.add('e/d');
    // the changes go through their file and back
    const again = parseChanges(formatChanges(c), CHANGES_FILE);
    expect(applyChanges(base, again)).toEqual([line('e/a'), line('e/d/y', 'y'), line('e/b', 'b'), 'not a record line', line('e/new', 'n')]);
  });

  it('keeps an odd name through the file: the key is the name as its JSON has it', () => {
    const odd = 'e/a "quoted" \\ name\u00e9';
    const base = [line(odd), line('e/z')];
    const c = noChanges(base.join('\n') + '\n', ['e']);
    c.gone.add(JSON.stringify('e/z').slice(1, -1));
    c.below.add(JSON.stringify(odd).slice(1, -1));
    c.lines.set(JSON.stringify(`${odd}/in`).slice(1, -1), line(`${odd}/in`));
    const again = parseChanges(formatChanges(c), CHANGES_FILE);
    expect(applyChanges(base, again)).toEqual([line(odd), line(`${odd}/in`)]);
  });
});

describe('mergeRecord', () => {
  const base = `${line('e/a')}\n${line('e/b')}\n`;
  const changes = noChanges(base, ['e']);
  changes.gone.add('e/a');

  it('applies changes made for this base', () => {
    expect(mergeRecord(base, formatChanges(changes), { strict: true, where: '/t' })).toEqual([line('e/b')]);
  });

  it('refuses changes made for another base when strict (a tagged backup), else reads the base alone', () => {
    const other = `${line('e/a', 'c')}\n${line('e/b')}\n`;
    expect(() => mergeRecord(other, formatChanges(changes), { strict: true, where: '/t' })).toThrow(/belongs to another .*damaged/);
    expect(mergeRecord(other, formatChanges(changes), { strict: false, where: '/t' })).toEqual([line('e/a', 'c'), line('e/b')]);
  });

  it('names a line that is no change by its number, never showing it', () => {
    const bad = `${formatChanges(changes)}{"secret":"do not show"}\n`;
    expect(() => mergeRecord(base, bad, { strict: true, where: '/t' })).toThrow(/line 3 is not a change/);
    expect(() => mergeRecord(base, `${formatChanges(changes)}secret text\n`, { strict: true, where: '/t' })).toThrow(/^(?!.*secret).*line 3/);
  });
});

describe('a record with changes on disk', () => {
  const setUp = async () => {
    const root = tmp();
    mkdirSync(join(root, E, 'keep'), { recursive: true });
    for (let i = 0; i < 100; i++) writeFileSync(join(root, E, 'keep', `f${i}`), `f${i}\n`);
    await recordChecksums(root, [E], { changesNext: true });
    return root;
  };

  it('a file the changes added below a folder that a later backup replaced is gone, though the journal named only the folder', async () => {
    const root = await setUp();
    mkdirSync(join(root, E, 'd'));
    writeFileSync(join(root, E, 'd', 'f'), 'f\n');
    // a tree without hard links stays so (the btrfs target's next receive then skips splitting links)
    expect(await updateChecksums(root, new Map([[E, { changed: [Buffer.from('d'), Buffer.from('d/f')], notFolders: [Buffer.from('d/f')] }]]))).toMatchObject({ wrote: 'changes', hashed: 1, sharedNames: 0 });
    expect((await readSums(root))!.map((s) => s.p)).toContain(`${E}/d/f`);
    rmSync(join(root, E, 'd'), { recursive: true });
    writeFileSync(join(root, E, 'd'), 'a file now\n');
    expect(await updateChecksums(root, new Map([[E, { changed: [Buffer.from('d')], notFolders: [Buffer.from('d')] }]]))).toMatchObject({ wrote: 'changes', hashed: 1 });
    const paths = (await readSums(root))!.map((s) => s.p);
    expect(paths).toContain(`${E}/d`);
    expect(paths).not.toContain(`${E}/d/f`);
    expect(paths).toHaveLength(101);
  });

  it('names shared by a hard link the changes did not touch are not counted by them: not known', async () => {
    const root = await setUp();
    linkSync(join(root, E, 'keep', 'f0'), join(root, E, 'keep', 'f0-too'));
    expect(await recordChecksums(root, [E], { changesNext: true })).toMatchObject({ sharedNames: 1 });
    writeFileSync(join(root, E, 'keep', 'f1'), 'changed\n');
    const r = await updateChecksums(root, new Map([[E, { changed: [Buffer.from('keep/f1')], notFolders: [Buffer.from('keep/f1')] }]]));
    expect(r).toMatchObject({ wrote: 'changes' });
    expect(r).not.toHaveProperty('sharedNames');
  });

  it('verify refuses a record whose base was altered under its changes, and reads one whose changes are intact', async () => {
    const root = await setUp();
    writeFileSync(join(root, E, 'keep', 'f1'), 'changed\n');
    await updateChecksums(root, new Map([[E, { changed: [Buffer.from('keep/f1')], notFolders: [Buffer.from('keep/f1')] }]]));
    expect(await verifyChecksums(root)).toMatchObject({ checked: 100, bad: [] });
    const baseFile = join(root, CHECKSUMS_FILE);
    writeFileSync(baseFile, readFileSync(baseFile, 'utf8').replace(/"h":"[0-9a-f]/, '"h":"x'));
    await expect(verifyChecksums(root)).rejects.toThrow(/checksum record is damaged/);
  });

  it('changes for other entries than the backup has are not added to: the whole record is written', async () => {
    const root = await setUp();
    mkdirSync(join(root, 'other@+x'));
    writeFileSync(join(root, 'other@+x', 'o'), 'o\n');
    const r = await updateChecksums(
      root,
      new Map([
        [E, { changed: [], notFolders: [] }],
        ['other@+x', { changed: [Buffer.from('o')], notFolders: [Buffer.from('o')] }],
      ]),
    );
    expect(r).toMatchObject({ wrote: 'record', files: 101 });
  });
});
