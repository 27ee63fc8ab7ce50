import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rsyncFileSums } from './rsync.js';
import { xxh128Sums, xxhPrintable } from './xxh128sum.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('xxh128sum', () => {
  it('the xxh128 rsync prints as %C, for the same files (real xxh128sum and rsync)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-xxh-'));
    dirs.push(dir);
    const root = join(dir, 'root');
    const empty = join(dir, 'empty');
    mkdirSync(join(root, 'd'), { recursive: true });
    mkdirSync(empty);
    writeFileSync(join(root, 'a'), 'S\n');
    writeFileSync(join(root, 'nothing'), '');
    writeFileSync(join(root, '-dash'), 'x');
    writeFileSync(Buffer.from(join(root, 'd', 'caf\xc3\xa9 \xc3\xbc'), 'latin1'), Buffer.from('\xc3\xa9t\xe9', 'latin1'));
    writeFileSync(join(root, 'd', 'big'), randomBytes(3 << 20));
    const names = ['a', 'nothing', '-dash', 'd/caf\xc3\xa9 \xc3\xbc', 'd/big'].map((n) => Buffer.from(n, 'latin1'));
    const sums = await xxh128Sums(root, [...names, Buffer.from('absent')]);
    // as rsync 3.5.0 printed them with %C (fidelity.test.ts)
    expect(sums.get('a')).toBe('6a9912dd5d8a965d661eb013761f9563');
    expect(sums.get('d/caf\xc3\xa9 \xc3\xbc')).toBe('b8158829212ae7d92bea8533baad38eb');
    expect(sums.has('absent')).toBe(false);
    expect(sums).toEqual(await rsyncFileSums(root, names, empty));
    expect(sums.size).toBe(5);
  });

  it('takes only names it prints as they are: no newline, no backslash, UTF-8', () => {
    for (const ok of ['a', 'd/caf\xc3\xa9', 'a b\tc', '-x']) expect(xxhPrintable(Buffer.from(ok, 'latin1')), ok).toBe(true);
    for (const odd of ['n\nl', 'back\\slash', 'caf\xe9', '\xff']) expect(xxhPrintable(Buffer.from(odd, 'latin1')), odd).toBe(false);
  });
});
