import { describe, expect, it } from 'vitest';
import { leaveOutOf, mustCompareLeftOut } from './left-out.js';

const E = 'src-1@+/srv/data';
const manifest = (leaveOut?: unknown, entry = E) => ({ sources: [{ entry: 'other@+/x', leaveOut: ['acls', 'xattrs'] }, { entry, ...(leaveOut !== undefined ? { leaveOut } : {}) }] });

describe('when a backup compares what its source leaves out', () => {
  it('never for a source that leaves nothing out', () => {
    expect(mustCompareLeftOut([], { entry: E, deep: true, previousManifest: undefined })).toBe(false);
  });

  it('with --deep, and with no earlier backup of the entry', () => {
    expect(mustCompareLeftOut(['acls'], { entry: E, deep: true, previousManifest: manifest(['acls']) })).toBe(true);
    expect(mustCompareLeftOut(['acls'], { entry: E, deep: false, previousManifest: undefined })).toBe(true);
  });

  it('when the previous backup was taken without every class left out now', () => {
    expect(mustCompareLeftOut(['acls', 'xattrs'], { entry: E, deep: false, previousManifest: manifest(['acls', 'xattrs']) })).toBe(false);
    expect(mustCompareLeftOut(['xattrs'], { entry: E, deep: false, previousManifest: manifest(['acls', 'xattrs']) })).toBe(false);
    // the setting widened, was just turned on, or the manifest does not say (another entry's does not count)
    expect(mustCompareLeftOut(['acls', 'xattrs'], { entry: E, deep: false, previousManifest: manifest(['acls']) })).toBe(true);
    expect(mustCompareLeftOut(['acls'], { entry: E, deep: false, previousManifest: manifest() })).toBe(true);
    expect(mustCompareLeftOut(['acls'], { entry: E, deep: false, previousManifest: manifest(['acls'], 'src-2@+/srv/data') })).toBe(true);
    expect(mustCompareLeftOut(['acls'], { entry: E, deep: false, previousManifest: 'not json' })).toBe(true);
    expect(mustCompareLeftOut(['acls'], { entry: E, deep: false, previousManifest: manifest('acls') })).toBe(true);
  });

  it('keeps only the classes it knows from what an agent describes', () => {
    expect(leaveOutOf(['xattrs', 'acls\u001b[2J', 'acls', 'owners'])).toEqual(['acls', 'xattrs']);
  });
});
