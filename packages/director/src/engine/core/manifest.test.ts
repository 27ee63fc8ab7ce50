import { describe, expect, it } from 'vitest';
import { manifestDeployment, manifestSources } from './manifest.js';

describe('a backup manifest as the target returns it', () => {
  it('keeps each source with an entry, and only fields of the expected type', () => {
    const manifest = {
      deployment: 'shop',
      sources: [
        { name: 'db:data', node: 'db', entry: 'db@+data', bytes: 4096, files: 3, leaveOut: ['acls', 7, 'xattrs'] },
        { name: 'web', entry: 'web@+/srv', bytes: -1, files: 1.5, node: 42, leaveOut: 'acls' },
        { name: 'no-entry', bytes: 1 },
        { entry: '' },
        'not an object',
        null,
      ],
    };
    expect(manifestDeployment({ manifest })).toBe('shop');
    expect(manifestSources({ manifest })).toEqual([
      { name: 'db:data', node: 'db', entry: 'db@+data', bytes: 4096, files: 3, leaveOut: ['acls', 'xattrs'] },
      { name: 'web', entry: 'web@+/srv', leaveOut: [] },
    ]);
  });

  it('reads a manifest that is missing, not JSON, or of another shape as naming nothing', () => {
    for (const manifest of [undefined, null, 'text', [], { deployment: '', sources: {} }, { deployment: 3, sources: 'x' }]) {
      expect(manifestDeployment({ manifest })).toBeUndefined();
      expect(manifestSources({ manifest })).toEqual([]);
    }
  });
});
