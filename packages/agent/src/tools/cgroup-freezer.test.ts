import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectHierarchies, groupDir, locateGroup } from './cgroup-freezer.js';

// Layout logic on a fake tree; the kernel freezer itself is tested in test/freeze-cgroup.test.ts.
describe('cgroup freezer paths', () => {
  let hybrid = '';
  let pure = '';
  beforeAll(async () => {
    const base = await mkdtemp(join(tmpdir(), 'ff-cgpath-'));
    hybrid = join(base, 'hybrid');
    pure = join(base, 'pure');
    await mkdir(join(hybrid, 'freezer', 'docker', 'abc'), { recursive: true });
    await writeFile(join(hybrid, 'freezer', 'tasks'), '');
    await writeFile(join(hybrid, 'freezer', 'docker', 'abc', 'freezer.state'), 'THAWED\n');
    await mkdir(join(hybrid, 'unified', 'only-v2'), { recursive: true });
    await writeFile(join(hybrid, 'unified', 'cgroup.controllers'), '');
    await writeFile(join(hybrid, 'unified', 'only-v2', 'cgroup.freeze'), '0\n');
    await mkdir(join(pure, 'app'), { recursive: true });
    await writeFile(join(pure, 'cgroup.controllers'), '');
    await writeFile(join(pure, 'app', 'cgroup.freeze'), '0\n');
  });
  afterAll(async () => {
    await rm(join(hybrid, '..'), { recursive: true, force: true });
  });

  it('detects hybrid and pure v2 layouts', () => {
    expect(detectHierarchies(hybrid)).toEqual({ v1: join(hybrid, 'freezer'), v2: join(hybrid, 'unified') });
    expect(detectHierarchies(pure)).toEqual({ v2: pure });
  });

  it('auto finds a group in whichever hierarchy has it', () => {
    expect(locateGroup(hybrid, 'docker/abc', 'auto')).toEqual({ version: 'v1', dir: join(hybrid, 'freezer', 'docker', 'abc') });
    expect(locateGroup(hybrid, 'only-v2', 'auto')).toEqual({ version: 'v2', dir: join(hybrid, 'unified', 'only-v2') });
    expect(locateGroup(pure, 'app', 'auto')).toEqual({ version: 'v2', dir: join(pure, 'app') });
    expect(() => locateGroup(hybrid, 'docker/abc', 'v2')).toThrow(/docker\/abc.*does not exist/);
    expect(() => locateGroup(pure, 'app', 'v1')).toThrow(/no cgroup v1 freezer hierarchy/);
  });

  it('never leaves the hierarchy', () => {
    expect(groupDir('/sys/fs/cgroup/freezer', 'a/b')).toBe('/sys/fs/cgroup/freezer/a/b');
    for (const bad of ['..', 'a/../../etc', './a', '/etc', 'a//b', '']) {
      expect(() => groupDir('/sys/fs/cgroup/freezer', bad), bad).toThrow(/relative path/);
    }
  });
});
