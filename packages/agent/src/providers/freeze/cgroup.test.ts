import { describe, expect, it } from 'vitest';
import { CgroupFreeze, configuredGroups } from './cgroup.js';

const cfg = { kind: 'cgroup' as const, cgroups: ['myapp', 'docker/abc'], units: ['postgresql.service'], root: '/sys/fs/cgroup', version: 'auto' as const };

describe('CgroupFreeze', () => {
  it('maps units to system.slice', () => {
    expect(configuredGroups(cfg)).toEqual(['myapp', 'docker/abc', 'system.slice/postgresql.service']);
  });

  it('thaws only paths under the configured root', async () => {
    const provider = new CgroupFreeze(cfg);
    for (const bad of ['/etc/passwd', 'freezer/x', '/sys/fs/cgroup/../../etc', '/sys/fs/cgroupx/y']) {
      await expect(provider.thaw([bad]), bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    // gone groups are not errors
    expect(await provider.thaw(['/sys/fs/cgroup/freezer/ff-no-such-group'])).toEqual([]);
  });
});
