import { describe, expect, it } from 'vitest';
import { mountOf, parseMountinfo } from './mountinfo.js';

// Recorded from a Debian 12 host (the last line: a tmpfs mounted nosuid,nodev on a path with a space).
const RECORDED = `22 27 0:21 / /proc rw,relatime - proc proc rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334524k,nr_inodes=3083631,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
46 27 0:43 / /srv/backup rw,relatime shared:12 master:3 - ext4 /dev/vdb rw
47 46 0:44 / /srv/backup rw,nosuid,nodev,noexec,relatime - xfs /dev/vdc rw
45 27 0:42 / /tmp/ff\\040mi rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=1024k
`;

describe('mountinfo', () => {
  const mounts = parseMountinfo(RECORDED);

  it('parses per-mount options, type and source; unescapes mount points', () => {
    expect(mounts).toHaveLength(9);
    expect(mounts[2]).toEqual({ mountPoint: '/', options: ['rw', 'relatime'], fsType: 'ext4', source: '/dev/vda', superOptions: ['rw', 'discard', 'resv_strict', 'resuid=65534', 'resgid=65534'] });
    expect(mounts.at(-1)).toEqual({ mountPoint: '/tmp/ff mi', options: ['rw', 'nosuid', 'nodev', 'relatime'], fsType: 'tmpfs', source: 'tmpfs', superOptions: ['rw', 'size=1024k'] });
    // optional fields (shared:, master:) before the separator
    expect(mounts[6]).toMatchObject({ mountPoint: '/srv/backup', fsType: 'ext4', source: '/dev/vdb' });
  });

  it('finds the mount holding a path: longest prefix on component boundaries, the top one of a stack', () => {
    expect(mountOf(mounts, '/tmp/ff mi/backups')?.mountPoint).toBe('/tmp/ff mi');
    expect(mountOf(mounts, '/tmp/ff mix')?.mountPoint).toBe('/');
    expect(mountOf(mounts, '/sys/fs/cgroup/cpu/x')?.fsType).toBe('cgroup');
    expect(mountOf(mounts, '/srv/backup/current')).toMatchObject({ fsType: 'xfs', options: expect.arrayContaining(['nosuid', 'nodev', 'noexec']) });
    expect(mountOf(mounts, '/')?.source).toBe('/dev/vda');
  });
});
