import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeName, includeRules, splitNul, unescapeName } from './file-names.js';

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
});
