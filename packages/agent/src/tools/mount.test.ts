import { describe, expect, it } from 'vitest';
import { mountReadOnlyArgs } from './mount.js';

describe('mount argv', () => {
  it('read-only first, the type and options given, options ended before source and folder', () => {
    expect(mountReadOnlyArgs('/dev/vg0/data-ff-1', '/var/lib/ff/1', { fsType: 'xfs', options: ['nouuid'] })).toEqual(['-t', 'xfs', '-o', 'ro,nouuid', '--', '/dev/vg0/data-ff-1', '/var/lib/ff/1']);
    expect(mountReadOnlyArgs('gl1:/snaps/s/gv0', '/m', { fsType: 'glusterfs' })).toEqual(['-t', 'glusterfs', '-o', 'ro', '--', 'gl1:/snaps/s/gv0', '/m']);
    expect(mountReadOnlyArgs('/dev/vg0/x', '/m', {})).toEqual(['-o', 'ro', '--', '/dev/vg0/x', '/m']);
  });

  it('refuses an option list, a relative or .. folder, a source that is an option', () => {
    expect(() => mountReadOnlyArgs('/dev/x', '/m', { options: ['rw,exec'] })).toThrow(/not a mount option/);
    expect(() => mountReadOnlyArgs('/dev/x', 'm', {})).toThrow(/absolute path/);
    expect(() => mountReadOnlyArgs('/dev/x', '/a/../b', {})).toThrow(/absolute path/);
    expect(() => mountReadOnlyArgs('-oremount', '/m', {})).toThrow(/mount source/);
    expect(() => mountReadOnlyArgs('/dev/x', '/m', { fsType: 'xfs,rw' })).toThrow(/file system type/);
  });
});
