import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureTree, compareTrees, makeSampleTree, mutateTree } from './demo-data.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-demo-data-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo tree verification', () => {
  const root = join(dir, 'tree');
  mkdirSync(root);
  makeSampleTree(root, 7, 50);
  const before = captureTree(root);

  it('sees an identical tree as identical, with the hard link grouped', () => {
    const d = compareTrees(before, captureTree(root));
    expect(d).toMatchObject({ ok: true, differences: [] });
    expect(before.get('app.conf.hardlink')!.links).toEqual(['app.conf.hardlink', 'etc/app.conf']);
    expect(before.get('current.conf')).toMatchObject({ type: 'symlink', target: 'etc/app.conf' });
  });

  it('catches changed content, modes, symlink targets, broken hard links, missing and extra files', () => {
    const f = join(root, 'd3', 's0', 'f3.dat');
    chmodSync(f, 0o644);
    writeFileSync(f, 'changed');
    chmodSync(join(root, 'd4', 's0', 'f4.dat'), 0o600);
    unlinkSync(join(root, 'current.conf'));
    symlinkSync('elsewhere', join(root, 'current.conf'));
    unlinkSync(join(root, 'app.conf.hardlink'));
    writeFileSync(join(root, 'app.conf.hardlink'), `# sample config 7\nport = 8007\n`);
    unlinkSync(join(root, 'd1', 's0', 'f1.dat'));
    writeFileSync(join(root, 'extra'), 'x');
    const d = compareTrees(before, captureTree(root));
    expect(d.ok).toBe(false);
    const all = d.differences.join('\n');
    expect(all).toContain('d3/s0/f3.dat: content differs');
    expect(all).toContain('d4/s0/f4.dat: mode 600');
    expect(all).toContain('current.conf: links to elsewhere');
    expect(all).toContain('app.conf.hardlink: hard links');
    expect(all).toContain('d1/s0/f1.dat: missing');
    expect(all).toContain('extra: not in the backup');
  });

  it('mutateTree changes the tree', () => {
    const t = join(dir, 't2');
    mkdirSync(t);
    makeSampleTree(t, 1, 60);
    const a = captureTree(t);
    expect(mutateTree(t, 1)).toEqual({ modified: 21, added: 30, deleted: 25 });
    expect(compareTrees(a, captureTree(t)).ok).toBe(false);
  });
});
