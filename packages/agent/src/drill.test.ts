import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGES_FILE } from './checksum-record.js';
import { CHECKSUMS_FILE, recordChecksums, updateChecksums } from './checksums.js';
import { checkRestored, compareRestored } from './drill-check.js';
import { TO_DIR, drillDirParts, openDrillDir } from './drill-dir.js';
import { checkSample, sampleOf } from './drill-sample.js';
import { wholeBackupRules } from './rpc/drill-source.js';

const E = 'src@+data';

describe('drill sample', () => {
  const records = Array.from({ length: 10_000 }, (_, i) => ({ p: `${E}/f${i}` }));

  it('takes about the share asked for, the same for the same seed, another for another seed', () => {
    const a = sampleOf(records, { percent: 10, seed: '0123456789abcdef' });
    expect(a.length).toBeGreaterThan(900);
    expect(a.length).toBeLessThan(1100);
    expect(sampleOf(records, { percent: 10, seed: '0123456789abcdef' })).toEqual(a);
    const b = sampleOf(records, { percent: 10, seed: 'fedcba9876543210' });
    expect(b).not.toEqual(a);
    // a larger share holds the smaller one: the order is one random order per seed
    const c = sampleOf(records, { percent: 30, seed: '0123456789abcdef' });
    expect(c.length).toBeGreaterThan(2700);
    expect(a.every((r) => c.includes(r))).toBe(true);
  });

  it('takes at least one file when there are any; none of none', () => {
    expect(sampleOf(records.slice(0, 3), { percent: 0.001, seed: '0123456789abcdef' })).toHaveLength(1);
    expect(sampleOf([], { percent: 50, seed: '0123456789abcdef' })).toEqual([]);
  });

  it('checkSample: 0 and 100 are the whole backup; anything odd is refused naming the field', () => {
    expect(checkSample(0, '')).toBeUndefined();
    expect(checkSample(100, '')).toBeUndefined();
    expect(checkSample(12.5, 'ab'.repeat(8))).toEqual({ percent: 12.5, seed: 'ab'.repeat(8) });
    expect(() => checkSample(-1, 'ab'.repeat(8))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'sample_percent' } }));
    expect(() => checkSample(Number.NaN, 'ab'.repeat(8))).toThrow(expect.objectContaining({ details: { field: 'sample_percent' } }));
    for (const seed of ['', 'short', 'AB'.repeat(8), '../x', 'a'.repeat(65)]) {
      expect(() => checkSample(10, seed)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'sample_seed' } }));
    }
  });
});

describe('compareRestored', () => {
  const rec = (p: string, s: number, h: string) => ({ p, s, h });
  it('names files that differ in size or content, are missing, extra or unreadable', () => {
    const expected = [rec('e/a', 3, 'h-a'), rec('e/b', 3, 'h-b'), rec('e/c', 3, 'h-c'), rec('e/d', 5, 'h-d'), rec('e/u', 1, 'h-u')];
    const found = [
      { p: 'e/a', s: 3 },
      { p: 'e/b', s: 3 },
      { p: 'e/d', s: 4 },
      { p: 'e/x', s: 9 },
      { p: 'e/u', s: 1 },
    ];
    const hashes = new Map([
      ['e/a', 'h-a'],
      ['e/b', 'other'],
    ]);
    expect(compareRestored(expected, found, hashes, (p) => `cannot be read: ${p} EACCES`)).toEqual({
      filesChecked: 4,
      bytesChecked: 11,
      different: ['e/b: checksum differs from the one recorded at backup time', 'e/d: 4 bytes, 5 recorded at backup time', 'e/u: cannot be read: e/u EACCES'],
      missing: ['e/c'],
      extra: ['e/x'],
    });
  });
});

describe('drill folder and check', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-drill-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('drillDirParts: only inside a restoreDir, by whole components, never with . or ..', () => {
    const dirs = ['/srv/drill', '/var/tmp/ff'];
    expect(drillDirParts('n', dirs, '/srv/drill')).toEqual({ parts: ['srv', 'drill'], rootDepth: 2, path: '/srv/drill' });
    expect(drillDirParts('n', dirs, '/var/tmp/ff/a/b/')).toEqual({ parts: ['var', 'tmp', 'ff', 'a', 'b'], rootDepth: 3, path: '/var/tmp/ff/a/b' });
    for (const bad of ['/srv/drill2', '/srv', '/srv/drill/../../etc', '/srv/drill/./x', 'srv/drill/x', '', '/srv/drill/a\0b', 42]) {
      expect(() => drillDirParts('n', dirs, bad), String(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: 'dir' } }));
    }
    expect(() => drillDirParts('n', [], '/srv/drill')).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('node n takes no restore drills') }));
  });

  it('a restore --to-dir folder is checked by the same rules, naming its own field', async () => {
    const dirs = ['/srv/restore'];
    expect(drillDirParts('n', dirs, '/srv/restore/x', TO_DIR).path).toBe('/srv/restore/x');
    for (const bad of ['/etc', '../x', '/srv/restore/../../etc', '/srv/restore/a\x01b']) {
      expect(() => drillDirParts('n', dirs, bad, TO_DIR), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^to_dir /), details: { field: 'to_dir' } }));
    }
    expect(() => drillDirParts('n', [], '/srv/restore', TO_DIR)).toThrow(expect.objectContaining({ message: expect.stringContaining('node n takes no restores into a folder'), details: { field: 'to_dir' } }));
    const scratch = join(root, 'scratch');
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    mkdirSync(scratch);
    symlinkSync(join(root, 'elsewhere'), join(scratch, 'link'));
    await expect(openDrillDir({ name: 'n', restoreDirs: [scratch] }, join(scratch, 'link', 'x'), { create: true, use: TO_DIR })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('is a symbolic link; a restore folder is never reached through a link'),
      details: { field: 'to_dir', path: join(scratch, 'link') },
    });
    expect(readdirSync(join(root, 'elsewhere'))).toEqual([]);
  });

  it('openDrillDir: makes missing folders below the restoreDir 0700, refuses a link anywhere on the way and a missing restoreDir', async () => {
    const scratch = join(root, 'scratch');
    mkdirSync(scratch);
    const cfg = { name: 'n', restoreDirs: [scratch, join(root, 'alias'), join(root, 'missing')] };
    const { dir, path } = await openDrillDir(cfg, join(scratch, 'a', 'b'), { create: true });
    await dir.close();
    expect(path).toBe(join(scratch, 'a', 'b'));
    expect(statSync(join(scratch, 'a')).mode & 0o777).toBe(0o700);
    // without create, a missing folder is NOT_FOUND
    await expect(openDrillDir(cfg, join(scratch, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', details: { field: 'dir' } });
    await expect(openDrillDir(cfg, join(root, 'missing', 'x'), { create: true })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('the restoreDir holding it does not exist') });
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), join(scratch, 'a', 'link'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'alias'));
    for (const [dirArg, link] of [
      [join(scratch, 'a', 'link', 'x'), join(scratch, 'a', 'link')],
      [join(root, 'alias', 'x'), join(root, 'alias')],
    ] as const) {
      await expect(openDrillDir(cfg, dirArg, { create: true })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining(`${link} is a symbolic link`),
        details: { field: 'dir', path: link },
      });
    }
    expect(readdirSync(join(root, 'elsewhere'))).toEqual([]);
    writeFileSync(join(scratch, 'file'), '');
    await expect(openDrillDir(cfg, join(scratch, 'file', 'x'), { create: true })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('is not a folder') });
  });

  it('checkRestored: a tree as recorded is ok; a changed, a missing and an extra file are named; links are never followed', async () => {
    const tree = join(root, 'restored');
    mkdirSync(join(tree, E, 'sub'), { recursive: true });
    writeFileSync(join(tree, E, 'a'), 'a\n');
    writeFileSync(join(tree, E, 'sub', 'b'), 'b\n');
    writeFileSync(join(tree, E, 'sub', 'c'), 'c\n');
    symlinkSync('/etc/hostname', join(tree, E, 'l'));
    await recordChecksums(tree, [E]);
    expect(await checkRestored(tree)).toMatchObject({ ok: true, filesRecorded: 3, filesExpected: 3, filesChecked: 3, bytesChecked: 6, different: [], missing: [], extra: [], problems: [], entries: [E] });

    writeFileSync(join(tree, E, 'a'), 'A\n');
    rmSync(join(tree, E, 'sub', 'b'));
    writeFileSync(join(tree, E, 'new'), 'n\n');
    writeFileSync(join(tree, 'stray'), 's\n');
    // a folder of the entry replaced by a link to elsewhere: its files are missing, nothing is read through it
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'outside', 'c'), 'c\n');
    rmSync(join(tree, E, 'sub'), { recursive: true });
    symlinkSync(join(root, 'outside'), join(tree, E, 'sub'));
    const c = await checkRestored(tree);
    expect(c).toMatchObject({
      ok: false,
      filesChecked: 1,
      different: [`${E}/a: checksum differs from the one recorded at backup time`],
      missing: [`${E}/sub/b`, `${E}/sub/c`],
      extra: [`${E}/new`, 'stray'],
      differentTotal: 1,
      missingTotal: 2,
      extraTotal: 2,
    });
  });

  it('checkRestored: a record kept with its changes is read whole; changes of another record, or a link, are a problem', async () => {
    const tree = join(root, 'restored');
    mkdirSync(join(tree, E, 'keep'), { recursive: true });
    for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(tree, E, n), `${n}\n`);
    // a record large against the changes, so they are kept as changes
    for (let i = 0; i < 100; i++) writeFileSync(join(tree, E, 'keep', `f${i}`), `f${i}\n`);
    await recordChecksums(tree, [E], { changesNext: true });
    writeFileSync(join(tree, E, 'a'), 'A, longer\n');
    rmSync(join(tree, E, 'b'));
    writeFileSync(join(tree, E, 'new'), 'n\n');
    const names = [Buffer.from('a'), Buffer.from('b'), Buffer.from('new')];
    await updateChecksums(tree, new Map([[E, { changed: names, notFolders: names }]]));
    expect(readFileSync(join(tree, CHANGES_FILE), 'utf8')).toContain(`${E}/new`);
    expect(await checkRestored(tree)).toMatchObject({ ok: true, filesRecorded: 104, filesChecked: 104, problems: [] });

    // the base as another tag left it: one more (empty) line
    writeFileSync(join(tree, CHECKSUMS_FILE), `${readFileSync(join(tree, CHECKSUMS_FILE), 'utf8')}\n`);
    expect((await checkRestored(tree)).problems).toEqual([expect.stringContaining('belongs to another')]);
    rmSync(join(tree, CHANGES_FILE));
    symlinkSync('/etc/passwd', join(tree, CHANGES_FILE));
    const c = await checkRestored(tree);
    expect(c.problems).toEqual([expect.stringContaining('is a symbolic link')]);
    expect(JSON.stringify(c)).not.toContain('root:');
  });

  it('checkRestored: no record, or a record that is a link, is a problem and never read through', async () => {
    const tree = join(root, 'restored');
    mkdirSync(join(tree, E), { recursive: true });
    writeFileSync(join(tree, E, 'a'), 'a\n');
    expect(await checkRestored(tree)).toMatchObject({ ok: false, problems: [expect.stringContaining('holds no checksum record')], extra: [`${E}/a`] });
    mkdirSync(join(tree, '.freezeframe'));
    symlinkSync('/etc/passwd', join(tree, CHECKSUMS_FILE));
    const c = await checkRestored(tree);
    expect(c.ok).toBe(false);
    expect(c.problems).toEqual([expect.stringContaining('is a symbolic link')]);
    expect(JSON.stringify(c)).not.toContain('root:');
  });

  it('checkRestored with a sample: only the sample is expected; other files restored are extra', async () => {
    const tree = join(root, 'restored');
    mkdirSync(join(tree, E), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(tree, E, `f${i}`), `${i}\n`);
    await recordChecksums(tree, [E]);
    const sample = { percent: 20, seed: '0123456789abcdef' };
    const whole = await checkRestored(tree, sample);
    expect(whole.ok).toBe(false);
    expect(whole.extraTotal).toBe(50 - whole.filesExpected);
    // keep only the sampled files, as the target sends them
    const names = new Set(whole.extra.map((p) => p.slice(E.length + 1)));
    for (const n of names) rmSync(join(tree, E, n));
    const only = await checkRestored(tree, sample);
    expect(only).toMatchObject({ ok: true, filesRecorded: 50, filesExpected: whole.filesExpected, filesChecked: whole.filesExpected });
  });

  it('wholeBackupRules: every entry whole and the checksum record', () => {
    expect(wholeBackupRules([E, 'b@+x']).toString('latin1').split('\0')).toEqual([`/${E}/***`, '/b@+x/***', '/.freezeframe/', '/.freezeframe/checksums.jsonl', '/.freezeframe/checksums.changes.jsonl', '']);
    expect(() => wholeBackupRules(['../x'])).toThrow(/no entry name/);
  });
});
