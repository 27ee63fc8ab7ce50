import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeName, includeRules, splitNul, subtreeRules, unescapeName } from './file-names.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('file names as bytes', () => {
  it('splits NUL-separated lists without decoding', () => {
    expect(splitNul(Buffer.from([0x61, 0, 0xff, 0x62, 0, 0]))).toEqual([b('a'), Buffer.from([0xff, 0x62])]);
  });

  it('escapes names reversibly and unambiguously', () => {
    const names = [Buffer.from('plain.txt'), Buffer.from('ünïcode'), Buffer.from([0x6e, 0xff, 0x61]), b('back\\slash'), b('\\xff'), b('tab\there'), b('nl\nx')];
    const shown = names.map(escapeName);
    expect(new Set(shown).size).toBe(names.length);
    expect(shown[2]).toBe('n\\xffa');
    expect(shown[4]).toBe('\\\\xff');
    for (const [i, n] of names.entries()) expect(unescapeName(shown[i]!)).toEqual(n);
  });

  // The rules go to a real rsync: they must select exactly the listed files, whatever their names.
  const root = mkdtempSync(join(tmpdir(), 'ff-names-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it('include rules select exactly the listed files in a real rsync', () => {
    const src = join(root, 'src');
    const names = ['a/b/c.txt', 'a/b/other', 'we*ird/[x]?', 'we*ird/plain', 'back\\slash/f', 'back\\slash/g', '- dash', '+ plus', '#hash', 'top'];
    for (const n of names) {
      mkdirSync(join(src, n, '..'), { recursive: true });
      writeFileSync(join(src, n), n);
    }
    const odd = Buffer.concat([Buffer.from(`${src}/`), Buffer.from([0x6e, 0xff, 0x0a, 0x61])]);
    writeFileSync(odd, 'odd');
    const wanted = [b('a/b/c.txt'), b('we*ird/[x]?'), b('back\\slash/f'), b('- dash'), b('#hash'), Buffer.from([0x6e, 0xff, 0x0a, 0x61])];
    writeFileSync(join(root, 'rules'), includeRules(wanted));
    const dst = join(root, 'dst');
    execFileSync('rsync', ['-a', '--from0', `--include-from=${join(root, 'rules')}`, '--exclude=*', `${src}/`, `${dst}/`]);
    const got = execFileSync('find', ['.', '-type', 'f', '-print0'], { cwd: dst }).subarray(0);
    const files = splitNul(got).map((x) => x.subarray(2).toString('latin1')).sort();
    expect(files).toEqual(wanted.map((w) => w.toString('latin1')).sort());
    expect(readdirSync(dst, { encoding: 'buffer' }).map((n) => n.toString('latin1')).sort()).toEqual(['#hash', '- dash', 'a', 'back\\slash', 'n\xff\na', 'we*ird'].sort());
  });

  // A partial restore: rsync --delete-after with these rules must write and delete only inside
  // the subtrees, whatever lies beside them on the receiver.
  const tree = (dir: string, files: Record<string, string>) => {
    for (const [n, text] of Object.entries(files)) {
      mkdirSync(join(dir, n, '..'), { recursive: true });
      writeFileSync(join(dir, n), text);
    }
  };
  const restoreInto = (src: string, dst: string, paths: string[], name: string) => {
    writeFileSync(join(root, name), subtreeRules(paths.map((p) => Buffer.from(p))));
    execFileSync('rsync', ['-a', '--from0', `--include-from=${join(root, name)}`, '--exclude=*', '--delete-after', `${src}/`, `${dst}/`]);
  };
  const read = (f: string) => readFileSync(f, 'utf8');

  it('subtree rules: only the subtrees are restored and cleaned, files beside them are never touched', () => {
    const src = join(root, 'backup');
    tree(src, {
      'keep.txt': 'backup',
      'sub/dir/a.txt': 'a backup',
      'sub/dir/deep/b.txt': 'b backup',
      'sub/other.txt': 'other backup',
      'we*ird/x?/f': 'f backup',
      'we*ird/xy/g': 'g backup',
      'etc/app.conf': 'conf backup',
      'etc/other.conf': 'other conf backup',
    });
    const dst = join(root, 'live');
    tree(dst, {
      'keep.txt': 'live, differs from the backup',
      'live-only.txt': 'not in the backup',
      'sub/other.txt': 'live other',
      'sub/live-extra': 'not in the backup',
      'sub/dir/a.txt': 'a live',
      'sub/dir/extra.txt': 'not in the backup',
      'sub/dir/gone/x': 'not in the backup',
      'we*ird/x?/extra': 'not in the backup',
      'we*ird/xy/g': 'g live',
      'we*ird/xz': 'not in the backup',
      'etc/app.conf': 'conf live',
      'etc/app.conf.bak': 'not in the backup',
      'etc/other.conf': 'other conf live',
    });
    restoreInto(src, dst, ['sub/dir', 'we*ird/x?', 'etc/app.conf'], 'subtree-rules');
    // inside: restored, extras deleted
    expect(read(join(dst, 'sub/dir/a.txt'))).toBe('a backup');
    expect(read(join(dst, 'sub/dir/deep/b.txt'))).toBe('b backup');
    expect(existsSync(join(dst, 'sub/dir/extra.txt'))).toBe(false);
    expect(existsSync(join(dst, 'sub/dir/gone'))).toBe(false);
    expect(read(join(dst, 'we*ird/x?/f'))).toBe('f backup');
    expect(existsSync(join(dst, 'we*ird/x?/extra'))).toBe(false);
    expect(read(join(dst, 'etc/app.conf'))).toBe('conf backup');
    // outside: as it was, whether it differs from the backup or is not in it
    expect(read(join(dst, 'keep.txt'))).toBe('live, differs from the backup');
    expect(read(join(dst, 'live-only.txt'))).toBe('not in the backup');
    expect(read(join(dst, 'sub/other.txt'))).toBe('live other');
    expect(read(join(dst, 'sub/live-extra'))).toBe('not in the backup');
    expect(read(join(dst, 'we*ird/xy/g'))).toBe('g live');
    expect(read(join(dst, 'we*ird/xz'))).toBe('not in the backup');
    expect(read(join(dst, 'etc/app.conf.bak'))).toBe('not in the backup');
    expect(read(join(dst, 'etc/other.conf'))).toBe('other conf live');
    expect(subtreeRules([Buffer.from('a/b'), Buffer.from('a/c*')]).toString('latin1').split('\0')).toEqual(['/a/', '/a/b', '/a/c\\*', '/a/b/***', '/a/c\\*/***', '']);
  });

  it('subtree rules: a symbolic link on the way to a subtree is replaced, never followed', () => {
    const src = join(root, 'backup-l');
    tree(src, { 'sub/dir/a.txt': 'a backup', 'sub/dir/b.txt': 'b backup' });
    const outside = join(root, 'outside');
    tree(outside, { 'dir/a.txt': 'outside a', 'secret': 'outside secret' });
    const dst = join(root, 'live-l');
    mkdirSync(dst);
    symlinkSync(outside, join(dst, 'sub'));
    restoreInto(src, dst, ['sub/dir'], 'subtree-rules-l');
    expect(lstatSync(join(dst, 'sub')).isDirectory()).toBe(true);
    expect(read(join(dst, 'sub/dir/a.txt'))).toBe('a backup');
    expect(readdirSync(outside).sort()).toEqual(['dir', 'secret']);
    expect(readdirSync(join(outside, 'dir'))).toEqual(['a.txt']);
    expect(read(join(outside, 'dir/a.txt'))).toBe('outside a');
  });
});
