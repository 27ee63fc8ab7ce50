import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { renderUnits, scheduleInstall, scheduleList, scheduleRemove, toOnCalendar } from './schedule.js';

const refusal = (fn: () => unknown): FfError => {
  try {
    fn();
  } catch (e) {
    return e as FfError;
  }
  throw new Error('not refused');
};

describe('toOnCalendar', () => {
  it('turns the friendly forms into OnCalendar= and passes systemd expressions through', () => {
    expect(toOnCalendar('daily 02:00', '--backup')).toBe('*-*-* 02:00:00');
    expect(toOnCalendar('  daily   2:05 ', '--backup')).toBe('*-*-* 02:05:00');
    expect(toOnCalendar('weekly', '--drill')).toBe('weekly');
    expect(toOnCalendar('weekly sun 03:30', '--drill')).toBe('Sun *-*-* 03:30:00');
    expect(toOnCalendar('weekly Saturday', '--drill')).toBe('Sat *-*-* 00:00:00');
    expect(toOnCalendar('monthly 04:00', '--backup')).toBe('*-*-01 04:00:00');
    expect(toOnCalendar('hourly', '--backup')).toBe('hourly');
    expect(toOnCalendar('Mon..Fri *-*-* 02:00:00', '--backup')).toBe('Mon..Fri *-*-* 02:00:00');
  });

  it('refuses shell characters, specifiers, quotes and newlines, naming the field', () => {
    for (const hostile of ['daily 02:00; rm -rf /', 'daily $(reboot)', '`id`', 'daily 02:00\nExecStart=/bin/sh', '%h', "daily '02:00'", 'daily 02:00 | tee', 'a&b', '']) {
      const e = refusal(() => toOnCalendar(hostile, '--backup'));
      expect(e).toBeInstanceOf(FfError);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/^--backup: /);
      expect(e.details).toEqual({ field: '--backup' });
    }
    expect(refusal(() => toOnCalendar('daily 25:00', '--drill')).message).toBe('--drill: 25:00 is not a time of day (00:00 to 23:59)');
  });
});

describe('renderUnits', () => {
  it('writes a oneshot service with the absolute command and a persistent timer', () => {
    const u = renderUnits({ job: 'backup', deployment: 'uat', schedule: 'daily 02:00', onCalendar: '*-*-* 02:00:00', execStart: ['/usr/bin/freezeframe', '-i', '/etc/freezeframe/inventory.yaml', 'backup'], randomizedDelaySec: 600 });
    expect(u.service).toMatch(/^# Written by `freezeframe schedule install`/);
    expect(u.service).toContain('\nType=oneshot\nExecStart=/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml backup\n');
    expect(u.timer).toContain('\n[Timer]\nOnCalendar=*-*-* 02:00:00\nPersistent=true\nRandomizedDelaySec=600\nUnit=freezeframe-backup.service\n');
    expect(u.timer).toContain('\n[Install]\nWantedBy=timers.target\n');
    expect(renderUnits({ job: 'backup', deployment: 'uat', schedule: 'hourly', onCalendar: 'hourly', execStart: ['/x'] }).timer).not.toContain('RandomizedDelaySec');
  });
});

describe('scheduleInstall', () => {
  it('gives the drill its own units, running `drill latest`; a job whose command is missing is refused naming its option', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-schedule-'));
    try {
      const o = { inventory: '/etc/freezeframe/inventory.yaml', deployment: 'uat', jobs: { backup: 'daily 02:00', drill: 'weekly sun 12:00' }, command: ['/usr/bin/freezeframe'], dir, enable: false };
      await expect(scheduleInstall({ ...o, available: ['backup'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: '--drill' } });
      // deep runs `backup --deep`: the backup command is all it needs
      const deep = await scheduleInstall({ ...o, jobs: { backup: 'daily 02:00', deep: 'monthly' }, available: ['backup'] });
      expect(deep.units.map((u) => [u.job, u.service, u.execStart])).toEqual([
        ['backup', 'freezeframe-backup.service', '/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml backup'],
        ['deep', 'freezeframe-deep.service', '/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml backup --deep'],
      ]);
      const r = await scheduleInstall({ ...o, available: ['backup', 'drill'] });
      expect(r.units.map((u) => [u.job, u.execStart])).toEqual([
        ['backup', '/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml backup'],
        ['drill', '/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml drill latest'],
      ]);
      expect(readFileSync(join(dir, 'freezeframe-drill.service'), 'utf8')).toContain('\nExecStart=/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml drill latest\n');
      expect(readFileSync(join(dir, 'freezeframe-drill.timer'), 'utf8')).toContain('\nUnit=freezeframe-drill.service\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--name keeps one set of units per deployment apart: list shows both, remove --name removes only its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-schedule-'));
    try {
      const o = { jobs: { backup: 'daily 02:00' }, command: ['/usr/bin/freezeframe'], available: ['backup'] as const, dir, enable: false };
      await scheduleInstall({ ...o, available: [...o.available], inventory: '/etc/freezeframe/prod.yaml', deployment: 'prod' });
      const staging = await scheduleInstall({ ...o, available: [...o.available], inventory: '/etc/freezeframe/staging.yaml', deployment: 'staging', name: 'staging' });
      expect(staging.units[0]).toMatchObject({ name: 'staging', service: 'freezeframe-staging-backup.service', timer: 'freezeframe-staging-backup.timer' });
      const timer = readFileSync(join(dir, 'freezeframe-staging-backup.timer'), 'utf8');
      expect(timer).toContain('\nUnit=freezeframe-staging-backup.service\n');
      expect(timer).toContain('`freezeframe schedule remove backup --name staging` removes it.');
      const listed = await scheduleList({ dir });
      expect(listed.units.map((u) => [u.name ?? '', u.timer, u.execStart])).toEqual([
        ['', 'freezeframe-backup.timer', '/usr/bin/freezeframe -i /etc/freezeframe/prod.yaml backup'],
        ['staging', 'freezeframe-staging-backup.timer', '/usr/bin/freezeframe -i /etc/freezeframe/staging.yaml backup'],
      ]);
      expect((await scheduleRemove({ dir, name: 'staging' })).removed).toEqual([join(dir, 'freezeframe-staging-backup.timer'), join(dir, 'freezeframe-staging-backup.service')]);
      expect((await scheduleList({ dir })).units.map((u) => u.timer)).toEqual(['freezeframe-backup.timer']);
      for (const bad of ['a;b', '../x', 'a b', '', 'x%h']) {
        await expect(scheduleInstall({ ...o, available: [...o.available], inventory: '/etc/freezeframe/x.yaml', deployment: 'x', name: bad }), bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: '--name' } });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
