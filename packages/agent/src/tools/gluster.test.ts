import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glusterArgs, glusterErrorReason, parseCliOutput, parseSnapshotInfo, parseSnapshotList, parseVolumeInfo, snapshotCreateArgs, snapshotMountSource } from './gluster.js';

// Samples written from GlusterFS's documentation and CLI source, not captured (fixtures/README.md).
const fixture = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

describe('gluster --xml output', () => {
  it('snapshot list: the names', () => {
    expect(parseSnapshotList(fixture('gluster-snapshot-list.xml'))).toEqual(['gv0-ff-20240102_030405', 'gv0-ff-20240103_030405-nightly', 'manual_GMT-2024.01.01-10.00.00']);
    expect(parseSnapshotList('<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><snapList><count>0</count></snapList></cliOutput>')).toEqual([]);
  });

  it('snapshot info: name, status and origin volume', () => {
    expect(parseSnapshotInfo(fixture('gluster-snapshot-info.xml'))).toEqual([
      { name: 'gv0-ff-20240102_030405', uuid: '2a6e3b9c-1f0d-4c6e-8a55-7c1e0d9b4f21', createTime: '2024-01-02 03:04:06', status: 'Started', originVolume: 'gv0' },
    ]);
  });

  it('volume info: the volume, not its bricks or options', () => {
    expect(parseVolumeInfo(fixture('gluster-volume-info.xml'))).toEqual([{ name: 'gv0', status: 'Started', type: 'Replicate', brickCount: 2, snapshotCount: 2 }]);
  });

  it('a failed command: opRet -1 and the reason in opErrstr', () => {
    const out = parseCliOutput(fixture('gluster-snapshot-create-not-thin.xml'));
    expect(out).toMatchObject({ opRet: -1, opErrno: 30806 });
    expect(glusterErrorReason(out.opErrstr)).toBe('not-thin');
    expect(glusterErrorReason(parseCliOutput(fixture('gluster-snapshot-info-missing.xml')).opErrstr)).toBe('no-such-snapshot');
    expect(glusterErrorReason('Volume (gvx) does not exist')).toBe('no-such-volume');
    expect(glusterErrorReason('Snapshot gv0-ff-1 is already activated.')).toBe('already-activated');
    expect(() => parseCliOutput('Connection failed. Please check if gluster daemon is operational.')).toThrow(/no <cliOutput>/);
  });

  it('unescapes entities', () => {
    expect(parseCliOutput('<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>a &lt;b&gt; &amp; c</opErrstr></cliOutput>').opErrstr).toBe('a <b> & c');
  });
});

describe('argv', () => {
  it('script mode and XML always; no timestamp in a created name', () => {
    expect(glusterArgs(snapshotCreateArgs('gv0-ff-20240102_030405', 'gv0'))).toEqual(['--mode=script', '--xml', 'snapshot', 'create', 'gv0-ff-20240102_030405', 'gv0', 'no-timestamp']);
    expect(snapshotMountSource('gl1.example', 'gv0-ff-20240102_030405', 'gv0')).toBe('gl1.example:/snaps/gv0-ff-20240102_030405/gv0');
  });

  it('refuses names that would be options or paths', () => {
    for (const bad of ['-x', 'a/b', '..', 'a b', 'a@+b', 'a\0b']) {
      expect(() => snapshotCreateArgs('s1', bad), bad).toThrow(/not a valid GlusterFS volume/);
      expect(() => snapshotCreateArgs(bad, 'gv0'), bad).toThrow(/not a valid GlusterFS snapshot/);
    }
  });
});
