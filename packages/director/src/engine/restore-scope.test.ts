import { FfError } from '@freezeframe/common';
import { describe, expect, it } from 'vitest';
import { backupSources, checkScopeOptions, checkToDir, crossDeployment, namingOption, needFeatures, parseMap, resolveMap } from './restore-scope.js';
import type { BackupListing } from './core/types.js';

const listing = (manifest: unknown, entries: string[] = []): BackupListing => ({ id: '20260101_020000', createdMs: 0, entries, usedBytes: 0, manifest, complete: true });
const field = (f: string) => expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ field: f }) });

describe('restore scope options', () => {
  it('--to-dir: absolute, no . or .., no control characters; a trailing slash is dropped', () => {
    expect(checkToDir('/srv/restore/')).toBe('/srv/restore');
    expect(checkToDir('/srv//restore')).toBe('/srv/restore');
    for (const bad of ['../x', 'srv/x', '', '/srv/../etc', '/srv/./x', '/srv/a\nb', '/', '//']) {
      expect(() => checkToDir(bad), bad).toThrow(field('--to-dir'));
    }
  });

  it('--map: pairs of source names, each side once', () => {
    expect(parseMap(['prod-1=stg-1', 'prod-db:data=stg-db:data', 'prod-2=stg-2:data'])).toEqual([
      { from: 'prod-1', to: 'stg-1' },
      { from: 'prod-db:data', to: 'stg-db:data' },
      { from: 'prod-2', to: 'stg-2:data' },
    ]);
    for (const bad of [['prod-1'], ['a=b=c'], ['=stg'], ['../x=stg'], ['a=/etc'], ['a=b', 'c=b'], ['a=b', 'a=c'], []]) {
      expect(() => parseMap(bad), bad.join(',')).toThrow(field('--map'));
    }
  });

  it('checks the options against each other, naming the option', () => {
    expect(checkScopeOptions({ only: ['db-1:data'], paths: ['srv/x/'], toDir: '/r/', map: ['a=b'], fromDeployment: 'prod' })).toEqual({
      paths: ['srv/x'],
      toDir: '/r',
      map: [{ from: 'a', to: 'b' }],
      fromDeployment: 'prod',
    });
    expect(() => checkScopeOptions({ paths: ['x'] })).toThrow(field('--path'));
    expect(() => checkScopeOptions({ only: ['a', 'b'], paths: ['x'] })).toThrow(field('--path'));
    expect(() => checkScopeOptions({ only: ['a'], paths: ['../x'] })).toThrow(field('--path'));
    expect(() => checkScopeOptions({ only: ['a'], paths: ['x'], keyspaces: ['ks'] })).toThrow(field('--path'));
    expect(() => checkScopeOptions({ toDir: '/r', stopServices: true })).toThrow(field('--to-dir'));
    expect(() => checkScopeOptions({ toDir: '/r', stagingOnly: true })).toThrow(field('--to-dir'));
    expect(() => checkScopeOptions({ fromDeployment: 'a b' })).toThrow(field('--from-deployment'));
  });
});

describe('another deployment', () => {
  it('a backup of this deployment, or one whose manifest names none, needs nothing', () => {
    expect(crossDeployment(listing({ deployment: 'staging' }), 'staging', undefined)).toBeUndefined();
    expect(crossDeployment(listing({ deployment: 'staging' }), 'staging', 'staging')).toBeUndefined();
    expect(crossDeployment(listing(null), 'staging', undefined)).toBeUndefined();
  });

  it("another deployment's backup only with --from-deployment naming it", () => {
    expect(crossDeployment(listing({ deployment: 'prod' }), 'staging', 'prod')).toBe('prod');
    expect(() => crossDeployment(listing({ deployment: 'prod' }), 'staging', undefined)).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('was taken by deployment prod, not by staging'), details: { field: '--from-deployment', backupDeployment: 'prod' } }),
    );
    expect(() => crossDeployment(listing({ deployment: 'prod' }), 'staging', 'uat')).toThrow(expect.objectContaining({ message: expect.stringContaining('--from-deployment uat: backup 20260101_020000 was taken by deployment prod') }));
    expect(() => crossDeployment(listing({ deployment: 'staging' }), 'staging', 'prod')).toThrow(expect.objectContaining({ message: expect.stringContaining('was taken by this deployment (staging), not by prod') }));
  });
});

describe('--map onto this inventory', () => {
  const backup = backupSources(
    listing({
      sources: [
        { name: 'prod-1', entry: 'prod-1@+srv+www' },
        { name: 'prod-db:data', node: 'prod-db', entry: 'prod-db@+srv+pg' },
        { name: 'prod-db:logs', node: 'prod-db', entry: 'prod-db@+var+log' },
      ],
    }),
  );
  const live = [
    { id: 'stg-1', node: 'stg-1', entry: 'stg-1@+data+www' },
    { id: 'stg-db:data', node: 'stg-db', entry: 'stg-db@+data+pg' },
    { id: 'stg-db:logs', node: 'stg-db', entry: 'stg-db@+data+log' },
    { id: 'stg-2:data', node: 'stg-2', entry: 'stg-2@+d' },
  ];
  const resolve = (pairs: string[]) => Object.fromEntries([...resolveMap(parseMap(pairs), backup, live, 'B')].map(([k, v]) => [k, v.entry]));

  it('reads the sources from the manifest, else one per node from the entries', () => {
    expect(backup.map((b) => b.node)).toEqual(['prod-1', 'prod-db', 'prod-db']);
    expect(backupSources(listing(null, ['a@+x', 'b@+y', 'b@+z']))).toEqual([{ name: 'a', node: 'a', entry: 'a@+x' }]);
  });

  it('maps one source onto one, and a node onto a node volume by volume', () => {
    expect(resolve(['prod-1=stg-1'])).toEqual({ 'stg-1': 'prod-1@+srv+www' });
    expect(resolve(['prod-db=stg-db'])).toEqual({ 'stg-db:data': 'prod-db@+srv+pg', 'stg-db:logs': 'prod-db@+var+log' });
    expect(resolve(['prod-db:logs=stg-2:data', 'prod-1=stg-1'])).toEqual({ 'stg-2:data': 'prod-db@+var+log', 'stg-1': 'prod-1@+srv+www' });
  });

  it('refuses a source the backup lacks, one this inventory lacks, and nodes whose volumes differ', () => {
    expect(() => resolve(['nope=stg-1'])).toThrow(expect.objectContaining({ message: '--map nope=stg-1: backup B has no source nope', details: { field: '--map' } }));
    expect(() => resolve(['prod-1=nope'])).toThrow(expect.objectContaining({ message: '--map prod-1=nope: nope is not a source of this inventory' }));
    expect(() => resolve(['prod-db=stg-1'])).toThrow(expect.objectContaining({ message: expect.stringContaining('the volumes differ') }));
    expect(() => resolve(['prod-db=stg-db:data'])).toThrow(expect.objectContaining({ message: expect.stringContaining('the volumes differ') }));
  });
});

describe('an agent refusing a field', () => {
  it('is said as the option the operator gave; other errors pass unchanged', () => {
    const toDir = namingOption(new FfError('INVALID_ARGUMENT', 'src-1: to_dir "/etc" is not inside any of node src-1\'s restoreDirs', { node: 'src-1', details: { field: 'to_dir' } }), '/etc');
    expect(toDir).toMatchObject({ code: 'INVALID_ARGUMENT', message: '--to-dir /etc refused by src-1: to_dir "/etc" is not inside any of node src-1\'s restoreDirs', details: { field: '--to-dir' } });
    const path = namingOption(new FfError('NOT_FOUND', 'paths "a/b": backup B has no a', { node: 'tgt', details: { field: 'paths', path: 'a/b' } }), undefined);
    expect(path).toMatchObject({ code: 'NOT_FOUND', message: '--path refused by tgt: "a/b": backup B has no a', details: { field: '--path', path: 'a/b' } });
    const other = new FfError('UNAVAILABLE', 'down', { details: { field: 'entry' } });
    expect(namingOption(other, '/x')).toBe(other);
  });
});

describe('agents that would ignore an option', () => {
  const node = (name: string, features?: string[]) => ({ name, desc: { name, version: '0.0.9', roles: [], dataPort: 1, rsyncVersion: '', ...(features ? { features } : {}) } });
  const all = ['restore-paths', 'restore-to-dir', 'restore-into-entry'];

  it('--path needs a target that knows it, --to-dir receivers that know it', () => {
    expect(() => needFeatures({ paths: ['a'], toDir: '/r' }, node('tgt', all), [node('src-1', all)])).not.toThrow();
    expect(() => needFeatures({}, node('tgt'), [node('src-1')])).not.toThrow();
    expect(() => needFeatures({ paths: ['a'] }, node('tgt'), [node('src-1', all)])).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION', message: '--path: the agent of tgt (version 0.0.9) does not know it and would send the whole source; nothing was restored', details: { field: '--path' } }),
    );
    expect(() => needFeatures({ toDir: '/r' }, node('tgt', all), [node('src-1', all), node('src-2'), node('src-2')])).toThrow(
      expect.objectContaining({ message: '--to-dir: the agent of src-2 (version 0.0.9) does not know it and would restore into the live volume; nothing was restored', details: { field: '--to-dir' } }),
    );
  });
});
