import { describe, expect, it } from 'vitest';
import { selfCommand, systemdRunArgv, systemdRuns, unitName } from './detach.js';

describe('detached runs', () => {
  it('systemd-run: a transient service that SIGTERM stops cleanly, its environment and folder, then the command', () => {
    const argv = systemdRunArgv({
      unit: unitName('backup', '20250101_020000_nightly'),
      description: 'freezeframe backup 20250101_020000_nightly (deployment prod)',
      command: ['/usr/bin/node', '/opt/ff/main.js', '-i', '/etc/freezeframe/inventory.yaml', 'backup', '--run-id', '20250101_020000_nightly'],
      cwd: '/root',
      env: { XDG_STATE_HOME: '/var/lib', FREEZEFRAME_DETACHED_LOG: 'journalctl -u freezeframe-backup-20250101_020000_nightly' },
      user: false,
    });
    expect(argv).toEqual([
      '--unit=freezeframe-backup-20250101_020000_nightly',
      '--description=freezeframe backup 20250101_020000_nightly (deployment prod)',
      '--collect',
      '--quiet',
      '--property=Type=exec',
      '--property=KillMode=mixed',
      '--property=KillSignal=SIGTERM',
      '--property=TimeoutStopSec=5min',
      '--property=SendSIGHUP=no',
      '--working-directory=/root',
      '--setenv=XDG_STATE_HOME=/var/lib',
      '--setenv=FREEZEFRAME_DETACHED_LOG=journalctl -u freezeframe-backup-20250101_020000_nightly',
      '--',
      '/usr/bin/node',
      '/opt/ff/main.js',
      '-i',
      '/etc/freezeframe/inventory.yaml',
      'backup',
      '--run-id',
      '20250101_020000_nightly',
    ]);
    // not root: the user's own service manager
    expect(systemdRunArgv({ unit: 'u', description: 'd', command: ['x'], cwd: '/', env: {}, user: true })[0]).toBe('--user');
  });

  it('unit names keep only what systemd allows', () => {
    expect(unitName('restore', 'restore_20250101_020000')).toBe('freezeframe-restore-restore_20250101_020000');
    expect(unitName('backup', 'a b/c')).toBe('freezeframe-backup-a-b-c');
  });

  it('systemd is chosen only where it is the init system', () => {
    expect(systemdRuns('/nonexistent/run/systemd/system')).toBe(false);
    expect(systemdRuns('/')).toBe(true);
  });

  it('this program again: node and its script, or a single executable alone', () => {
    expect(selfCommand('/usr/bin/node', '/opt/ff/dist/cli/main.js')).toEqual(['/usr/bin/node', '/opt/ff/dist/cli/main.js']);
    expect(selfCommand('/usr/bin/freezeframe', '/usr/bin/freezeframe')).toEqual(['/usr/bin/freezeframe']);
    expect(selfCommand('/usr/bin/freezeframe', '')).toEqual(['/usr/bin/freezeframe']);
  });
});
