import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_LOCK_FILE, readRunningJob, takeRunLock } from './run-lock.js';

describe('the run lock', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ff-runlock-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('one run at a time: a second is refused naming the first, its pid and its log', () => {
    const d = dir();
    const a = takeRunLock(d, { kind: 'backup', id: '20250101_020000', log: '/var/log/x.log' });
    expect(readRunningJob(d)).toMatchObject({ alive: true, job: { id: '20250101_020000', pid: process.pid, host: hostname() } });
    expect(() => takeRunLock(d, { kind: 'restore', id: 'restore_20250101_030000' })).toThrow(
      new RegExp(`^backup 20250101_020000 is running \\(pid ${process.pid}, started \\d{4}-`),
    );
    a.release();
    a.release();
    expect(readRunningJob(d)).toBeUndefined();
    takeRunLock(d, { kind: 'restore', id: 'restore_20250101_030000' }).release();
  });

  it('a lock whose process is gone is stale: replaced, and said so', () => {
    const d = dir();
    // pid 2^22+1 is above Linux's pid_max limit: no such process
    writeFileSync(join(d, RUN_LOCK_FILE), JSON.stringify({ kind: 'backup', id: 'old', pid: 4194305, host: hostname(), startedAt: '2025-01-01T00:00:00Z' }));
    expect(readRunningJob(d)?.alive).toBe(false);
    const stale: string[] = [];
    const l = takeRunLock(d, { kind: 'backup', id: 'new' }, (old) => stale.push(old.id));
    expect(stale).toEqual(['old']);
    expect(JSON.parse(readFileSync(join(d, RUN_LOCK_FILE), 'utf8'))).toMatchObject({ id: 'new', pid: process.pid });
    l.release();
  });

  it('release leaves a lock that another run took meanwhile', () => {
    const d = dir();
    const l = takeRunLock(d, { kind: 'backup', id: 'a' });
    writeFileSync(join(d, RUN_LOCK_FILE), JSON.stringify({ kind: 'backup', id: 'b', pid: process.pid, host: hostname(), startedAt: '2025-01-01T00:00:00Z' }));
    l.release();
    expect(readRunningJob(d)?.job.id).toBe('b');
  });
});
