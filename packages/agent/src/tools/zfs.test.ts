import { describe, expect, it } from 'vitest';
import { parseZfsGet, parseZpoolStatus, poolOf, snapshotsOf, zfsErrorReason } from './zfs.js';

// Recorded from zfs-fuse 0.7.0 (Debian 12) on a file pool.
const GET = [
  'zxpool/ds\tcreation\t1795618339',
  'zxpool/ds\tused\t200704',
  'zxpool/ds\tfreezeframe:backup\t-',
  'zxpool/ds@s1\tcreation\t1795618339',
  'zxpool/ds@s1\tcreatetxg\t13',
  'zxpool/ds@s1\tused\t81920',
  'zxpool/ds@s1\tfreezeframe:backup\ts1',
  'zxpool/ds@20240101_000000\tcreation\t1795618339',
  'zxpool/ds@20240101_000000\tcreatetxg\t12',
  'zxpool/ds@20240101_000000\tused\t0',
  'zxpool/ds@20240101_000000\tfreezeframe:backup\t20240101_000000',
  'zxpool/ds/child@x\tcreation\t1795618300',
  '',
].join('\n');

const STATUS = `  pool: zxpool
 state: ONLINE
 scrub: none requested
config:

\tNAME                STATE     READ WRITE CKSUM
\tzxpool              ONLINE       0     0     0
\t  /tmp/zx/pool.img  ONLINE       0     0     0

errors: No known data errors
`;

describe('zfs parsers', () => {
  it('groups zfs get -H -p output by dataset', () => {
    const rows = parseZfsGet(GET);
    expect([...rows.keys()]).toEqual(['zxpool/ds', 'zxpool/ds@s1', 'zxpool/ds@20240101_000000', 'zxpool/ds/child@x']);
    expect(rows.get('zxpool/ds')).toEqual({ creation: '1795618339', used: '200704', 'freezeframe:backup': '-' });
  });

  it('rejects lines that are not name/property/value', () => {
    expect(() => parseZfsGet('zxpool/ds used\n')).toThrow(/unexpected line/);
  });

  it('lists only the dataset’s own snapshots, ordered by creation then txg', () => {
    const snaps = snapshotsOf('zxpool/ds', parseZfsGet(GET));
    expect(snaps.map((s) => s.snap)).toEqual(['20240101_000000', 's1']);
    expect(snaps[1]).toMatchObject({ name: 'zxpool/ds@s1', createdUnixMs: 1795618339000, usedBytes: 81920 });
    expect(snaps[1]!.props['freezeframe:backup']).toBe('s1');
  });

  it('reads pool state from zpool status', () => {
    expect(parseZpoolStatus(STATUS)).toMatchObject({ pool: 'zxpool', state: 'ONLINE', errors: 'No known data errors' });
  });

  it('recognises recorded zfs-fuse error messages', () => {
    expect(zfsErrorReason("cannot open 'zxpool/nope': dataset does not exist")).toBe('does-not-exist');
    expect(zfsErrorReason("cannot create snapshot 'zxpool/ds@s1': dataset already exists")).toBe('already-exists');
    expect(zfsErrorReason("cannot destroy 'zxpool/c1': dataset is busy")).toBe('busy');
    expect(zfsErrorReason("cannot destroy 'zxpool/ds@s1': snapshot has dependent clones\nuse '-R' to destroy")).toBe(
      'has-dependent-clones',
    );
    expect(zfsErrorReason("cannot open 'nopool': no such pool")).toBe('no-such-pool');
    expect(zfsErrorReason("cannot unmount 'zxpool/ds': not currently mounted")).toBe('not-mounted');
    expect(zfsErrorReason("cannot mount 'zxpool/ds': filesystem already mounted")).toBe('already-mounted');
    expect(zfsErrorReason("cannot mount '/tmp/f/sub/c': failed to create mountpoint")).toBe('mount-failed');
    expect(zfsErrorReason('internal error: Argument list too long')).toBeUndefined();
  });

  it('names the pool of a dataset or snapshot', () => {
    expect(poolOf('tank/a/b@s')).toBe('tank');
    expect(poolOf('tank@s')).toBe('tank');
  });
});
